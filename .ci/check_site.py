"""Check the static site in _site/: one page per notebook, index.html links to every page, plots are embedded."""
import re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def expected_page(nb:Path, nbs:Path):
    "The page nbdev names for notebook `nb`: its path under nbs/ without the number prefix, as .html."
    return (nb.relative_to(nbs).parent/re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.name.lower())).with_suffix('.html').as_posix()


def notebooks(nbs:Path):
    "Notebooks nbdev documents: recursively, skipping files and folders whose names start with `_` or `.`."
    return sorted(p for p in nbs.rglob('*.ipynb')
                  if not any(part[0] in '_.' for part in p.relative_to(nbs).parts))


def main():
    nbs, site = ROOT/'nbs', ROOT/'_site'
    problems = []
    nb_files = notebooks(nbs)
    want = {expected_page(f, nbs): f.relative_to(ROOT).as_posix() for f in nb_files}
    have = {p.relative_to(site).as_posix() for p in site.rglob('*.html')} if site.exists() else set()
    if not nb_files: problems.append('no notebooks found under nbs/')
    for page, nb in sorted(want.items()):
        if page not in have: problems.append(f'{nb} has no page _site/{page}')
    extra = have - set(want) - {'index.html'}
    if extra: problems.append(f'pages without a notebook: {sorted(extra)}')
    pages = len(have & set(want))
    if pages != len(want): problems.append(f'{len(want)} notebooks but {pages} matching pages')

    index = site/'index.html'
    if not index.exists(): problems.append('_site/index.html is missing')
    else:
        links = set(re.findall(r'href="([^"#?]+)', index.read_text(encoding='utf-8')))
        for page in sorted(want):
            if page != 'index.html' and page not in links: problems.append(f'index.html does not link to {page}')
    img = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,')  # an image in the page, not an icon in the CSS
    pngs = {p.relative_to(site).as_posix(): len(img.findall(p.read_text(encoding='utf-8'))) for p in site.rglob('*.html')}
    if not sum(pngs.values()): problems.append('no page embeds a PNG (data:image/png;base64): the plots are missing')
    for p in sorted(have):
        text = (site/p).read_text(encoding='utf-8')
        if re.search(r'>\s*#\|', text): problems.append(f'{p} shows a raw `#|` cell directive')
        if 'jp-OutputArea-output' in text and 'Traceback (most recent call last)' in text:
            problems.append(f'{p} shows a Python traceback')

    for p in problems: print(f'check_site: FAIL {p}')
    print(f"check_site: {'FAIL' if problems else 'OK'} {len(want)} notebooks, {len(have)} pages, "
          f"{sum(pngs.values())} embedded PNGs on {sum(1 for v in pngs.values() if v)} pages")
    sys.exit(1 if problems else 0)


if __name__ == '__main__': main()
