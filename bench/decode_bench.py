"""Decode benchmark (not a test): every method at one budget vs the full cache, in one run.

SmolLM2-135M on the CPU, a `--context`-token pydoc prompt, then `--new-tokens` greedy tokens. Each method runs in its
own child process (so peak RSS is its own) one after the other; the full cache runs first and last, and the ratios
use the mean of those two runs, so drift of this noisy machine over the run shows up as the spread of `full`.

Bookkeeping is the wall time spent in the method's own hooks (KVLayer.after_attention/observe/compress/attend_kv,
padding and bias construction), measured by wrapping them with a timer, as a share of the decode step time.

    python bench/decode_bench.py --context 2048 --new-tokens 128 --budget 0.2
"""
import argparse, json, multiprocessing as mp, time
from collections import defaultdict


_depth = [0]  # hooks call each other (compress -> gather, subclass -> super): only the outermost call is timed

def _timed(cls, name, acc):
    "Wrap `cls.name` so outermost calls add their wall time to acc[name]."
    fn = cls.__dict__.get(name)
    if fn is None: return
    def wrapper(*a, **k):
        _depth[0] += 1; t0 = time.perf_counter()
        try: return fn(*a, **k)
        finally:
            _depth[0] -= 1
            if _depth[0] == 0: acc[name] += time.perf_counter() - t0
    setattr(cls, name, wrapper)


def _instrument(acc):
    "Time every method hook defined on any KVLayer subclass, and the bias construction."
    import sketchkv.cache as C
    C._load_methods()
    def subclasses(c): return [c] + [s for sub in c.__subclasses__() for s in subclasses(sub)]
    for cls in subclasses(C.KVLayer):
        for name in ('after_attention', 'observe', 'compress', 'attend_kv', 'note_padding', 'gather'):
            _timed(cls, name, acc)
    bias = getattr(C, '_bias', None)
    if bias is None: return  # the mask's bias is built elsewhere: timed with the hooks above
    def timed_bias(*a, **k):
        _depth[0] += 1; t0 = time.perf_counter()
        try: return bias(*a, **k)
        finally:
            _depth[0] -= 1
            if _depth[0] == 0: acc['bias'] += time.perf_counter() - t0
    C._bias = timed_bias


def run_one(method, budget, context, new_tokens, threads, queue):
    import torch
    torch.set_num_threads(threads)
    from sketchkv.models import load_model
    from sketchkv.data import load_corpus, token_windows
    from sketchkv.cache import make_cache
    from sketchkv.decode import decode
    from sketchkv.experiments import fixed_budget
    from sketchkv.metrics import greedy_generate, LatencyTracker, MemoryTracker
    acc = defaultdict(float)
    _instrument(acc)
    model, tok = load_model('smollm2-135m', device='cpu')
    ids = token_windows(tok, load_corpus('pydoc'), context, 1)
    if fixed_budget(method): budget = 1.0  # full, int8, int4: their size is set by what they keep (all) and their bits
    fn = lambda: make_cache(model, method, budget=budget, context_length=context)
    lat, mem = LatencyTracker('cpu'), MemoryTracker('cpu')
    greedy_generate(model, ids, fn, 2)  # warm-up
    acc.clear()
    # the decode loop: a timed prefill, then `new_tokens` timed steps, the cache measured before each token
    for i, _ in enumerate(decode(model, fn(), ids, new_tokens + 1, latency=lat, memory=mem)):
        if i == 0: acc.clear()  # the hooks also run during prefill: count decode-step time only
    s, m = lat.summary(), mem.summary()
    step_total = sum(lat.step_s)
    queue.put(dict(method=method, budget=budget, context=context, new_tokens=new_tokens,
                   prefill_s=round(lat.prefill_s, 2), tok_s=round(s['tokens_per_s'], 2),
                   ms_per_token=round(s['decode_ms_median'], 2), bookkeeping_share=round(sum(acc.values()) / step_total, 4),
                   bookkeeping=dict((k, round(v / step_total, 4)) for k, v in acc.items()),
                   kv_bytes=m['cache_bytes'], kv_bytes_full=m['full_cache_bytes'], peak_rss_mb=round(m['peak_rss_bytes'] / 2**20, 1)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--context', type=int, default=2048)
    p.add_argument('--new-tokens', type=int, default=128)
    p.add_argument('--budget', type=float, default=0.2)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--method', action='append', help='methods to run (default: every registered one)')
    a = p.parse_args()
    from sketchkv.cache import methods
    names = a.method or [m['name'] for m in methods() if m['family'] != 'reference']
    ctx = mp.get_context('spawn')
    rows = []
    for name in ['full', *names, 'full']:
        q = ctx.Queue()
        proc = ctx.Process(target=run_one, args=(name, a.budget, a.context, a.new_tokens, a.threads, q))
        proc.start(); row = q.get(); proc.join()
        rows.append(row)
        print(json.dumps(row), flush=True)
    full = [r for r in rows if r['method'] == 'full']
    tok_full = sum(r['tok_s'] for r in full) / len(full)
    print(f"\nfull cache: {tok_full:.1f} tok/s (runs: {', '.join(str(r['tok_s']) for r in full)})")
    print(f"{'method':<24}{'tok/s':>8}{'speedup':>9}{'bookkeeping':>13}{'kv bytes ratio':>16}{'peak RSS MB':>13}")
    for r in rows[1:-1]:
        print(f"{r['method']:<24}{r['tok_s']:>8.1f}{r['tok_s'] / tok_full:>9.2f}{r['bookkeeping_share']:>13.1%}"
              f"{r['kv_bytes'] / r['kv_bytes_full']:>16.3f}{r['peak_rss_mb']:>13.0f}")


if __name__ == '__main__':
    main()
