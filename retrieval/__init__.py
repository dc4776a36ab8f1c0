"""citebot's retrieval core: corpus -> BM25 index -> cited, extractive answers.

Public surface::

    from retrieval import Engine, Settings
    engine = Engine.open("seeds", ".citebot/index", Settings())
    answer = engine.ask("what did the US say about Tomahawk missiles?")
"""

import importlib

# Names are imported on first use (PEP 562), so ``import retrieval.settings`` or a
# ``--help`` does not pay for the engine's imports (numpy, nltk).
_EXPORTS = {
    "Engine": "engine", "IndexStats": "engine",
    "CitebotError": "errors", "CorpusError": "errors", "IndexCorrupt": "errors", "IndexUnwritable": "errors",
    "is_small_talk": "conversation",
    "Answer": "models", "Citation": "models", "Document": "models", "FollowUp": "models", "Hit": "models",
    "Paragraph": "models", "ParagraphRef": "models",
    "AnalyzerSettings": "settings", "AnswerSettings": "settings", "BM25Settings": "settings",
    "CorpusSettings": "settings", "Settings": "settings",
    "DocumentInfo": "store",
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'retrieval' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Answer", "AnalyzerSettings", "AnswerSettings", "BM25Settings", "CitebotError", "Citation",
    "CorpusError", "CorpusSettings", "Document", "DocumentInfo", "Engine", "FollowUp", "Hit", "IndexCorrupt",
    "IndexStats", "IndexUnwritable", "Paragraph", "ParagraphRef", "Settings", "is_small_talk",
]
