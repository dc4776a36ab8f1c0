"""citebot's retrieval core: corpus -> BM25 index -> cited, extractive answers.

Public surface::

    from retrieval import Engine, Settings
    engine = Engine.open("seeds", ".citebot/index", Settings())
    answer = engine.ask("what did the US say about Tomahawk missiles?")
"""

from .engine import Engine, IndexStats
from .errors import CitebotError, CorpusError, IndexCorrupt
from .conversation import is_small_talk
from .models import Answer, Citation, Document, FollowUp, Hit, Paragraph, ParagraphRef
from .settings import AnalyzerSettings, AnswerSettings, BM25Settings, CorpusSettings, Settings
from .store import DocumentInfo

__all__ = [
    "Answer", "AnalyzerSettings", "AnswerSettings", "BM25Settings", "CitebotError", "Citation",
    "CorpusError", "CorpusSettings", "Document", "DocumentInfo", "Engine", "FollowUp", "Hit", "IndexCorrupt",
    "IndexStats", "Paragraph", "ParagraphRef", "Settings", "is_small_talk",
]
