"""Check the static site in _site/: one page per notebook, index.html links to every page, plots are embedded, and
every page works offline: nothing it loads lies outside the site, and the MathJax it loads is there."""
import re, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def expected_page(nb:Path, nbs:Path):
    "The page nbdev names for notebook `nb`: its path under nbs/ without the number prefix, as .html."
    return (nb.relative_to(nbs).parent/re.sub(r'^\d+[a-zA-Z0-9]*_', '', nb.name.lower())).with_suffix('.html').as_posix()


def notebooks(nbs:Path):
    "Notebooks nbdev documents: recursively, skipping files and folders whose names start with `_` or `.`."
    return sorted(p for p in nbs.rglob('*.ipynb')
                  if not any(part[0] in '_.' for part in p.relative_to(nbs).parts))


_re_external = re.compile(r'^\s*(https?:|//)', re.I)  # a URL with a host: the network, not the site
_re_css_url = re.compile(r'@import\s+(?:url\(\s*)?["\']?([^"\')\s;]+)|url\(\s*["\']?([^"\')\s]+)', re.I)


def css_urls(css:str):
    "The URLs that CSS text `css` loads through `@import` and `url(...)`."
    return [a or b for a, b in _re_css_url.findall(css)]


class _Loads(HTMLParser):
    "Collects what an HTML page refers to: (tag, attribute, URL) for every src, href and CSS url()/@import."
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self._in_style = [], False
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('src', 'href') and v is not None: self.refs.append((tag, k, v))
            if k == 'style' and v: self.refs += [(tag, 'style', u) for u in css_urls(v)]
        self._in_style = tag == 'style'
    def handle_endtag(self, tag): self._in_style = False
    def handle_data(self, data):
        if self._in_style: self.refs += [('style', 'url', u) for u in css_urls(data)]


def page_refs(html:str):
    "(tag, attribute, URL) for everything page `html` refers to; `a` tags are links a reader may follow, not loads."
    p = _Loads(); p.feed(html); p.close()
    return p.refs


def local_target(url:str, page:Path, site:Path):
    "The file under `site` that relative `url` on `page` names, or None if it points outside `site`."
    target = (page.parent/unquote(urlsplit(url).path)).resolve()
    return target if target.is_relative_to(site.resolve()) else None


def is_inline(url:str):
    "Whether `url` needs no file: an in-page `#anchor` or `?query`, or a data:, blob:, about: or javascript: URL."
    return not urlsplit(url.strip()).path or bool(re.match(r'\s*(data|blob|about|javascript):', url, re.I))


def load_problems(page:Path, site:Path):
    "What `page` loads from outside `site` or misses in it, whether it lacks the site's MathJax, and its links out."
    rel, problems, n_links = page.relative_to(site).as_posix(), [], 0
    refs = page_refs(page.read_text(encoding='utf-8'))
    for tag, attr, url in refs:
        where = f'{rel} loads {url} (<{tag} {attr}>)'
        if tag == 'a': n_links += bool(_re_external.match(url))  # followed by a reader, not loaded by the page
        elif _re_external.match(url): problems.append(f'{where} from outside the site')
        elif not is_inline(url):
            target = local_target(url, page, site)
            if target is None or not target.is_file(): problems.append(f'{where}, which is not a file in _site/')
    if not any(tag == 'script' and 'mathjax' in url.lower() and not _re_external.match(url) for tag, _, url in refs):
        problems.append(f'{rel} loads no MathJax from the site, so its formulas would show as raw TeX')
    return problems, n_links


def offline_problems(site:Path):
    "What keeps `site` from working offline (see `load_problems`), and how many links to other sites its pages hold."
    problems, n_links = [], 0
    for page in sorted(site.rglob('*.html')):
        found, n = load_problems(page, site)
        problems += found; n_links += n
    for css in sorted(site.rglob('*.css')):
        problems += [f'{css.relative_to(site).as_posix()} loads {url} from outside the site'
                     for url in css_urls(css.read_text(encoding='utf-8')) if _re_external.match(url)]
    return problems, n_links


# A traceback printed in an output; not the phrase quoted as a string in a cell's source (a test of the CLI's errors).
TRACEBACK = re.compile(r"(?<!['\"])(?<!&#39;)(?<!&quot;)Traceback \(most recent call last\)")


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
        if 'jp-OutputArea-output' in text and TRACEBACK.search(text):
            problems.append(f'{p} shows a Python traceback')

    offline, n_links = offline_problems(site) if site.exists() else ([], 0)
    problems += offline

    for p in problems: print(f'check_site: FAIL {p}')
    print(f"check_site: {'FAIL' if problems else 'OK'} {len(want)} notebooks, {len(have)} pages, "
          f"{sum(pngs.values())} embedded PNGs on {sum(1 for v in pngs.values() if v)} pages, "
          f"{len(offline)} offline problems ({n_links} links to other sites, which pages do not load)")
    sys.exit(1 if problems else 0)


if __name__ == '__main__': main()
