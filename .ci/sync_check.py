"""Check that sketchkv/ is what the notebooks export and that the notebooks are nbdev-clean, without touching the tree.

`nbdev_export` and `nbdev_clean` run on a copy of settings.ini, setup.py, nbs/ and the package; any file they would
add, change or remove is named, with the command that fixes it. A generated module whose notebook is gone is
reported too.
"""
import difflib, hashlib, re, shutil, subprocess, sys, tempfile
from pathlib import Path

from nbdev.config import get_config

SKIP_PARTS = {'__pycache__', '.ipynb_checkpoints'}


def snapshot(root:Path, pattern:str):
    "Map each file under `root` matching `pattern` (relative path) to the sha256 of its bytes."
    if not root.exists(): return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob(pattern)) if p.is_file() and not SKIP_PARTS & set(p.parts)}


def changes(before:dict, after:dict):
    "Sorted `(status, path)` pairs for files added (A), modified (M) or deleted (D) between two snapshots."
    return sorted([('A', f) for f in after.keys() - before.keys()] + [('D', f) for f in before.keys() - after.keys()] +
                  [('M', f) for f in before.keys() & after.keys() if before[f] != after[f]], key=lambda o: o[1])


def show_diff(a:Path, b:Path, limit=30):
    "Print the first `limit` lines of a unified diff between text files `a` and `b`."
    old = a.read_text().splitlines() if a.exists() else []
    new = b.read_text().splitlines() if b.exists() else []
    lines = list(difflib.unified_diff(old, new, 'repo', 'exported', lineterm='', n=1))
    for l in lines[:limit]: print('      ' + l)
    if len(lines) > limit: print(f'      ... ({len(lines) - limit} more diff lines)')


def orphans(lib:Path, root:Path):
    "Generated modules in `lib` whose source notebook no longer exists."
    res = []
    for py in sorted(lib.rglob('*.py')):
        m = re.search(r'File to edit: (\S+\.ipynb)', py.read_text(errors='replace')[:500])
        if m and not (py.parent/m.group(1)).resolve().exists(): res.append((py.relative_to(root), m.group(1)))
    return res


def main():
    cfg = get_config()
    root, lib, nbs = cfg.config_path, cfg.path('lib_path'), cfg.path('nbs_path')
    bin_dir = Path(sys.executable).parent
    ok = True
    with tempfile.TemporaryDirectory(prefix='skv-sync-') as tmp:
        tmp = Path(tmp)
        for f in ('settings.ini', 'setup.py'): shutil.copy2(root/f, tmp/f)
        ign = shutil.ignore_patterns(*SKIP_PARTS)
        shutil.copytree(nbs, tmp/nbs.relative_to(root), ignore=ign)
        if lib.exists(): shutil.copytree(lib, tmp/lib.relative_to(root), ignore=ign)
        tlib, tnbs = tmp/lib.relative_to(root), tmp/nbs.relative_to(root)
        for cmd in ('nbdev_export', 'nbdev_clean'):
            r = subprocess.run([str(bin_dir/cmd)], cwd=tmp, capture_output=True, text=True)
            if r.returncode: print(f'sync: {cmd} failed:\n{r.stdout}{r.stderr}'); ok = False

        pkg = changes(snapshot(lib, '*.py'), snapshot(tlib, '*.py'))
        if pkg:
            ok = False
            print(f'sync: FAIL {lib.name}/ is out of date with the notebooks; run `nbdev_export` and commit:')
            for st, f in pkg:
                print(f'   {st} {lib.relative_to(root)/f}')
                if st != 'D': show_diff(lib/f, tlib/f)
        nb = changes(snapshot(nbs, '*.ipynb'), snapshot(tnbs, '*.ipynb'))
        if nb:
            ok = False
            print('sync: FAIL notebooks are not clean; run `nbdev_clean --fname <notebook>` on:')
            for st, f in nb: print(f'   {st} {nbs.relative_to(root)/f}')
    for py, src in orphans(lib, root):
        ok = False
        print(f'sync: FAIL {py} is generated from {src}, which no longer exists: delete the module or restore it')
    if ok: print(f'sync: OK {lib.name}/ matches the notebooks and every notebook is clean')
    sys.exit(0 if ok else 1)


if __name__ == '__main__': main()
