"""sketchkv: fixed-budget KV caches for transformer language models, built on probabilistic sketches.

The names a user of the README needs are importable from here (`sketchkv.make_cache`, `sketchkv.load_model`, ...),
and every module is reachable as `sketchkv.<module>`. Both are loaded on first use (PEP 562), so `import sketchkv`
imports neither torch nor transformers, and the top-level names import no kvpress, matplotlib or pandas. This file is
written by hand: `nbdev_export` only rewrites its `__version__` line. Tested in nbs/05_api.ipynb.
"""
__version__ = "0.1.0"

_NAMES = { # top-level name -> the module (in sketchkv) that defines it
    **dict.fromkeys(['make_cache', 'make_method', 'methods', 'SketchKVCache', 'install', 'uninstall', 'installed'], 'cache'),
    **dict.fromkeys(['load_model', 'tiny_model'], 'models'),
    **dict.fromkeys(['load_corpus', 'token_windows'], 'data'),
    'with_cache': 'compat',
}
__all__ = list(_NAMES)

def _modules(): # no arguments
    "The public submodules of the package, found on disk without importing them."
    import pkgutil
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith('_'))

def __getattr__(name:str): # an attribute not yet in the package's namespace
    "Import a top-level name or a submodule on first use and keep it, so the next lookup is a plain attribute."
    import importlib
    if name in _NAMES: value = getattr(importlib.import_module(f'{__name__}.{_NAMES[name]}'), name)
    elif not name.startswith('_') and name in _modules(): value = importlib.import_module(f'{__name__}.{name}')
    else: raise AttributeError(f"module {__name__!r} has no attribute {name!r}; its top-level names are {__all__}")
    globals()[name] = value
    return value

def __dir__(): return sorted(set(globals()) | set(__all__) | set(_modules())) # what tab completion offers

TYPE_CHECKING = False # (typing.TYPE_CHECKING without importing typing) static tools see the names below
if TYPE_CHECKING:
    from .cache import make_cache, make_method, methods, SketchKVCache, install, uninstall, installed
    from .models import load_model, tiny_model
    from .data import load_corpus, token_windows
    from .compat import with_cache
del TYPE_CHECKING
