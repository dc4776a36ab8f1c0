"""Building an index: parallel per-file parse + tokenize with a per-file cache, streamed to disk.

1. Scan the corpus (:func:`~retrieval.corpus.scan_corpus`: one ``stat`` per file).
2. Per file, in worker processes when there is enough new text: reuse the
   cached result when the file's size and mtime match the last build (or its
   content hash matches an entry), else read it safely, ``parse_file`` it with
   its format's reader and tokenize every paragraph with its section headings
   (:mod:`retrieval.build_tokens`), and store the result in the cache. Files
   that yield nothing are reported.
3. As results arrive, in corpus order: the file's paragraphs are numbered as
   :func:`~retrieval.corpus.assemble` does (what ``read_corpus`` returns) and
   their texts written to the new build; its postings go to sorted runs on disk
   (:mod:`retrieval.build_runs`). Nothing corpus-sized stays in memory.
4. The runs are merged term range by term range into the postings, with the
   BM25 statistics recomputed from scratch over the whole corpus (so they are
   exact); the build is made current atomically and loaded.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import shutil
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import paragraph_terms
from .analysis import Analyzer
from .build_runs import PostingsRuns
from .build_tokens import FileTokenizer
from .corpus import ScannedFile, SkippedFile, index_text, no_documents, parse_file, read_file, scan_corpus
from .file_cache import FileCache, FileResult, config_hash
from .formats import Block, Skip
from .processes import die_with_parent, stop_workers
from .settings import CorpusSettings, Settings
from .index_writer import IndexWriter
from .store import StoredIndex, load

log = logging.getLogger(__name__)

# Below this much text to parse, worker start-up costs more than it saves.
POOL_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class BuildReport:
    """What a build did with each corpus file."""

    files: int  # document files found
    reused: int  # taken from the cache (unchanged since a previous build)
    parsed: int  # read, parsed and tokenized (new or changed)
    removed: int  # in the previous build, gone now
    seconds: float
    skipped: tuple[SkippedFile, ...] = ()  # files read but not indexed (binary, no text layer, ...)
    formats: dict[str, int] = field(default_factory=dict)  # documents per format
    dropped: dict[str, int] = field(default_factory=dict)  # source -> lines dropped as chrome (non-zero only)


# -- per file ----------------------------------------------------------------------

_HASH_LIKE = re.compile(r"^[0-9a-f_-]{8,}$|^[\W\d_]*$", re.IGNORECASE)


def context_text(source: str, title: str | None, first_paragraph: str, title_weight: int = 2) -> str:
    """What a file adds to its first paragraph's terms: its title (``title_weight`` times) and file name's words.

    A title taken from the first sentence (no front matter or heading) is already
    in the text and is not added again; file-name parts that are ids or hashes
    ("000_73428c9fd92591ec", "4983") say nothing and are left out.
    """
    parts = []
    if title and not first_paragraph.startswith(title.rstrip("…").strip()):
        parts.extend([title] * title_weight)
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = [w for w in re.split(r"[\s_]+", stem.replace("-", " ")) if w and not _HASH_LIKE.match(w)]
    if words:
        parts.append(" ".join(words))
    return " ".join(parts)


@dataclass
class FileOutput:
    """What a worker returns for one file.

    ``result`` holds the file's metadata and paragraphs; its ``ids`` are the
    worker's term ids (its ``vocab`` is left empty), and ``new_terms`` /
    ``new_words`` are the strings the worker numbered since its previous output.
    """

    sha: str | None  # content hash (None: unreadable)
    result: FileResult | None
    reused: bool
    reason: str | None  # why the file is not indexed
    worker: int = 0
    new_terms: list[str] = field(default_factory=list)
    new_words: list[str] = field(default_factory=list)
    word_ids: np.ndarray | None = None  # the worker's word ids of the file's surface words
    word_counts: np.ndarray | None = None
    # (which, ptr, ids): the term ids of the texts alone of paragraphs ``which`` (the first, and those
    # with headings); the other paragraphs' texts have exactly their postings' terms
    text_terms: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


class FileProcessor:
    """Turns one corpus file into a FileOutput, through the cache."""

    def __init__(self, analyzer: Analyzer, corpus: CorpusSettings, cache: FileCache, reuse: bool = True):
        self.analyzer = analyzer
        self.corpus = corpus
        self.cache = cache
        self.reuse = reuse  # False: parse every file afresh (``index --force``), still refreshing the cache
        self.tokenizer = FileTokenizer(analyzer)

    def __call__(self, task: tuple[str, str, str | None]) -> FileOutput:
        """``(path, source, sha from the manifest or None)`` -> the file's terms, words and paragraphs."""
        path, source, known = task
        if self.reuse and known is not None and (hit := self.cache.get(known)) is not None:
            return self._output(known, source, hit, True)
        try:
            data = read_file(path, self.corpus)
        except Skip as skip:
            log.warning("skipping %s: %s", source, skip.reason)
            return self._output(None, source, None, False, skip.reason)
        # The file's name is part of its terms (context_text), so it is part of the cache key.
        sha = hashlib.sha256(source.encode("utf-8", "surrogateescape") + b"\0" + data).hexdigest()
        if self.reuse and sha != known and (hit := self.cache.get(sha)) is not None:
            return self._output(sha, source, hit, True)
        try:
            pf = parse_file(source, data, self.corpus)
        except Skip as skip:
            log.warning("skipping %s: %s", source, skip.reason)
            return self._output(sha, source, None, False, skip.reason)
        del data
        blocks = pf.blocks
        texts = [index_text(b) for b in blocks]
        context = context_text(source, pf.title, blocks[0].text if blocks else "", self.corpus.title_weight)
        # The title and file name count as words of the first paragraph.
        word_context = context_text(source, pf.title, blocks[0].text if blocks else "", 1)
        (para_ptr, ids, tfs), words = self.tokenizer.file_counts(texts, context, word_context)
        present, local = np.unique(ids, return_inverse=True)
        strings = self.tokenizer.terms.strings
        result = FileResult(
            pf.title, pf.date, pf.url, pf.paragraphs, list(map(strings.__getitem__, present.tolist())), para_ptr,
            local.astype(np.int32).reshape(-1), tfs, pf.format,
            tuple(b.section for b in blocks) if any(b.section for b in blocks) else (),
            tuple(b.page for b in blocks) if any(b.page for b in blocks) else (),
            tuple(b.kind for b in blocks) if any(b.kind != "prose" for b in blocks) else (),
            pf.dropped)
        self.cache.put(sha, result)
        return self._output(sha, source, replace(result, vocab=[], ids=ids), False, words=words)

    def _output(self, sha: str | None, source: str, result: FileResult | None, reused: bool,
                reason: str | None = None, words: tuple[np.ndarray, np.ndarray] | None = None) -> FileOutput:
        if result is not None and reused:  # a cached file: its terms in this worker's numbering
            result = replace(result, vocab=[], ids=self.tokenizer.terms.ids_of(result.vocab)[result.ids])
            sections = result.sections or ((),) * len(result.paragraphs)
            texts = [index_text(Block(text, section)) for text, section in zip(result.paragraphs, sections)]
            first = result.paragraphs[0] if result.paragraphs else ""
            _, words = self.tokenizer.file_counts(texts, word_context=context_text(source, result.title, first, 1),
                                                  with_terms=False)
        word_ids, word_counts = words if words is not None else (None, None)
        text_terms = None
        if result is not None and result.paragraphs:
            which = np.flatnonzero([i == 0 or bool(s) for i, s in enumerate(result.sections)]
                                   if result.sections else [True])
            text_terms = (which, *self.tokenizer.text_terms(result.paragraphs, which.tolist()))
        return FileOutput(sha, result, reused, reason, os.getpid(), self.tokenizer.terms.news(),
                          self.tokenizer.words.news(), word_ids, word_counts, text_terms)


_WORKER: FileProcessor | None = None


def _init_worker(settings: Settings, cache_folder: str, config: str, reuse: bool, writable: bool) -> None:
    global _WORKER
    die_with_parent()
    # A build worker lives for one build: its memo may hold the whole vocabulary (stemming is the costly part).
    analyzer = Analyzer(settings.analyzer, memo_limit=sys.maxsize)
    _WORKER = FileProcessor(analyzer, settings.corpus, FileCache(Path(cache_folder), config, writable), reuse)


def _work(task):
    return _WORKER(task)


def _worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:  # no fork of a possibly threaded parent (the Discord bot)
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["retrieval.build"])
        return ctx
    return multiprocessing.get_context("spawn")


# -- the whole corpus -----------------------------------------------------------------

@dataclass
class _Collected:
    """What the main process keeps while files arrive (nothing per paragraph)."""

    manifest: dict[str, list] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    reused: int = 0
    parsed: int = 0


def _process_files(tasks, scanned: Sequence[ScannedFile], analyzer: Analyzer, settings: Settings,
                   cache: FileCache, workers: int, bar, reuse: bool, added: set[str], writer: IndexWriter,
                   runs: PostingsRuns) -> _Collected:
    """Parse and tokenize every file (from the cache when ``reuse``), in ``workers`` processes; hand each
    file's paragraphs to ``writer`` and its postings to ``runs`` as it arrives, in corpus order.

    ``added`` collects the content hashes parsed here (their cache entries are new or rewritten).
    """
    out = _Collected()
    pool = None
    try:
        if workers > 1:
            # A worker that dies (killed, out of memory) fails the pool instead of hanging it.
            pool = ProcessPoolExecutor(workers, mp_context=_pool_context(), initializer=_init_worker,
                                       initargs=(settings, str(cache.folder), cache.config, reuse, cache.writable))
            chunk = max(1, min(64, len(tasks) // (workers * 16)))
            outputs = pool.map(_work, tasks, chunksize=chunk)
        else:
            outputs = map(FileProcessor(analyzer, settings.corpus, cache, reuse), tasks)
        for f, o in zip(scanned, outputs):
            if bar is not None:
                bar.update(1)
            runs.learn(o.worker, o.new_terms, o.new_words)
            if o.reason is not None:
                out.skipped.append(SkippedFile(f.source, o.reason))
            if o.sha is None:
                continue
            out.manifest[f.source] = [f.size, f.mtime_ns, o.sha]
            if not o.reused:
                added.add(o.sha)
            out.reused += o.reused
            out.parsed += not o.reused
            r = o.result
            if r is None or not r.paragraphs:
                continue
            writer.add_document(f.source, r.title, r.date, r.url, r.format, r.paragraphs, r.sections, r.pages,
                                r.kinds)
            runs.add_file(o.worker, r.para_ptr, r.ids, r.tfs, o.word_ids, o.word_counts, o.text_terms)
            out.formats[r.format] = out.formats.get(r.format, 0) + 1
            if r.dropped:
                out.dropped[f.source] = r.dropped
    except BaseException:
        if pool is not None:  # interrupted or failed: stop the workers now, not after their queue
            stop_workers(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return out


def build_index(corpus_dir: Path, index_dir: Path, settings: Settings, analyzer: Analyzer, fingerprint: str,
                progress: bool = False, scanned: list[ScannedFile] | None = None,
                workers: int | None = None, *, reuse_cache: bool = True, cache_dir: Path | None = None,
                update_cache: bool = True) -> tuple[StoredIndex, BuildReport]:
    """Build (reusing cached files unless ``reuse_cache`` is off) and save atomically.

    Returns the loaded index and what was done. ``cache_dir`` defaults to ``<index_dir>/cache``;
    with ``update_cache`` off the cache is only read. When the build fails, the cache entries it
    added are removed again.
    """
    started = time.perf_counter()
    scanned = scan_corpus(corpus_dir, settings.corpus) if scanned is None else scanned
    cache_dir = cache_dir or index_dir / "cache"
    if not settings.index.file_cache:  # no cache: nothing read or written, an old one deleted
        if update_cache:
            shutil.rmtree(cache_dir, ignore_errors=True)
        reuse_cache = update_cache = False
    cache = FileCache(cache_dir, config_hash(analyzer.fingerprint(), settings.corpus), writable=update_cache)
    manifest = cache.read_manifest()
    old_shas = {e[2] for e in manifest.values() if isinstance(e, list) and len(e) == 3}
    added: set[str] = set()
    try:
        return _build(corpus_dir, index_dir, settings, analyzer, fingerprint, progress, scanned, workers,
                      reuse_cache, cache, manifest, old_shas, added, started)
    except BaseException:
        if update_cache:
            cache.discard(added - old_shas)
        raise


def _build(corpus_dir, index_dir, settings, analyzer, fingerprint, progress, scanned, workers, reuse_cache,
           cache, manifest, old_shas, added, started) -> tuple[StoredIndex, BuildReport]:
    tasks, pending = [], 0
    for f in scanned:
        entry = manifest.get(f.source)
        known = entry[2] if isinstance(entry, list) and len(entry) == 3 and entry[:2] == [f.size, f.mtime_ns] else None
        tasks.append((f.path, f.source, known))
        pending += f.size if known is None or not reuse_cache else 0
    workers = _worker_count() if workers is None else workers
    use_pool = workers > 1 and len(tasks) > 1 and pending >= POOL_MIN_BYTES
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc="indexing", unit="file", leave=False, file=sys.stderr)
    try:
        try:
            build, collected = _write(corpus_dir, index_dir, settings, analyzer, fingerprint, tasks, scanned, cache,
                                      workers if use_pool else 1, bar, reuse_cache, added, started)
        except BrokenProcessPool as exc:
            # A worker died or could not start (e.g. __main__ not importable): do it here instead.
            log.warning("parallel tokenization failed (%s); continuing in this process", exc)
            if bar is not None:
                bar.reset()
            build, collected = _write(corpus_dir, index_dir, settings, analyzer, fingerprint, tasks, scanned,
                                      cache, 1, bar, reuse_cache, added, started)
    finally:
        if bar is not None:
            bar.close()
    cache.write_manifest(collected.manifest)
    cache.discard(old_shas - {e[2] for e in collected.manifest.values()})
    removed = len(manifest.keys() - collected.manifest.keys())
    report = BuildReport(len(scanned), collected.reused, collected.parsed, removed, time.perf_counter() - started,
                         tuple(collected.skipped), collected.formats, collected.dropped)
    log.info("index built: %d files (%d reused, %d parsed, %d removed) in %.2f s",
             report.files, report.reused, report.parsed, removed, report.seconds)
    return load(build, settings.bm25), report


def _write(corpus_dir, index_dir, settings, analyzer, fingerprint, tasks, scanned, cache, workers, bar,
           reuse_cache, added, started) -> tuple[Path, _Collected]:
    """Process every file into a new build folder and make it current; returns it and what was collected."""
    with IndexWriter(index_dir) as writer:
        runs = PostingsRuns(writer.tmp / "runs")
        try:
            collected = _process_files(tasks, scanned, analyzer, settings, cache, workers, bar, reuse_cache,
                                       added, writer, runs)
            phases = {"files": time.perf_counter() - started}
            if not writer.n_documents:
                raise no_documents(corpus_dir, collected.skipped)
            terms, df, para_len = runs.finish()
            writer.write_postings(df, para_len, runs.blocks(), settings.bm25)
            forward = writer.tmp / "paragraph-terms.raw"
            dtype, ptr, exact = runs.paragraph_terms(forward)
            writer.add_array_file(paragraph_terms.TERMS_FILE, forward, dtype)
            writer.add_array(paragraph_terms.PTR_FILE, ptr)
            writer.add_array(paragraph_terms.EXACT_FILE, exact)
            phases["postings"] = time.perf_counter() - started
            words = runs.word_counts()
        finally:
            runs.close()
        build = writer.commit(fingerprint=fingerprint, terms=terms, words=words,
                              extra_meta={"skipped": [[s.source, s.reason] for s in collected.skipped],
                                          "formats": collected.formats, "dropped": collected.dropped})
    phases["save"] = time.perf_counter() - started
    log.debug("build phases (cumulative s): %s", {k: round(v, 2) for k, v in phases.items()})
    return build, collected
