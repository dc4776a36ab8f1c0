"""The public entry point: open (load or build) an index for a corpus and ask questions."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .analysis import Analyzer
from .answer import build_answer
from .corpus import list_files, read_corpus
from .errors import IndexCorrupt
from .index import compile_index
from .models import Answer
from .search import search
from .settings import Settings
from .store import FORMAT_VERSION, DocumentInfo, StoredIndex, current_build, load, read_meta, save

log = logging.getLogger(__name__)

# How many extra candidates to rank so merged duplicates still leave k citations.
_CANDIDATE_FACTOR = 3


@dataclass(frozen=True)
class IndexStats:
    """What ``citebot index`` reports."""

    documents: int
    paragraphs: int
    vocabulary: int
    rebuilt: bool
    seconds: float


def corpus_fingerprint(corpus_dir: Path, settings: Settings, analyzer: Analyzer) -> str:
    """Changes when a corpus file, the analyzer or a parameter changes."""
    files = []
    for path in list_files(corpus_dir):
        st = path.stat()
        files.append([path.relative_to(corpus_dir).as_posix(), st.st_size, st.st_mtime_ns])
    payload = {
        "format": FORMAT_VERSION,
        "analyzer": analyzer.fingerprint(),
        "corpus": asdict(settings.corpus),
        "bm25": asdict(settings.bm25),
        "files": files,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_index(corpus_dir: Path, index_dir: Path, settings: Settings, analyzer: Analyzer,
                fingerprint: str, progress: bool = False) -> StoredIndex:
    """Read the corpus, tokenize, compile BM25 and save atomically; returns the loaded index."""
    documents = read_corpus(corpus_dir, settings.corpus)
    paragraphs = [p for d in documents for p in d.paragraphs]
    texts = (p.text for p in paragraphs)
    if progress:
        from tqdm import tqdm

        texts = tqdm(texts, total=len(paragraphs), desc="tokenizing", unit="¶", leave=False)
    tokenized = [analyzer.terms(text) for text in texts]
    terms, compiled = compile_index(tokenized, settings.bm25)
    build = save(index_dir, fingerprint=fingerprint, terms=terms, compiled=compiled, documents=documents)
    return load(build, settings.bm25)


class Engine:
    """A loaded index plus the analyzer and settings that answer questions with it."""

    def __init__(self, index: StoredIndex, analyzer: Analyzer, settings: Settings, stats: IndexStats):
        self.index = index
        self.analyzer = analyzer
        self.settings = settings
        self.stats = stats

    @classmethod
    def open(cls, corpus_dir: str | Path, index_dir: str | Path, settings: Settings | None = None, *,
             force: bool = False, progress: bool = False) -> Engine:
        """Load the index for ``corpus_dir`` from ``index_dir``, building it when stale or missing.

        Raises CorpusError when the corpus folder is missing or empty.
        """
        started = time.perf_counter()
        settings = settings or Settings()
        corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
        analyzer = Analyzer(settings.analyzer)
        fingerprint = corpus_fingerprint(corpus_dir, settings, analyzer)
        index = None if force else _load_if_fresh(index_dir, fingerprint, settings)
        rebuilt = index is None
        if index is None:
            index = build_index(corpus_dir, index_dir, settings, analyzer, fingerprint, progress)
        stats = IndexStats(len(index.documents), index.n_paragraphs, len(index.terms), rebuilt,
                           time.perf_counter() - started)
        return cls(index, analyzer, settings, stats)

    @property
    def documents(self) -> list[DocumentInfo]:
        return self.index.documents

    def ask(self, question: str, top_k: int | None = None, more: int = 0) -> Answer:
        """Answer ``question`` with up to ``top_k`` citations (and ``more`` further ones for paging)."""
        started = time.perf_counter()
        top_k = top_k or self.settings.answer.top_k
        limit = (top_k + more) * _CANDIDATE_FACTOR
        result = search(self.index, self.analyzer, question, limit, self.settings.answer.min_matched_share)
        answer = build_answer(question, result, self.index, self.analyzer, self.settings.answer, top_k, more)
        elapsed = (time.perf_counter() - started) * 1000
        return Answer(answer.question, answer.answered, answer.text, answer.citations, answer.matched_share,
                      round(elapsed, 3), answer.more)


def _load_if_fresh(index_dir: Path, fingerprint: str, settings: Settings) -> StoredIndex | None:
    try:
        build = current_build(index_dir)
        if build is None:
            return None
        if read_meta(build).get("fingerprint") != fingerprint:
            log.info("corpus or settings changed since the index was built; rebuilding")
            return None
        return load(build, settings.bm25)
    except IndexCorrupt as exc:
        log.warning("index is damaged, rebuilding: %s", exc)
        return None
