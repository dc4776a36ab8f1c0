"""The few nltk modules analysis uses, imported without the rest of nltk.

``import nltk`` (which any ``import nltk.stem.snowball`` runs first) imports
nearly all of nltk: parsers, corpora readers, translation metrics, numpy —
about 0.2 s, most of a CLI question's start-up. We use four leaf modules:
the Snowball and Porter stemmers, the Punkt sentence splitter and the regex
front-end ``nltk.redos``. :func:`load` imports exactly those, with the parent
packages (``nltk``, ``nltk.stem``, ``nltk.tokenize``, ``nltk.corpus``) standing
in as empty packages while they load; then the stand-ins are taken out of
``sys.modules`` again, so a later ``import nltk`` elsewhere gets the real,
complete package. The classes are nltk's own code, so results are identical;
if anything in a future nltk does not fit, the plain full import is used.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import types

_PARENTS = ("nltk", "nltk.stem", "nltk.tokenize", "nltk.corpus")
_LEAVES = ("nltk.redos", "nltk.stem.snowball", "nltk.stem.porter", "nltk.tokenize.punkt")
# Modules Punkt imports for training, for loading or saving models and for nltk's Java bridge (a file
# sandbox, pickles, frequency tables; http.client, email and ssl come with them: ~25 ms of a CLI
# question; nltk.tokenize.util's xml.sax.saxutils brings urllib.request), never for splitting sentences
# with given parameters. They stand in as placeholders that refuse to be used; the two functions
# TokenizerI's default methods use (Punkt replaces those methods) import the real ones if ever called.
_UNUSED = {"nltk.pathsec": ("open", "validate_path", "ensure_private_dir", "_is_windows_device_name"),
           "nltk.picklesec": ("allowlisted_pickle_load",), "nltk.probability": ("FreqDist",),
           "nltk.tabdata": ("TabEncoder",), "nltk.internals": (), "nltk.tokenize.util": ()}


def _stand_in(name: str) -> types.ModuleType:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(name)
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    if name == "nltk.corpus":
        module.stopwords = None  # snowball imports it; used only with ignore_stopwords=True, which we never set
    return module


def _unavailable(module: str, name: str):
    def unavailable(*args, **kwargs):
        raise RuntimeError(f"{module}.{name} is not loaded: citebot imports only what sentence splitting needs")
    return unavailable


def _overridden(method) -> bool:
    from nltk.internals import overridden

    return overridden(method)


def _string_span_tokenize(s, sep):
    from nltk.tokenize.util import string_span_tokenize

    return string_span_tokenize(s, sep)


def _placeholder(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    for attr in _UNUSED[name]:
        setattr(module, attr, _unavailable(name, attr))
    if name == "nltk.internals":
        module.overridden = _overridden
    if name == "nltk.tokenize.util":
        module.string_span_tokenize = _string_span_tokenize
    return module


def _import_leaves() -> dict[str, types.ModuleType]:
    if "nltk" in sys.modules:  # nltk is already fully imported: nothing to save
        return {name: importlib.import_module(name) for name in _LEAVES}
    before = set(sys.modules)
    try:
        for parent in _PARENTS:
            sys.modules[parent] = _stand_in(parent)
        for name in _UNUSED:
            sys.modules[name] = _placeholder(name)
        return {name: importlib.import_module(name) for name in _LEAVES}
    except Exception:  # a future nltk whose leaves need more of the package: import it all
        for name in set(sys.modules) - before:
            sys.modules.pop(name, None)
        return {name: importlib.import_module(name) for name in _LEAVES}
    finally:
        if not hasattr(sys.modules.get("nltk"), "__version__"):  # still the stand-ins: take nltk out again
            for name in set(sys.modules) - before:
                if name == "nltk" or name.startswith("nltk."):
                    sys.modules.pop(name, None)


@functools.cache
def modules() -> types.SimpleNamespace:
    """nltk's ``redos``, ``snowball``, ``porter`` and ``punkt`` modules (imported once)."""
    leaves = _import_leaves()
    return types.SimpleNamespace(**{name.rsplit(".", 1)[1]: module for name, module in leaves.items()})
