"""Seconds of one layer's scored attention (`attention_mass` with the output) at each query chunk, against SDPA (issue 12).

    HF_HUB_OFFLINE=1 .venv/bin/python bench/chunk_sizes.py                  # 8192 tokens, chunks 32 64 128, 2 rounds (~1 min)
    HF_HUB_OFFLINE=1 .venv/bin/python bench/chunk_sizes.py --tokens 2048 --chunks 64 128

Random queries, keys and values of SmolLM2-135M's shape (9 query heads, 3 KV heads, head size 64), one causal call
of `--tokens` queries over as many keys, with and without the entropy (only adaptive reads it). Rounds interleave
every setting, so drift on a noisy machine shows as spread between rounds rather than as a difference between chunks.
"""
import argparse, time
import torch
import torch.nn.functional as F
from sketchkv.attention import attention_mass

def seconds(fn): # a call
    "Wall seconds of one call."
    t0 = time.perf_counter(); fn(); return time.perf_counter() - t0

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tokens', type=int, default=8192)
    ap.add_argument('--chunks', type=int, nargs='+', default=[32, 64, 128])
    ap.add_argument('--rounds', type=int, default=2)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, h, a.tokens, 64, generator=g) for h in (9, 3, 3))
    for r in range(a.rounds):
        print(f"round {r + 1}: SDPA {seconds(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)):.3f} s", flush=True)
        for ch in a.chunks:
            for ent in (False, True):
                s = seconds(lambda: attention_mass(q, k, None, 0.125, chunk=ch, causal=True, entropy=ent, value=v))
                print(f"round {r + 1}: chunk {ch:4d}{' with entropy' if ent else ''}: {s:.3f} s", flush=True)
