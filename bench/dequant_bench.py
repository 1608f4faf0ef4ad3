"""Decode cost of one layer's codes (not a test): every code width and both levels, against copying the exact rows.

SmolLM2-135M's layer shape (3 KV heads of 64 channels), `--tokens` rows as per-token codes in groups of 64 channels,
decoded into a float32 buffer the way a quantised layer does at each step (`dequantize_values` for min-max codes,
`gaussian_dequantize` for Lloyd-Max levels), and, for widths that do not divide 8, the generic path through
`unpack_codes` that `dequantize_packed` took before `codes_at`. The floor is a copy of the same rows held exact
(what the full cache's concatenation moves per step). Rounds are interleaved and the median of each is printed, in
milliseconds, with its ratio to the copy measured in the same round; `--out` also writes them as one JSON record.

    OMP_NUM_THREADS=1 python bench/dequant_bench.py [--tokens 8192] [--rounds 7] [--threads 1] [--out FILE] [--note TEXT]
"""
import argparse, json, statistics, time
import torch
from sketchkv.baselines import pack_codes, unpack_codes, quantize_values, dequantize_values, dequantize
from sketchkv.quant import gaussian_quantize, gaussian_dequantize

def timed(fn): # a function of no arguments
    t = time.perf_counter(); fn(); return 1e3 * (time.perf_counter() - t)

def cases(n:int): # rows
    "{name: fn}: one layer's decode for each path, and the copy of exact rows."
    torch.manual_seed(0)
    x, out = torch.randn(1, 3, n, 64), torch.empty(1, 3, n, 64)
    fns = {'copy exact rows': lambda: out.copy_(x)}
    for bits in (2, 3, 4):
        c, s, z = quantize_values(x, bits, 64); p = pack_codes(c, bits)
        fns[f'min-max {bits}-bit'] = lambda p=p, s=s, z=z, b=bits: dequantize_values(p, s, z, b, out)
        if 8 % bits: fns[f'min-max {bits}-bit, unpacked first'] = lambda p=p, s=s, z=z, b=bits: dequantize(
            unpack_codes(p, b), s.repeat_interleave(64, -1), z.repeat_interleave(64, -1), out)
        gc, gs, _ = gaussian_quantize(x, bits, 64); gp = pack_codes(gc, bits)
        fns[f'Gaussian {bits}-bit'] = lambda p=gp, s=gs, b=bits: gaussian_dequantize(p, b, s, out)
    return fns

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tokens', type=int, default=8192); ap.add_argument('--rounds', type=int, default=7)
    ap.add_argument('--threads', type=int, default=1); ap.add_argument('--out', default=None)
    ap.add_argument('--note', default='', help='what else ran on the machine meanwhile')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    fns = cases(a.tokens)
    for fn in fns.values(): fn()  # warm up
    ms = {k: [] for k in fns}
    for _ in range(a.rounds):
        for k, fn in fns.items(): ms[k].append(timed(fn))
    ratio = {k: statistics.median(m / c for m, c in zip(v, ms['copy exact rows'])) for k, v in ms.items()}
    print(f"{a.tokens} rows x 3 KV heads x 64, {a.threads} thread(s), median of {a.rounds} interleaved rounds")
    for k, v in ms.items(): print(f"{k:38s} {statistics.median(v):8.2f} ms  {ratio[k]:6.2f}x the copy")
    if a.out:
        rec = dict(tokens=a.tokens, threads=a.threads, rounds=a.rounds, note=a.note, torch=torch.__version__,
                   ms={k: round(statistics.median(v), 3) for k, v in ms.items()}, ratio={k: round(r, 3) for k, r in ratio.items()})
        with open(a.out, 'w') as f: f.write(json.dumps(rec) + '\n')

if __name__ == '__main__': main()
