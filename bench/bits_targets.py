"""The keep-every-token targets on WikiText-2, with the evidence harness's sizes: sketch-quant and sketch-mixed at the bit
budgets, and transformers' QuantizedCache beside them.

Each config is one run of the grid's tasks (perplexity: 8 spread windows of 2048 tokens, every prediction through the
cache, against the full cache on the same windows, with a 95% bootstrap interval; passkey: 30 seeded prompts of 4096
tokens with Wilson intervals, and multi-key retrieval on 30 more), one JSON line in `nbs/results/bits-targets/results.jsonl`; a rerun skips finished
configs, so a killed run resumes. The parameters were chosen on the Python reference (bench/quant_tuning.py), never
here. Budgets are fractions of the float32 cache: 0.0625 is 2 bits per element, 0.09375 is 3, everything counted.

    OMP_NUM_THREADS=1 python bench/bits_targets.py [--only 0,2] [--threads 2]
"""
import argparse
from pathlib import Path
import torch
from sketchkv.models import load_model, EMBEDDED
from sketchkv.grid import ResultStore, run_spec, run_key, run_retrieval_specs

OUT = Path(__file__).resolve().parent.parent/'nbs'/'results'/'bits-targets'
CENTRED = dict(key_axis='centred', residual=16, group=64)  # the pydoc tuning's pick for small budgets
GAUSSIAN = dict(key_axis='centred', residual=8, group=64, levels='gaussian')  # Lloyd-Max levels, a scale per row and head;
# residual 8: the most exact rows at which keys 3 / values 2 fit 3 bits per element at 2K tokens (planned_bytes)
PPL = dict(task='ppl', context=2048, windows=8, corpus='wikitext2')
PASSKEY = dict(task='passkey', context=4096, trials=30)
MULTIKEY = dict(task='multikey', context=4096, trials=30)  # RULER-style: several keys hidden, one asked for
CONFIGS = [  # (sizes, method, budget, params)
    (PPL, 'sketch-quant', 0.09375, CENTRED),
    (PPL, 'sketch-quant', 0.0625, CENTRED),
    (PPL, 'sketch-quant', 0.125, {}),  # KIVI-style keys per channel: the narrowest budget they fit at 2K tokens
    (PASSKEY, 'full', 1.0, {}),
    (PASSKEY, 'sketch-quant', 0.09375, CENTRED),
    (PPL, 'sketch-quant', 0.09375, GAUSSIAN),
    (PPL, 'sketch-quant', 0.0625, dict(GAUSSIAN, min_bits=1)),  # at 2 bits a 2-bit code and its scale alone are 2.25
    (PASSKEY, 'sketch-quant', 0.09375, GAUSSIAN),
    (PPL, 'sketch-mixed', 0.09375, {}),  # its defaults: Gaussian levels, 8 recent + 8 heavy exact, an upper tier 2 bits wider
    (PPL, 'sketch-mixed', 0.0625, dict(min_bits=1)),
    (PASSKEY, 'sketch-mixed', 0.09375, {}),
    (PASSKEY, 'sketch-mixed', 0.0625, dict(min_bits=1)),
    (MULTIKEY, 'full', 1.0, {}),
    (MULTIKEY, 'sketch-mixed', 0.0625, dict(min_bits=1)),
    (MULTIKEY, 'sketch-mixed', 0.09375, {}),
    # transformers' own QuantizedCache (nbs/46_hfquant): its defaults (128 recent rows exact, an fp32 scale and shift
    # per 64 elements), and 32 recent rows (3.5 bits per element at 2K tokens)
    (PPL, 'hf-quanto-int2', 1.0, dict(residual_length=32)),
    (PASSKEY, 'hf-quanto-int2', 1.0, dict(residual_length=32)),
    (MULTIKEY, 'hf-quanto-int2', 1.0, dict(residual_length=32)),
    (PPL, 'hf-quanto-int2', 1.0, {}),
    (PPL, 'hf-hqq-int2', 1.0, dict(residual_length=32, axis_key=1, axis_value=1)),  # HQQ's axis 1: each row's channels
    (PPL, 'hf-quanto-int4', 1.0, {}),
    # sketch-mixed ranking rows by their mean attention since they came (the Python reference's pick at 2K tokens)
    (PPL, 'sketch-mixed', 0.09375, dict(rank='mean')),
    (PPL, 'sketch-mixed', 0.0625, dict(min_bits=1, rank='mean')),
    (PASSKEY, 'sketch-mixed', 0.0625, dict(min_bits=1, rank='mean')),
    (MULTIKEY, 'sketch-mixed', 0.0625, dict(min_bits=1, rank='mean')),
]

def spec_of(i): # index into CONFIGS
    sizes, method, budget, params = CONFIGS[i]
    return dict(group=['bits-targets'], method=method, budget=budget, params=params, **sizes, model=EMBEDDED, device='cpu')

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--only', default='', help='comma-separated indices of CONFIGS (default: all)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads (2 on an idle 2-core machine)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, tok = load_model()
    OUT.mkdir(parents=True, exist_ok=True)
    store = ResultStore(OUT/'results.jsonl')
    picks = [int(i) for i in a.only.split(',')] if a.only else range(len(CONFIGS))
    todo = [spec_of(i) for i in picks if run_key(spec_of(i)) not in store.done()]
    def emit(rec):
        store.append(rec)
        print(rec['task'], rec['method'], rec['budget'], rec['params'],
              {k: rec.get(k) for k in ('ppl_ratio', 'ppl_ratio_95ci', 'accuracy', 'accuracy_95ci', 'bits_per_element', 'seconds', 'error')}, flush=True)
    for spec in (s for s in todo if s['task'] == 'ppl'): emit(run_spec(spec, model, tok))
    retrieval = [s for s in todo if s['task'] != 'ppl']
    if retrieval: run_retrieval_specs(retrieval, model, tok, ResultStore(OUT/'trials.jsonl'), emit)

if __name__ == '__main__': main()
