"""Tune sketch-quant on the Python reference (pydoc) only, never on WikiText-2 or PG-19 (those report).

Each config is one `ppl` run of the grid's harness (token by token through the cache against the full cache, windows
spread over the corpus) and one JSON line in `nbs/results/quant-tuning/results.jsonl`; a rerun skips finished configs,
so a killed run resumes. The configs ask, at equal code widths, what the rotation buys (`rotation='none'` is the ablation) against the KIVI
`int` baselines, and whether keys scaled per token (`key_axis='token'`, which needs no group of exact rows waiting
for its scales) lose against KIVI's per-channel keys once rotated, and what centring them per channel first
(`key_axis='centred'`, a fixed per-channel centre and spread) recovers, and what Lloyd-Max levels with one scale per
row (`levels='gaussian'`) cost against min-max codes at the same widths, and what `sketch-mixed` gains by spending
some exact rows on the heavy hitters of its sketch instead of on recent rows; the budget rows let the planner pick the widths.

    OMP_NUM_THREADS=1 python bench/quant_tuning.py [--context 512] [--windows 4] [--only 0,3]
"""
import argparse
from pathlib import Path
import torch
from sketchkv.models import load_model, EMBEDDED
from sketchkv.grid import ResultStore, run_spec, run_key

OUT = Path(__file__).resolve().parent.parent/'nbs'/'results'/'quant-tuning'/'results.jsonl'
CONFIGS = [  # (method, budget, params)
    ('int4', 1.0, {}),
    ('sketch-quant', 1.0, dict(key_bits=4, value_bits=4)),
    ('sketch-quant', 1.0, dict(key_bits=4, value_bits=4, rotation='none')),
    ('int2', 1.0, {}),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2)),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2, rotation='none')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2)),
    ('sketch-quant', 0.2, dict(min_bits=1)),
    ('sketch-quant', 0.1, {}),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, rotation='none')),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2, key_axis='token')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, key_axis='token')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, key_axis='token', group=64)),
    ('sketch-quant', 0.1, dict(key_axis='token', residual=16, group=64)),
    ('sketch-quant', 0.2, dict(key_axis='token', residual=16, group=64)),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2, key_axis='token', residual=16, group=64)),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2, key_axis='centred', residual=16, group=64)),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, key_axis='centred', residual=16, group=64)),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=3, key_axis='centred', residual=16, group=64)),
    # Lloyd-Max levels for the rotated coordinates, one fp16 scale per 64 channels (levels='gaussian'): the same widths
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=2, key_axis='centred', residual=16, group=64, levels='gaussian')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, key_axis='centred', residual=16, group=64, levels='gaussian')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=3, key_axis='centred', residual=16, group=64, levels='gaussian')),
    ('sketch-quant', 1.0, dict(key_bits=3, value_bits=2, key_axis='centred', residual=8, group=64, levels='gaussian')),
    ('sketch-quant', 1.0, dict(key_bits=2, value_bits=1, key_axis='centred', residual=8, group=64, levels='gaussian')),
    # sketch-mixed without its upper tier: the same codes, its exact rows split between the most recent and the
    # sketch's heavy hitters
    ('sketch-mixed', 1.0, dict(key_bits=3, value_bits=2, residual=8, heavy=8, lift=0)),
    ('sketch-mixed', 1.0, dict(key_bits=2, value_bits=2, residual=8, heavy=8, lift=0)),
    ('sketch-mixed', 1.0, dict(key_bits=3, value_bits=2, residual=4, heavy=4, lift=0)),
    ('sketch-mixed', 1.0, dict(key_bits=2, value_bits=1, residual=4, heavy=4, lift=0)),
    # sketch-mixed at the bit budgets, ranking rows by their total attention or by its mean over the queries since
    # each row came (a total favours old rows, which every later query could attend to); a wider upper tier
    ('sketch-mixed', 0.09375, {}),
    ('sketch-mixed', 0.09375, dict(rank='mean')),
    ('sketch-mixed', 0.0625, dict(min_bits=1)),
    ('sketch-mixed', 0.0625, dict(min_bits=1, rank='mean')),
    ('sketch-mixed', 1.0, dict(key_bits=3, value_bits=2, residual=8, heavy=8, lift=0, rank='mean')),
    ('sketch-mixed', 0.09375, dict(lift=4)),
    # transformers' QuantizedCache at 2 bits, 32 recent rows exact (3.5 bits per element at 2K tokens)
    ('hf-quanto-int2', 1.0, dict(residual_length=32)),
    ('hf-hqq-int2', 1.0, dict(residual_length=32)),
    ('hf-quanto-int4', 1.0, {}),
    ('hf-quanto-int2', 1.0, dict(residual_length=32, axis_key=-1)),  # keys' scales per channel over groups of tokens (KIVI)
    ('hf-hqq-int2', 1.0, dict(residual_length=32, axis_key=1, axis_value=1)),  # HQQ's groups of each row's channels (axis 0: strided)
]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--context', type=int, default=512); ap.add_argument('--windows', type=int, default=4)
    ap.add_argument('--new-tokens', type=int, default=16)
    ap.add_argument('--only', default='', help='comma-separated indices of CONFIGS (default: all)')
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, tok = load_model()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    store, picks = ResultStore(OUT), [int(i) for i in a.only.split(',')] if a.only else range(len(CONFIGS))
    for i in picks:
        method, budget, params = CONFIGS[i]
        spec = dict(group=['quant-tuning'], task='ppl', method=method, budget=budget, params=params, context=a.context,
                    windows=a.windows, new_tokens=a.new_tokens, corpus='pydoc', model=EMBEDDED, device='cpu')
        if run_key(spec) in store.done(): continue
        rec = run_spec(spec, model, tok)
        store.append(rec)
        print(method, budget, params, {k: rec.get(k) for k in ('ppl_ratio', 'ppl_ratio_95ci', 'bits_per_element', 'seconds', 'error')},
              flush=True)

if __name__ == '__main__': main()
