"""Run every notebook's tests with nbdev's runner, slow cells included, and close with `N passed, M failed`."""
import argparse, contextlib, io, os, signal, sys, time
from pathlib import Path

from fastcore.parallel import parallel
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.doclinks import nbglob
from nbdev.test import test_nb


def find_notebooks(nbs:Path):
    "Notebooks under `nbs`, recursively and sorted, skipping names and folders that start with `_` or `.`."
    return sorted(Path(p).resolve() for p in nbglob(nbs))


def run_one(fn:Path, skip_flags, force_flags, basepath, limit, root):
    "Test one notebook in this worker; print its PASS/FAIL line and return (ok, seconds, traceback text)."
    err = io.StringIO()
    def on_alarm(*_): raise TimeoutError(f'{fn.name} ran longer than the {limit} s limit')
    if limit: signal.signal(signal.SIGALRM, on_alarm); signal.alarm(limit)
    start = time.time()
    try:
        with contextlib.redirect_stderr(err):
            ok, _ = test_nb(fn, skip_flags=skip_flags, force_flags=force_flags, basepath=basepath, showerr=True)
    except BaseException as e: ok = False; err.write(f'{type(e).__name__}: {e}\n')
    finally:
        if limit: signal.alarm(0)
    secs = time.time() - start
    print(f"{'PASS' if ok else 'FAIL'}  {fn.relative_to(root)}  {secs:.1f} s", flush=True)
    return ok, secs, err.getvalue()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--flags', default='slow', help='test flags to run that are skipped by default (space separated)')
    p.add_argument('--n_workers', type=int, default=2, help='notebooks tested at once')
    p.add_argument('--timeout', type=int, default=1800, help='seconds one notebook may take (0: no limit)')
    p.add_argument('--summary_file', default='', help='also write the closing line to this file')
    p.add_argument('--path', default='', help='one notebook or folder (default: nbs_path from settings.ini)')
    a = p.parse_args()

    cfg = get_config()
    root, nbs = cfg.config_path, Path(a.path).resolve() if a.path else cfg.path('nbs_path')
    files = [nbs] if nbs.suffix == '.ipynb' else find_notebooks(nbs)
    if not files: sys.exit(f'nbtest: no notebooks found under {nbs}')
    force = a.flags.split()
    skip = [f for f in cfg.tst_flags.split() if f not in force]
    # Two notebooks at once on a small machine: split the cores between them rather than oversubscribe.
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // max(1, a.n_workers))))
    print(f"nbtest: {len(files)} notebooks, running flags {force or 'none'}, skipping {skip or 'none'}, "
          f"{a.n_workers} workers", flush=True)

    start = time.time()
    with working_directory(nbs if nbs.is_dir() else nbs.parent):
        res = parallel(run_one, files, skip_flags=skip, force_flags=force, basepath=root, limit=a.timeout,
                       root=root, n_workers=a.n_workers, pause=0.01, progress=False)
    res = list(res)
    failed = [(f, tb) for f, (ok, _, tb) in zip(files, res) if not ok]
    for f, tb in failed:
        print(f"\n{'=' * 30} FAILED {f.relative_to(root)} {'=' * 30}\n{tb.rstrip()}", flush=True)
    print(f"\nnbtest: {time.time() - start:.0f} s wall; slowest: " +
          ', '.join(f"{f.name} {r[1]:.0f} s" for f, r in sorted(zip(files, res), key=lambda o: -o[1][1])[:3]))
    line = f"{len(files) - len(failed)} passed, {len(failed)} failed"
    if a.summary_file: Path(a.summary_file).write_text(line + '\n')
    print(line, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    # Run as the importable module `nbtest`, so workers can unpickle the worker function by name: a worker that has
    # run a notebook has IPython's namespace in place of `__main__`.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import nbtest; nbtest.main()
