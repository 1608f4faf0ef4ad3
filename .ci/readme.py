"""Write README.md from nbs/index.ipynb: markdown cells as they are, the code a reader runs as Python blocks, and
code cells' Markdown output rendered.

    python .ci/readme.py            # rewrite README.md
    python .ci/readme.py --check    # exit 1 if README.md is not what the notebook gives
"""
import sys
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
from docs import _directives  # the docs build's reading of `#| key: value` cell options

def shown_code(source:str):
    "The cell's code without its directive lines, or None when the docs do not show it (`hide`, `echo: false`)."
    opts, code = _directives(source)
    if 'hide' in opts or opts.get('echo') == 'false': return None
    return code.strip() or None

nb = read_nb('nbs/index.ipynb')
CaptureShell().run_all(nb)
parts, code = [], []  # consecutive shown code cells become one block
for c in nb.cells:
    src = shown_code(c.source) if c.cell_type == 'code' else None
    if src: code.append(src); continue
    if code: parts.append('```python\n' + '\n\n'.join(code) + '\n```'); code = []
    if c.cell_type == 'markdown': parts.append(c.source)
    for o in c.get('outputs') or []:
        md = o['data'].get('text/markdown') if 'data' in o else None
        if md: parts.append(''.join(md))
if code: parts.append('```python\n' + '\n\n'.join(code) + '\n```')
text = '<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->\n' + '\n\n'.join(parts) + '\n'
if '--check' not in sys.argv: open('README.md', 'w').write(text)
elif open('README.md').read() != text:
    sys.exit('readme: FAIL README.md is out of date with nbs/index.ipynb; run `make readme` and commit')
else: print('readme: OK README.md matches nbs/index.ipynb')
