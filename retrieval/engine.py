"""The public entry point: open (load or build) an index for a corpus and ask questions."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .analysis import Analyzer
from .answer import build_answer
from .conversation import build_query, recent
from .corpus import ScannedFile, scan_corpus
from .errors import IndexCorrupt
from .models import Answer, FollowUp
from .search import SearchResult, search, search_weighted
from .settings import Settings
from .store import FORMAT_VERSION, DocumentInfo, StoredIndex, current_build, load, read_meta

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
    # What the (re)build did per corpus file; all 0 when the index was loaded as is.
    files: int = 0  # document files in the corpus
    reused: int = 0  # taken from the per-file cache (unchanged)
    parsed: int = 0  # read, parsed and tokenized (new or changed)
    removed: int = 0  # gone since the previous build


def corpus_fingerprint(corpus_dir: Path, settings: Settings, analyzer: Analyzer,
                       scanned: list[ScannedFile] | None = None) -> str:
    """Changes when a corpus file, the analyzer or a parameter changes."""
    scanned = scan_corpus(corpus_dir) if scanned is None else scanned
    payload = {
        "format": FORMAT_VERSION,
        "analyzer": analyzer.fingerprint(),
        "corpus": asdict(settings.corpus),
        "bm25": asdict(settings.bm25),
        # One digest of every file's path, size and mtime (cheaper than a JSON list at 100k files).
        "files": hashlib.sha256("\n".join(f"{f.source}\0{f.size}\0{f.mtime_ns}" for f in scanned)
                                .encode("utf-8", "surrogateescape")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


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
        scanned = scan_corpus(corpus_dir)
        fingerprint = corpus_fingerprint(corpus_dir, settings, analyzer, scanned)
        index = None if force else _load_if_fresh(index_dir, fingerprint, settings)
        report = None
        if index is None:
            from .build import build_index  # multiprocessing and the corpus parsers: only to build

            index, report = build_index(corpus_dir, index_dir, settings, analyzer, fingerprint, progress, scanned)
        counts = (report.files, report.reused, report.parsed, report.removed) if report else (0, 0, 0, 0)
        stats = IndexStats(len(index.documents), index.n_paragraphs, len(index.terms), report is not None,
                           time.perf_counter() - started, *counts)
        return cls(index, analyzer, settings, stats)

    @property
    def documents(self) -> list[DocumentInfo]:
        return self.index.documents

    def ask(self, question: str, top_k: int | None = None, more: int = 0,
            context: Sequence[str] | None = None) -> Answer:
        """Answer ``question`` with up to ``top_k`` citations (and ``more`` further ones for paging).

        ``context`` lists the conversation's earlier questions, oldest first (at
        most the last 3 count): a follow-up searches their terms too, with less
        weight; the Answer's ``context`` says which were used and every term's weight.
        """
        started = time.perf_counter()
        top_k = top_k or self.settings.answer.top_k
        result, follow_up = self.search(question, (top_k + more) * _CANDIDATE_FACTOR, context)
        answer = build_answer(question, result, self.index, self.analyzer, self.settings.answer, top_k, more)
        elapsed = (time.perf_counter() - started) * 1000
        return replace(answer, elapsed_ms=round(elapsed, 3), context=follow_up)

    def search(self, question: str, limit: int, context: Sequence[str] | None = None
               ) -> tuple[SearchResult, FollowUp | None]:
        """The ranked paragraphs for ``question`` (a follow-up of ``context``) and how context was used."""
        settings = self.settings.answer
        result = search(self.index, self.analyzer, question, limit, settings)
        previous = recent(context or ())
        if not previous:
            return result, None
        query = build_query(question, result.terms, previous, [self.analyzer.terms(q) for q in previous],
                            result.matched_share)
        if query.previous:
            result = replace(search_weighted(self.index, query.weights, limit, settings),
                             corrections=result.corrections)
        return result, FollowUp(previous, query.previous, tuple(query.weights.items()))


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
        log.warning("cannot use the index, rebuilding it: %s", exc)
        return None
