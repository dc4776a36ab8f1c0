"""The public entry point: open (load or build) an index for a corpus and ask questions."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import formats, paragraph_terms
from .analysis import Analyzer
from .answer import build_answer
from .duplicates import stored_terms
from .corpus import ScannedFile, SkippedFile, no_documents, scan_corpus, scan_folder
from .errors import CorpusError, IndexCorrupt, IndexUnwritable
from .locking import build_lock
from .models import Answer, FollowUp
from .search import SearchResult, search_followup
from .settings import Settings
from .store import FORMAT_VERSION, DocumentInfo, StoredIndex, current_build, load, read_meta, verify

if TYPE_CHECKING:
    from .build import BuildReport

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
    # Files not indexed, with the reason (found while scanning, or when last read).
    skipped: tuple[SkippedFile, ...] = ()
    formats: dict[str, int] = field(default_factory=dict)  # documents per format
    dropped: dict[str, int] = field(default_factory=dict)  # source -> lines dropped as page chrome


def corpus_fingerprint(corpus_dir: Path, settings: Settings, analyzer: Analyzer,
                       scanned: list[ScannedFile] | None = None) -> str:
    """Changes when a corpus file, the analyzer or a parameter changes."""
    scanned = scan_corpus(corpus_dir, settings.corpus) if scanned is None else scanned
    payload = {
        "format": FORMAT_VERSION,
        "readers": formats.READERS_VERSION,
        "analyzer": analyzer.fingerprint(),
        "corpus": asdict(settings.corpus),
        "bm25": asdict(settings.bm25),
        # One digest of every file's path, size and mtime (cheaper than a JSON list at 100k files).
        "files": hashlib.sha256("\n".join(f"{f.source}\0{f.size}\0{f.mtime_ns}" for f in scanned)
                                .encode("utf-8", "surrogateescape")).hexdigest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# Exceptions a damaged index can cause while answering (a sound one causes none of them).
_DAMAGE_SYMPTOMS = (ValueError, IndexError, KeyError, UnicodeDecodeError, OverflowError, ZeroDivisionError)


def _notify_nothing(message: str) -> None:
    pass


class Engine:
    """A loaded index plus the analyzer and settings that answer questions with it.

    ``open`` loads the index when it is fresh for the corpus and builds it otherwise, one builder
    at a time per index folder; questions that meet a damaged index rebuild it and are answered
    from the new one.
    """

    def __init__(self, index: StoredIndex, analyzer: Analyzer, settings: Settings, stats: IndexStats,
                 corpus_dir: Path | None = None, index_dir: Path | None = None,
                 notify: Callable[[str], None] = _notify_nothing):
        self.index = index
        self.analyzer = analyzer
        self.settings = settings
        self.stats = stats
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.notify = notify

    @classmethod
    def open(cls, corpus_dir: str | Path, index_dir: str | Path, settings: Settings | None = None, *,
             force: bool = False, clean: bool = False, progress: bool = False,
             notify: Callable[[str], None] | None = None) -> Engine:
        """Load the index for ``corpus_dir`` from ``index_dir``, building it when stale or missing.

        ``force`` rebuilds even when the index is fresh; ``clean`` also parses every file afresh
        instead of reusing the per-file cache (``citebot index --force``). ``notify`` receives one-line notices a
        person waiting should see (a build starting, waiting for another process's build); warnings
        (damage, an unwritable index folder) go to the log. Raises CorpusError when the corpus
        folder is missing or empty.
        """
        started = time.perf_counter()
        settings = settings or Settings()
        corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
        notify = notify or _notify_nothing
        analyzer = Analyzer(settings.analyzer)
        scan = scan_folder(corpus_dir, settings.corpus)
        inside = _index_prefixes(corpus_dir, index_dir)  # an index kept inside its corpus is not a document
        scanned = [f for f in scan.files if not f.source.startswith(inside)] if inside else scan.files
        if not scanned:
            raise no_documents(corpus_dir, scan.skipped)
        fingerprint = corpus_fingerprint(corpus_dir, settings, analyzer, scanned)
        index = None if force else _load_if_fresh(index_dir, fingerprint, settings)
        report = None
        if index is None:
            try:
                index, report = _build_once(corpus_dir, index_dir, settings, analyzer, fingerprint, scanned,
                                            force=force, clean=clean, progress=progress, notify=notify)
            except CorpusError as exc:
                if getattr(exc, "skipped", None) is None or not scan.skipped:
                    raise
                raise no_documents(corpus_dir, [*scan.skipped, *exc.skipped]) from None
        counts = (report.files, report.reused, report.parsed, report.removed) if report else (0, 0, 0, 0)
        meta = index.meta
        read_skips = [SkippedFile(*s) for s in meta.get("skipped", [])]
        skips = [s for s in [*scan.skipped, *read_skips] if not (inside and s.source.startswith(inside))]
        skipped = tuple(sorted(skips, key=lambda s: s.source))
        formats = meta.get("formats") or {}
        if not formats:
            for d in index.documents:
                formats[d.format] = formats.get(d.format, 0) + 1
        stats = IndexStats(len(index.documents), index.n_paragraphs, len(index.terms), report is not None,
                           time.perf_counter() - started, *counts, skipped, formats, meta.get("dropped") or {})
        return cls(index, analyzer, settings, stats, corpus_dir, index_dir, notify)

    @property
    def documents(self) -> list[DocumentInfo]:
        return self.index.documents

    def ask(self, question: str, top_k: int | None = None, more: int = 0,
            context: Sequence[str] | None = None) -> Answer:
        """Answer ``question`` with up to ``top_k`` citations (and ``more`` further ones for paging).

        ``context`` lists the conversation's earlier questions, oldest first (at
        most the last 3 count): a follow-up searches their terms too, with less
        weight; the Answer's ``context`` says which were used and every term's weight.
        A damaged index is never quoted: it is rebuilt (with a warning) and the question answered again.
        """
        try:
            return self._ask(question, top_k, more, context)
        except IndexCorrupt as exc:
            problem = str(exc)
        except _DAMAGE_SYMPTOMS:
            problems = self.verify()
            if not problems:
                raise
            problem = problems[0]
        if self.corpus_dir is None or self.index_dir is None:
            raise IndexCorrupt(problem)
        log.warning("%s; rebuilding the index", problem)
        self.repair()
        return self._ask(question, top_k, more, context)

    def _ask(self, question: str, top_k: int | None, more: int, context: Sequence[str] | None) -> Answer:
        started = time.perf_counter()
        top_k = top_k or self.settings.answer.top_k
        result, follow_up = self.search(question, (top_k + more) * _CANDIDATE_FACTOR, context)
        if any(not math.isfinite(hit.score) for hit in result.hits):
            raise IndexCorrupt(f"index in {self.index.folder} is damaged: a score is not a finite number")
        answer = build_answer(question, result, self.index, self.analyzer, self.settings.answer, top_k, more)
        elapsed = (time.perf_counter() - started) * 1000
        return replace(answer, elapsed_ms=round(elapsed, 3), context=follow_up)

    def search(self, question: str, limit: int, context: Sequence[str] | None = None
               ) -> tuple[SearchResult, FollowUp | None]:
        """The ranked paragraphs for ``question`` (a follow-up of ``context``) and how context was used."""
        return search_followup(self.index, self.analyzer, question, limit, self.settings.answer, context or ())

    def verify(self) -> list[str]:
        """Check every byte and value of the loaded index; the problems found (empty when sound)."""
        problems = verify(self.index.folder, self.settings.bm25)
        if not problems:
            try:
                stored = stored_terms(self.index)
            except IndexCorrupt as exc:
                return [str(exc)]
            if stored is not None:
                problems = [f"index in {self.index.folder} is damaged: {p}"
                            for p in paragraph_terms.check(stored, len(self.index.terms))]
        return problems

    def repair(self) -> None:
        """Rebuild the index from the corpus from scratch and use it from now on."""
        fresh = Engine.open(self.corpus_dir, self.index_dir, self.settings, force=True, clean=True,
                            notify=self.notify)
        self.index, self.stats = fresh.index, fresh.stats


def _index_prefixes(corpus_dir: Path, index_dir: Path) -> tuple[str, ...]:
    """Corpus-relative ``source`` prefixes of an index folder kept inside its corpus (none when outside)."""
    prefixes = set()
    for corpus, index in ((os.path.abspath(corpus_dir), os.path.abspath(index_dir)),
                          (os.path.realpath(corpus_dir), os.path.realpath(index_dir))):
        relative = os.path.relpath(index, corpus)
        if relative != "." and not relative.startswith(".."):
            prefixes.add(Path(relative).as_posix() + "/")
    return tuple(prefixes)


def _load_if_fresh(index_dir: Path, fingerprint: str, settings: Settings) -> StoredIndex | None:
    """The current build when it matches ``fingerprint``; None when missing, stale or damaged."""
    for _attempt in range(3):
        try:
            build = current_build(index_dir)
            if build is None:
                return None
            if read_meta(build).get("fingerprint") != fingerprint:
                log.info("corpus or settings changed since the index was built; rebuilding")
                return None
            return load(build, settings.bm25)
        except IndexCorrupt as exc:
            try:
                replaced = current_build(index_dir) != build
            except IndexCorrupt:
                replaced = False
            if replaced:
                continue  # another process swapped in a new build while this one read the old one
            log.warning("cannot use the index, rebuilding it: %s", exc)
            return None
    return None


def _build_once(corpus_dir: Path, index_dir: Path, settings: Settings, analyzer: Analyzer, fingerprint: str,
                scanned: list[ScannedFile], *, force: bool, clean: bool, progress: bool,
                notify: Callable[[str], None]) -> tuple[StoredIndex, BuildReport | None]:
    """Build under the index folder's lock; fall back to a temporary index when it cannot be written."""
    def on_wait() -> None:
        notify(f"waiting for another citebot process to finish building the index in {index_dir}…")

    try:
        with build_lock(index_dir, on_wait) as waited:
            if waited and not force and (index := _load_if_fresh(index_dir, fingerprint, settings)) is not None:
                return index, None  # another process built what this one needs while it waited
            notify(f"building the index for {len(scanned)} files…")
            from .build import build_index  # multiprocessing and the corpus parsers: only to build

            return build_index(corpus_dir, index_dir, settings, analyzer, fingerprint, progress, scanned,
                               reuse_cache=not clean)
    except IndexUnwritable as exc:
        if force and (index := _load_if_fresh(index_dir, fingerprint, settings)) is not None:
            log.warning("%s; using the existing index, which is up to date", exc)
            return index, None
        log.warning("%s; using a temporary index for this run (not kept)", exc)
        return _build_in_temp(corpus_dir, index_dir, settings, analyzer, fingerprint, scanned, progress, clean)


def _build_in_temp(corpus_dir: Path, index_dir: Path, settings: Settings, analyzer: Analyzer, fingerprint: str,
                   scanned: list[ScannedFile], progress: bool, clean: bool) -> tuple[StoredIndex, BuildReport]:
    from .build import build_index

    # The build's files are memory-mapped once loaded, so the folder can go at once (POSIX keeps them).
    with tempfile.TemporaryDirectory(prefix="citebot-index-") as tmp:
        return build_index(corpus_dir, Path(tmp), settings, analyzer, fingerprint, progress, scanned,
                           reuse_cache=not clean, cache_dir=index_dir / "cache", update_cache=False)
