"""Build sketchkv's static documentation site in _site/ without Quarto and without touching nbs/.

1. Copy nbs/ to a temporary folder and execute each notebook there in-process (execnb, as nbdev's tests do), in the
   real nbs/ folder as working directory, slow cells included; export cells (`nbdev_export()`) and `eval: false`
   cells are skipped, and a notebook stops at its first error. Cells that mix imports with other code are marked
   `eval: false` in the copy: nbdev would otherwise run them a second time while building the API docs. Experiment notebooks read their saved results from disk, so nothing heavy reruns.
2. Run nbdev's own doc processing (`nbdev.serve.proc_nbs`) on the executed copies: it writes _proc/, with
   `show_doc` output for exported code, `#| hide` and `#| export` cells removed and the title as frontmatter.
3. Render each _proc notebook with nbconvert into _site/<output-file> (the page nbdev/Quarto would write: the
   notebook's name without its number, e.g. 00_core.ipynb -> core.html), honouring the Quarto cell options
   `echo`, `output`, `include` and `output: asis`, with plots embedded as base64 PNG and a sidebar of every page.
   Formulas are typeset by a copy of MathJax in _site/assets/ (`--mathjax`, installed by `make docs` from npm), so
   pages opened as local files render them without the network.
"""
import argparse, ast, copy, os, re, shutil, signal, sys, tempfile, time, traceback
from html import escape as html_escape
from pathlib import Path

import nbformat, yaml
from fastcore.parallel import parallel
from fastcore.xtras import working_directory
from nbdev.config import get_config
from nbdev.doclinks import nbglob, _nbpath2html

HERE = Path(__file__).resolve().parent
SKIP_PARTS = ('.ipynb_checkpoints', '__pycache__')
MATH_JS = 'assets/mathjax/tex-svg-full.js'  # MathJax 3 with every TeX extension and SVG output: one file, no fonts


# ---------------------------------------------------------------------------------------------- 1. execute copies
def _directives(source:str):
    "Leading `#| key: value` cell options of `source` as a dict (bare flags map to ''), and the code after them."
    opts, lines = {}, source.splitlines(True)
    i = 0
    while i < len(lines) and re.match(r'\s*#\|', lines[i]):
        body = re.sub(r'^\s*#\|\s*', '', lines[i]).strip()
        k, _, v = body.partition(':')
        if k.strip(): opts[k.strip().lower()] = v.strip().strip('"\'').lower()
        i += 1
    return opts, ''.join(lines[i:])


def _frontmatter(nb):
    "nbdev frontmatter of a processed notebook: the YAML in its first raw cell, or {}."
    for c in nb.cells[:1]:
        m = re.match(r'\s*---\s*\n(.*?)\n---', c.source, re.S) if c.cell_type == 'raw' else None
        if m: return yaml.safe_load(m.group(1)) or {}
    return {}


def mixes_imports(source:str):
    "Whether nbdev's doc processing would execute this non-exported code cell for containing an import (nbdev's rule)."
    opts, code = _directives(source)
    if opts.keys() & {'export', 'exports', 'exporti', 'exec_doc'} or opts.get('eval') == 'false': return False
    if 'nbdev_export' + '()' in code: return False
    try: nodes = list(ast.walk(ast.parse(re.sub(r'(?m)^\s*[%!].*$', '', code))))
    except SyntaxError: return False
    has = lambda types: any(isinstance(n, types) for n in nodes)
    return has((ast.Import, ast.ImportFrom)) and has((ast.Expr, ast.Assign))


def execute(fn:Path, src_dir:Path, dst_dir:Path, limit:int, skip_flags=()):
    "Execute notebook `fn` (under `src_dir`) into the same relative path under `dst_dir`; return (rel, secs, errors)."
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    from nbdev.process import NBProcessor
    from nbdev.frontmatter import FrontmatterProc
    rel, start, errors = fn.relative_to(src_dir), time.time(), []
    fm = getattr(NBProcessor(fn, procs=FrontmatterProc, process=True).nb, 'frontmatter_', {}) or {}
    nb = read_nb(fn)
    if str(fm.get('skip_exec', '')).lower() in ('true', '1', 'yes'):
        write_nb(nb, dst_dir/rel); return str(rel), 0., []

    def skip(cell):
        if cell.cell_type != 'code': return True
        cell.outputs = []
        if 'nbdev_export' + '(' in cell.source: return True
        opts = _directives(cell.source)[0]
        return opts.get('eval') == 'false' or bool(set(skip_flags) & opts.keys())
    def check(cell):
        for o in cell.get('outputs', []):
            if o.get('output_type') == 'error':
                tb = ''.join(o.get('traceback', [])).rstrip().splitlines()
                errors.append(f"cell {cell.idx_}: {o.get('ename')}: {o.get('evalue')}\n    " + '\n    '.join(tb[-12:]))
        if time.time() - start > limit: raise TimeoutError(f'{rel} ran longer than the {limit} s limit')
    def on_alarm(*_): raise TimeoutError(f'{rel} ran longer than the {limit} s limit')

    signal.signal(signal.SIGALRM, on_alarm); signal.alarm(limit)
    try:
        shell = CaptureShell(fn)
        # Stop at the first error, as nbdev's tests do: later cells would only fail in its wake.
        with working_directory(fn.parent): shell.run_all(nb, exc_stop=True, preproc=skip, postproc=check)
    except BaseException as e:
        if not errors: errors.append(f'{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}')
    finally: signal.alarm(0)
    for cell in nb.cells:
        if mixes_imports(cell.source):  # already run above; stop nbdev's doc processing from running it again
            cell.source = '#| eval: false\n' + cell.source
            print(f'docs: note: {rel} cell {cell.idx_} mixes imports with other code, so nbdev would run it again '
                  'to build the API docs; it is kept from running (give its imports a cell of their own)', flush=True)
    write_nb(nb, dst_dir/rel)
    secs = time.time() - start
    print(f"{'ok   ' if not errors else 'ERROR'} executed {rel}  {secs:.1f} s" +
          ''.join(f'\n  {e}' for e in errors), flush=True)
    return str(rel), secs, errors


# ------------------------------------------------------------------------------------------------- 3. render pages
def _asis_markdown(outputs):
    "Markdown for an `output: asis` cell: the outputs' markdown (or HTML, or plain text) taken as page content."
    parts = []
    for o in outputs:
        if o.output_type == 'stream': parts.append(''.join(o.text))
        elif 'data' in o:
            d = o.data
            parts.append(d.get('text/markdown') or d.get('text/html') or d.get('text/plain') or '')
    return '\n\n'.join(p if isinstance(p, str) else ''.join(p) for p in parts if p)


_re_fence = re.compile(r'^:::+.*$\n?', re.M)  # Quarto fenced-div markers; their content stays
_re_link_attrs = re.compile(r'\[([^\]\n]+)\]\(([^)\s]+)\)\{([^}\n]*)\}')  # [text](url){target="_blank" ...}
_re_head_attrs = re.compile(r'^(#+ .*?)\s*\{[#.][^}\n]*\}\s*$', re.M)  # ## Heading {#id .class}


def pandoc_to_commonmark(md:str):
    "Drop the Pandoc/Quarto-only syntax that nbdev writes (fenced divs, attribute lists) from markdown `md`."
    md = _re_fence.sub('', md)
    md = _re_link_attrs.sub(r'[\1](\2)', md)  # show_doc's source link; render() styles it
    return _re_head_attrs.sub(r'\1', md)


def page_cells(nb):
    "The cells of processed notebook `nb` as a reader sees them, with Quarto's cell options applied."
    cells = []
    for i, c in enumerate(nb.cells):
        if i == 0 and c.cell_type == 'raw' and _frontmatter(nb): continue
        if c.cell_type == 'markdown':
            if 'THIS FILE WAS AUTOGENERATED' in c.source and len(c.source) < 100: continue
            c.source = pandoc_to_commonmark(c.source)
            cells.append(c); continue
        if c.cell_type != 'code': continue
        opts, body = _directives(c.source)
        if opts.get('include') == 'false' or 'hide' in opts: continue
        if opts.get('output') == 'false': c.outputs = []
        c.source = body.strip('\n')
        show_src = bool(c.source.strip()) and opts.get('echo') != 'false'
        if opts.get('output') == 'asis':
            md = _asis_markdown(c.outputs)
            if show_src: c.outputs = []; cells.append(c)
            if md.strip(): cells.append(nbformat.v4.new_markdown_cell(pandoc_to_commonmark(md)))
            continue
        if not show_src:
            if not c.outputs: continue
            c.metadata['transient'] = {'remove_source': True}
        cells.append(c)
    return cells


def inline_md(text:str):
    "HTML for one line of prose: escaped, with `code` spans."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', html_escape(text))


def render(exporter, nb, out:Path, site:Path, pages, title, description, cfg, footer):
    "Write `nb` as the HTML page `out` under `site`, with the sidebar of `pages`, rewriting doc links to be local."
    here = out.parent
    rel = lambda p: os.path.relpath(site/p, here)
    root = '' if here == site else os.path.relpath(site, here) + '/'
    res = {'metadata': {'name': title, 'path': str(here)},
           'skv': dict(css=(HERE/'site_template/skv/site.css').read_text(), root=root, title=title,
                       mathjax=root + MATH_JS, description=inline_md(description), site_title=cfg.title, footer=footer,
                       pages=[dict(title=p['title'], href=rel(p['page']), current=site/p['page'] == out) for p in pages])}
    html, _ = exporter.from_notebook_node(nb, resources=res)
    prefix = cfg.doc_host.rstrip('/') + '/' + cfg.doc_baseurl.strip('/') + '/'
    html = html.replace(f'href="{prefix}', f'href="{root}').replace(f"href='{prefix}", f"href='{root}")
    html = re.sub(r'<a href="([^"]+)">source</a>', r'<a class="skv-source" href="\1" target="_blank">source</a>', html)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding='utf-8')


def make_exporter():
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name='skv', extra_template_basedirs=[str(HERE/'site_template')],
                        exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True)


def contents_nb(pages):
    "A notebook with one markdown cell: a table linking every page, with its description."
    rows = '\n'.join(f"| [{p['title']}]({p['page']}) | {p['description']} |" for p in pages)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f'<div class="skv-contents">\n\n| page | about |\n|---|---|\n{rows}\n\n</div>')]
    return nb


def mathjax_bundle(mathjax:Path):
    "The single-file TeX-to-SVG bundle in npm package folder `mathjax`; exits saying how to get it if it is missing."
    src = mathjax/'es5'/Path(MATH_JS).name
    if not src.is_file():
        sys.exit(f'docs: no MathJax bundle at {src}: pass --mathjax the folder of the npm package mathjax 3 '
                 '(`make docs` installs it into .cache/)')
    return src


def copy_mathjax(mathjax:Path, site:Path):
    "Copy MathJax's bundle and its licence from npm package folder `mathjax` to `MATH_JS` under `site`."
    (site/MATH_JS).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax_bundle(mathjax), site/MATH_JS)
    shutil.copy2(mathjax/'LICENSE', (site/MATH_JS).parent/'LICENSE')


# ---------------------------------------------------------------------------------------------------- 3. the site
def render_site(files, nbs:Path, site:Path, proc:Path, cfg, mathjax:Path):
    "Render the processed copies in `proc` of notebooks `files` into `site`, with an index, a sidebar and MathJax."
    missing = [f.relative_to(nbs) for f in files if not (proc/f.relative_to(nbs)).exists()]
    if missing: sys.exit(f'docs: {proc.name}/ lacks {", ".join(map(str, missing))}: run without --render_only')
    pages = []
    for f in files:
        rel = f.relative_to(nbs)
        nb = nbformat.read(proc/rel, as_version=4)
        fm = _frontmatter(nb)
        page = rel.parent/(fm.get('output-file') or _nbpath2html(rel).name)
        pages.append(dict(src=rel, nb=nb, page=page, title=str(fm.get('title') or rel.stem),
                          description=str(fm.get('description') or '')))
    index = next((p for p in pages if p['page'] == Path('index.html')), None)
    if index: index['title'] = 'Home'  # its own title is shown on the page; the sidebar says where it leads
    pages.sort(key=lambda p: (p is not index, str(p['src'])))

    if site.exists(): shutil.rmtree(site)
    site.mkdir()
    copy_mathjax(mathjax, site)
    for f in proc.rglob('*'):  # images and other files the notebooks refer to
        if f.is_file() and f.suffix != '.ipynb' and f.name not in ('_quarto.yml', '_brand.yml'):
            (site/f.relative_to(proc)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, site/f.relative_to(proc))
    exporter = make_exporter()
    footer = f'{cfg.title} {cfg.version}. Built from the notebooks by make docs.'
    for p in pages:
        nb = copy.deepcopy(p['nb'])
        nb.cells = page_cells(nb)
        title = cfg.title if p is index else p['title']
        render(exporter, nb, site/p['page'], site, pages, title, p['description'], cfg, footer)
    if not index:
        render(exporter, contents_nb(pages), site/'index.html', site, pages, cfg.title, cfg.description, cfg, footer)
    return len(pages)


# ---------------------------------------------------------------------------------------------- 1+2. build _proc/
def execute_and_process(files, nbs:Path, n_workers:int, limit:int, skip_flags=()):
    "Execute `files` on copies of `nbs` and run nbdev's `proc_nbs` on the copies into _proc/; return the results."
    from nbdev.serve import proc_nbs
    with tempfile.TemporaryDirectory(prefix='skv-docs-') as tmp:
        stage = Path(tmp)/'nbs'
        # nbs/_quarto.yml (a link to the top-level file, which Quarto reads at the top level) stays out of _proc/
        shutil.copytree(nbs, stage, ignore=shutil.ignore_patterns(*SKIP_PARTS, '_quarto.yml'))
        print(f'docs: executing {len(files)} notebooks ({n_workers} workers)', flush=True)
        t0 = time.time()
        results = list(parallel(execute, files, src_dir=nbs, dst_dir=stage, limit=limit, skip_flags=skip_flags,
                                n_workers=n_workers, pause=0.01, progress=False))
        print(f'docs: executed in {time.time() - t0:.0f} s; running nbdev proc_nbs', flush=True)
        t0 = time.time()
        try: proc_nbs(path=str(stage), force=True, n_workers=n_workers)
        except Exception as e:
            sys.exit(f'docs: nbdev doc processing (proc_nbs) failed: {str(e).splitlines()[0]}\n'
                     '  nbdev runs every cell that contains an import (with only the exported and import cells before '
                     'it) to build the API docs: keep imports in their own cells (see the warnings above).')
        print(f'docs: proc_nbs {time.time() - t0:.0f} s', flush=True)
    return results


# ------------------------------------------------------------------------------------------------------------ main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n_workers', type=int, default=2, help='notebooks executed at once')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds one notebook may take to execute')
    ap.add_argument('--keep_going', action='store_true', help='exit 0 even if a notebook raised while executing')
    ap.add_argument('--flags', default='slow', help='test flags whose cells run (the other tst_flags are skipped)')
    ap.add_argument('--render_only', action='store_true', help='only re-render _site/ from the existing _proc/')
    ap.add_argument('--mathjax', type=Path, required=True,
                    help='folder of the npm package mathjax 3, copied into the site (make docs passes it)')
    a = ap.parse_args()
    mathjax_bundle(a.mathjax)  # fail before executing anything

    cfg = get_config()
    root, nbs = cfg.config_path, cfg.path('nbs_path')
    files = sorted(Path(p).resolve() for p in nbglob(nbs))
    if not files: sys.exit(f'docs: no notebooks found under {nbs}')
    site, proc = root/'_site', root/'_proc'
    t0 = time.time()
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, (os.cpu_count() or 1) // max(1, a.n_workers))))

    force = a.flags.split()
    skip = [f for f in cfg.tst_flags.split() if f not in force]  # e.g. `cuda` cells on a machine without a GPU
    results = [] if a.render_only else execute_and_process(files, nbs, a.n_workers, a.timeout, skip)
    t2 = time.time()

    n_pages = render_site(files, nbs, site, proc, cfg, a.mathjax)
    t3 = time.time()

    errors = [(rel, e) for rel, _, errs in results for e in errs]
    for rel, e in errors: print(f'docs: ERROR in {rel}: {e.splitlines()[0]}')
    slowest = ', '.join(f'{r} {s:.0f} s' for r, s, _ in sorted(results, key=lambda o: -o[1])[:3])
    print(f"docs: {n_pages} pages in {site.relative_to(root)}/ in {t3 - t0:.0f} s (render {t3 - t2:.0f} s)" +
          (f'; slowest notebooks: {slowest}' if slowest else ''))
    if errors and not a.keep_going:
        sys.exit(f'docs: {len(errors)} cell errors while executing notebooks; the pages show them (see above)')


if __name__ == '__main__':
    # Run as the importable module `docs`, so workers can unpickle the worker function by name: a worker that has
    # run a notebook has IPython's namespace in place of `__main__`.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import docs; docs.main()
