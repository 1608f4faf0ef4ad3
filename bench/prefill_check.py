"""Prefill time and peak memory of the scored methods against the window, in one process on one thread (issue 12, item 3).

    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python bench/prefill_check.py            # 8192 tokens, 2 rounds (~15 min)
    OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1 .venv/bin/python bench/prefill_check.py --tokens 512 --rounds 1   # a quick smoke run

The embedded SmolLM2-135M prefills one pydoc window of `--tokens` tokens through `make_cache(model, m, budget=0.2)`,
interleaved with the window method (window, m, window, m, ...), so every method's time is paired with a window run
next to it; the ratio printed is the median of those pairs. The peak is each prefill's resident-memory high-water mark
(VmHWM, reset before the call through /proc/self/clear_refs) minus the resident memory after loading the model, before
any call. Linux only. Target (issue 12): every ratio <= 1.5.
"""
import argparse, re, statistics, time
import torch
from sketchkv.experiments import get_model, windows_of
from sketchkv.cache import make_cache
from sketchkv.decode import feed

SCORED = ('h2o', 'sketch-topk', 'sketch-hybrid', 'adaptive')

def status_bytes(field:str): # 'VmRSS' or 'VmHWM'
    "A memory field of /proc/self/status, in bytes."
    return int(re.search(rf'{field}:\s+(\d+) kB', open('/proc/self/status').read()).group(1)) * 1024

def prefill(model, method:str, ids, budget:float): # model, registry name, (1, n) ids, budget
    "Seconds and peak resident bytes of one prefill of `ids` through a fresh `method` cache."
    cache = make_cache(model, method, budget=budget, context_length=ids.shape[1])
    open('/proc/self/clear_refs', 'w').write('5')  # VmHWM := VmRSS now
    start = time.perf_counter()
    with torch.no_grad(): feed(model, cache, ids, 0)
    return time.perf_counter() - start, status_bytes('VmHWM')

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tokens', type=int, default=8192); p.add_argument('--rounds', type=int, default=2)
    p.add_argument('--budget', type=float, default=0.2); p.add_argument('--methods', nargs='+', default=list(SCORED))
    a = p.parse_args()
    torch.set_num_threads(1)
    model, tok = get_model('smollm2-135m')
    ids = windows_of(tok, 'pydoc', a.tokens, 1)  # (1, tokens)
    base = status_bytes('VmRSS')  # the weights (and the interpreter) before any call
    print(f"tokens={a.tokens} budget={a.budget} rounds={a.rounds} threads={torch.get_num_threads()} "
          f"baseline RSS {base / 2**20:.0f} MB", flush=True)
    runs = {m: [] for m in ['window', *a.methods]}  # name -> [(seconds, peak bytes above baseline, paired window seconds)]
    for r in range(a.rounds):
        for m in a.methods:
            tw, hw = prefill(model, 'window', ids, a.budget)
            tm, hm = prefill(model, m, ids, a.budget)
            runs['window'].append((tw, hw - base, tw)); runs[m].append((tm, hm - base, tw))
            print(f"  round {r}: window {tw:.1f} s {(hw - base) / 2**20:.0f} MB | {m} {tm:.1f} s {(hm - base) / 2**20:.0f} MB", flush=True)
    med = lambda xs: statistics.median(xs)
    w_s, w_mb = med([s for s, _, _ in runs['window']]), med([b for _, b, _ in runs['window']])
    print(f"{'method':<14} {'prefill s':>9} {'/window':>8} {'peak MB':>8} {'/window':>8}")
    for m, rs in runs.items():
        ratio = med([s / w for s, _, w in rs]); peak = med([b for _, b, _ in rs])
        print(f"{m:<14} {med([s for s, _, _ in rs]):>9.1f} {ratio:>8.2f} {peak / 2**20:>8.0f} {peak / w_mb:>8.2f}")

if __name__ == '__main__': main()
