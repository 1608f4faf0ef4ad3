"""Write README.md from nbs/index.ipynb: markdown cells as they are, code cells' Markdown output rendered.

    python .ci/readme.py            # rewrite README.md
    python .ci/readme.py --check    # exit 1 if README.md is not what the notebook gives
"""
import sys
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
nb = read_nb('nbs/index.ipynb')
CaptureShell().run_all(nb)
parts = []
for c in nb.cells:
    if c.cell_type == 'markdown': parts.append(c.source)
    for o in c.get('outputs') or []:
        md = o['data'].get('text/markdown') if 'data' in o else None
        if md: parts.append(''.join(md))
text = '<!-- generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file -->\n' + '\n\n'.join(parts) + '\n'
if '--check' not in sys.argv: open('README.md', 'w').write(text)
elif open('README.md').read() != text:
    sys.exit('readme: FAIL README.md is out of date with nbs/index.ipynb; run `make readme` and commit')
else: print('readme: OK README.md matches nbs/index.ipynb')
