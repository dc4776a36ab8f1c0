"""Building an index: parallel per-file parse + tokenize with a per-file cache, then exact BM25.

1. Scan the corpus (:func:`~retrieval.corpus.scan_corpus`: one ``stat`` per file).
2. Per file, in worker processes when there is enough new text: reuse the
   cached result when the file's size and mtime match the last build (or its
   content hash matches an entry), else read it safely, ``parse_file`` it with
   its format's reader and tokenize every paragraph with its section headings,
   and store the result in the cache. Files that yield nothing are reported.
3. Number the paragraphs with :func:`~retrieval.corpus.assemble` -- exactly
   what ``read_corpus`` does.
4. Merge per-file vocabularies and term counts into postings and recompute the
   BM25 statistics from scratch over the whole corpus (so they are exact), save
   atomically and load.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .analysis import Analyzer
from .corpus import (ParsedFile, ScannedFile, SkippedFile, assemble, index_text, no_documents, parse_file,
                     read_file, scan_corpus)
from .file_cache import FileCache, FileResult, config_hash
from .formats import Block, Skip
from . import paragraph_terms
from .index import CompiledIndex, compile_postings, compiled_postings, order_postings
from .models import Document
from .processes import die_with_parent, stop_workers
from .settings import CorpusSettings, Settings
from .spelling import count_words
from .store import StoredIndex, load, save

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


def tokenize_paragraphs(paragraphs: Sequence[str], analyzer: Analyzer,
                        context: str = "") -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Per-file vocabulary and, per paragraph, its distinct term ids with frequencies.

    ``context`` (title, file name) is analysed and its terms added to the first
    paragraph's, so BM25 (and its rank-bm25 parity) sees them as paragraph terms:
    the document can be found by its title without every paragraph of a long
    document matching it.
    """
    terms_of = analyzer.terms
    flat: list[str] = []
    lengths = np.empty(len(paragraphs), dtype=np.int64)
    for i, text in enumerate(paragraphs):
        terms = terms_of(text + "\n" + context) if i == 0 and context else terms_of(text)
        lengths[i] = len(terms)
        flat.extend(terms)
    vocab = list(dict.fromkeys(flat))
    lookup = {t: i for i, t in enumerate(vocab)}
    ids = np.fromiter(map(lookup.__getitem__, flat), dtype=np.int64, count=len(flat))
    v = max(len(vocab), 1)
    para = np.repeat(np.arange(len(paragraphs), dtype=np.int64), lengths)
    keys, tfs = np.unique(para * v + ids, return_counts=True)
    para_ptr = np.zeros(len(paragraphs) + 1, dtype=np.int32)
    np.cumsum(np.bincount(keys // v, minlength=len(paragraphs)), out=para_ptr[1:])
    return vocab, para_ptr, (keys % v).astype(np.int32), tfs.astype(np.int32)


class FileProcessor:
    """Turns one corpus file into a FileResult, through the cache."""

    def __init__(self, analyzer: Analyzer, corpus: CorpusSettings, cache: FileCache, reuse: bool = True):
        self.analyzer = analyzer
        self.corpus = corpus
        self.cache = cache
        self.reuse = reuse  # False: parse every file afresh (``index --force``), still refreshing the cache

    def __call__(self, task: tuple[str, str, str | None]) -> tuple[str | None, FileResult | None, bool, str | None]:
        """``(path, source, sha from the manifest or None)`` -> ``(content sha, result, reused, skip reason)``."""
        path, source, known = task
        if self.reuse and known is not None and (hit := self.cache.get(known)) is not None:
            return known, hit, True, None
        try:
            data = read_file(path, self.corpus)
        except Skip as skip:
            log.warning("skipping %s: %s", source, skip.reason)
            return None, None, False, skip.reason
        # The file's name is part of its terms (context_text), so it is part of the cache key.
        sha = hashlib.sha256(source.encode("utf-8", "surrogateescape") + b"\0" + data).hexdigest()
        if self.reuse and sha != known and (hit := self.cache.get(sha)) is not None:
            return sha, hit, True, None
        try:
            pf = parse_file(source, data, self.corpus)
        except Skip as skip:
            log.warning("skipping %s: %s", source, skip.reason)
            return sha, None, False, skip.reason
        del data
        blocks = pf.blocks
        context = context_text(source, pf.title, blocks[0].text if blocks else "", self.corpus.title_weight)
        vocab, para_ptr, ids, tfs = tokenize_paragraphs([index_text(b) for b in blocks], self.analyzer, context)
        result = FileResult(
            pf.title, pf.date, pf.url, pf.paragraphs, vocab, para_ptr, ids, tfs, pf.format,
            tuple(b.section for b in blocks) if any(b.section for b in blocks) else (),
            tuple(b.page for b in blocks) if any(b.page for b in blocks) else (),
            tuple(b.kind for b in blocks) if any(b.kind != "prose" for b in blocks) else (),
            pf.dropped)
        self.cache.put(sha, result)
        return sha, result, False, None


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

def _kept_mask(candidates: Sequence[str], kept: Sequence) -> np.ndarray:
    """Which candidate paragraphs ``assemble`` kept (it keeps a subsequence, text unchanged)."""
    mask = np.zeros(len(candidates), dtype=np.bool_)
    if len(kept) == len(candidates):
        mask[:] = True
        return mask
    j = 0
    for p in kept:
        while candidates[j] != p.text:
            j += 1
        mask[j] = True
        j += 1
    return mask


@dataclass
class _Postings:
    """A file's term counts with global term ids (its vocabulary strings already merged)."""

    para_ptr: np.ndarray  # int32 [P+1]
    ids: np.ndarray  # int32, global term ids
    tfs: np.ndarray  # int32


def _merge_vocab(vocab: dict[str, int], local: list[str]) -> np.ndarray:
    """Global ids of a file's terms, adding new ones to ``vocab``."""
    new = [t for t in local if t not in vocab]
    vocab.update(zip(new, range(len(vocab), len(vocab) + len(new))))
    return np.fromiter(map(vocab.__getitem__, local), dtype=np.int32, count=len(local))


def _postings_of(result: FileResult, vocab: dict[str, int]) -> _Postings:
    lut = _merge_vocab(vocab, result.vocab)
    return _Postings(result.para_ptr, lut[result.ids], result.tfs)


def compile_files(files: list[_Postings], documents: list[Document], parsed: list[ParsedFile],
                  vocab: dict[str, int], settings, analyzer: Analyzer | None = None
                  ) -> tuple[list[str], CompiledIndex, dict[str, np.ndarray]]:
    """Merge per-file term counts into postings (paragraph ids in document order) and BM25 arrays.

    Also returns, given the ``analyzer``, each paragraph's term ids (:mod:`retrieval.paragraph_terms`)
    for answering (empty without it).

    Empties ``files`` (its arrays are copied into the merged ones) to keep the build's peak low.
    """
    by_source = {d.source: d for d in documents}
    ids_parts, tfs_parts, count_parts = [], [], []
    for pf, f in zip(parsed, files):
        doc = by_source.get(pf.source)
        per_para = np.diff(f.para_ptr)
        if doc is not None and len(doc.paragraphs) == len(pf.paragraphs):
            ids_parts.append(f.ids)
            tfs_parts.append(f.tfs)
            count_parts.append(per_para)
            continue
        keep = _kept_mask(pf.paragraphs, doc.paragraphs) if doc is not None else np.zeros(len(per_para), bool)
        if keep.any():
            sel = np.repeat(keep, per_para)
            ids_parts.append(f.ids[sel])
            tfs_parts.append(f.tfs[sel])
            count_parts.append(per_para[keep])
    if not count_parts:
        terms, compiled = compile_postings([], np.empty(0, np.int32), np.empty(0, np.int32),
                                           np.empty(0, np.int32), np.empty(0, np.int32), settings)
        return terms, compiled, {}
    global_ids = np.concatenate(ids_parts)
    del ids_parts
    tfs = np.concatenate(tfs_parts)
    del tfs_parts
    counts = np.concatenate(count_parts)
    paras = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
    # Paragraph length = number of terms = sum of its frequencies.
    para_len = np.bincount(paras, weights=tfs, minlength=len(counts)).astype(np.int32)
    # Drop terms that only dropped paragraphs used, then number terms in sorted order.
    used = np.bincount(global_ids, minlength=len(vocab)) > 0
    terms = sorted(t for t, i in vocab.items() if used[i])
    remap = np.full(len(vocab), -1, dtype=np.int32)
    remap[np.fromiter(map(vocab.__getitem__, terms), dtype=np.int64, count=len(terms))] = np.arange(len(terms))
    term_ids = remap[global_ids]
    del global_ids
    files.clear()  # the per-file arrays are copied into the corpus-wide ones: free them now
    forward = {} if analyzer is None else paragraph_terms.arrays(
        term_ids, tfs, counts, len(terms), documents,
        lambda t: int(remap[vocab[t]]) if t in vocab and remap[vocab[t]] >= 0 else None, analyzer)
    grouped = order_postings(len(terms), term_ids, paras, tfs)
    del term_ids, paras, tfs  # before the impacts are computed: the build's peak memory
    return terms, compiled_postings(*grouped, para_len, settings), forward


def _process_files(tasks, scanned, analyzer: Analyzer, settings: Settings, cache: FileCache, workers: int, bar,
                   reuse: bool, added: set[str]):
    """Parse and tokenize every file (from the cache when ``reuse``), in ``workers`` processes.

    ``added`` collects the content hashes parsed here (their cache entries are new or rewritten).
    """
    parsed: list[ParsedFile] = []
    files: list[_Postings] = []
    vocab: dict[str, int] = {}
    new_manifest: dict[str, list] = {}
    skipped: list[SkippedFile] = []
    reused = parsed_count = 0
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
        for f, (sha, result, was_reused, reason) in zip(scanned, outputs):
            if bar is not None:
                bar.update(1)
            if reason is not None:
                skipped.append(SkippedFile(f.source, reason))
            if sha is None:
                continue
            new_manifest[f.source] = [f.size, f.mtime_ns, sha]
            if not was_reused:
                added.add(sha)
            reused += was_reused
            parsed_count += not was_reused
            if result is not None:
                parsed.append(_parsed_file(f.source, result))
                files.append(_postings_of(result, vocab))
    except BaseException:
        if pool is not None:  # interrupted or failed: stop the workers now, not after their queue
            stop_workers(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return files, parsed, vocab, new_manifest, reused, parsed_count, skipped


def _parsed_file(source: str, r: FileResult) -> ParsedFile:
    n = len(r.paragraphs)
    sections, pages, kinds = r.sections or ((),) * n, r.pages or (None,) * n, r.kinds or ("prose",) * n
    blocks = tuple(map(Block, r.paragraphs, sections, kinds, pages))
    return ParsedFile(source, r.title, r.date, r.url, blocks, r.format, r.dropped)


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
    cache = FileCache(cache_dir or index_dir / "cache", config_hash(analyzer.fingerprint(), settings.corpus),
                      writable=update_cache)
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
        files, parsed, vocab, new_manifest, reused, parsed_count, skipped = _process_files(
            tasks, scanned, analyzer, settings, cache, workers if use_pool else 1, bar, reuse_cache, added)
    except BrokenProcessPool as exc:
        # A worker died or could not start (e.g. __main__ not importable): do it here instead.
        log.warning("parallel tokenization failed (%s); continuing in this process", exc)
        if bar is not None:
            bar.reset()
        files, parsed, vocab, new_manifest, reused, parsed_count, skipped = _process_files(
            tasks, scanned, analyzer, settings, cache, 1, bar, reuse_cache, added)
    finally:
        if bar is not None:
            bar.close()
    phases = {"files": time.perf_counter() - started}
    documents = assemble(parsed, settings.corpus)
    if not documents:
        raise no_documents(corpus_dir, skipped)
    formats: dict[str, int] = {}
    for doc in documents:
        formats[doc.format] = formats.get(doc.format, 0) + 1
    dropped = {pf.source: pf.dropped for pf in parsed if pf.dropped}
    phases["assemble"] = time.perf_counter() - started
    terms, compiled, forward = compile_files(files, documents, parsed, vocab, settings.bm25, analyzer)
    del files, parsed, vocab
    phases["compile"] = time.perf_counter() - started
    # Section headings are indexed with their paragraphs, so a typo of a heading word is corrected too.
    words = count_words(index_text(p) for d in documents for p in d.paragraphs)
    words.update(count_words(context_text(d.source, d.title, d.paragraphs[0].text if d.paragraphs else "", 1)
                             for d in documents))
    build = save(index_dir, fingerprint=fingerprint, terms=terms, compiled=compiled, documents=documents,
                 words=words, extra_arrays=forward, extra_meta={"skipped": [[s.source, s.reason] for s in skipped],
                                          "formats": formats, "dropped": dropped})
    del documents, compiled, forward
    phases["save"] = time.perf_counter() - started
    log.debug("build phases (cumulative s): %s", {k: round(v, 2) for k, v in phases.items()})
    cache.write_manifest(new_manifest)
    cache.discard(old_shas - {e[2] for e in new_manifest.values()})
    removed = len(manifest.keys() - new_manifest.keys())
    report = BuildReport(len(scanned), reused, parsed_count, removed, time.perf_counter() - started,
                         tuple(skipped), formats, dropped)
    log.info("index built: %d files (%d reused, %d parsed, %d removed) in %.2f s",
             report.files, reused, parsed_count, removed, report.seconds)
    return load(build, settings.bm25), report
