"""Per-file cache of parse + tokenize results, so re-indexing only redoes changed files.

An entry holds what one corpus file contributes before the corpus-wide rules:
its metadata and candidate paragraphs with their section paths, pages and kinds
(:class:`~retrieval.corpus.ParsedFile` without the source path) and, per
candidate paragraph (indexed with its section headings), its distinct terms with
frequencies (ids into a per-file vocabulary). The key is the SHA-256 of the
file's bytes combined with a *config hash* (cache format, analyzer fingerprint,
corpus settings), so an entry can never be read back under settings that would
have produced something else.

Layout (under ``<index>/cache/``)::

    manifest.json     source -> [size, mtime_ns, sha256 of content] from the last build, and the
                      config hash it was made under (another one: every entry is deleted)
    ab/<key>.cbc      one entry per distinct file content

Entry format (no pickle)::

    b"CBCACHE2" | u64 header length | header (UTF-8 JSON) | para_ptr int32[P+1] | ids [M] | tfs [M]

``ids`` and ``tfs`` are stored in the narrowest unsigned type that holds them
(named in the header): mostly 2 and 1 bytes instead of 4 and 4.

Entries and the manifest are written to a temporary file and swapped in with
``os.replace``; anything unreadable or inconsistent is a cache miss. Deleting
the whole folder is always safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import formats

log = logging.getLogger(__name__)

CACHE_FORMAT = 3  # 2: format, sections, pages, kinds, dropped; 3: narrow ids and frequencies
_MAGIC = b"CBCACHE2"
_LEN = struct.Struct("<Q")


@dataclass
class FileResult:
    """What one file contributes: metadata, candidate paragraphs and their term counts."""

    title: str | None
    date: str | None
    url: str | None
    paragraphs: tuple[str, ...]
    vocab: list[str]  # per-file vocabulary (local term id = position)
    para_ptr: np.ndarray  # int32 [P+1]: paragraph p's terms are ids[para_ptr[p]:para_ptr[p+1]]
    ids: np.ndarray  # int32: local term ids, distinct within a paragraph
    tfs: np.ndarray  # int32: their frequencies
    format: str = "text"
    sections: tuple[tuple[str, ...], ...] = ()  # per paragraph (empty: none has a section)
    pages: tuple[int | None, ...] = ()  # per paragraph (empty: no pages)
    kinds: tuple[str, ...] = ()  # per paragraph (empty: all prose)
    dropped: int = 0  # lines dropped as chrome


def config_hash(analyzer_fingerprint: str, corpus_settings) -> str:
    """Everything besides the file's bytes that shapes an entry."""
    payload = {"format": CACHE_FORMAT, "readers": formats.READERS_VERSION, "analyzer": analyzer_fingerprint,
               "corpus": asdict(corpus_settings)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def entry_key(config: str, content_sha: str) -> str:
    return hashlib.sha256(f"{config}:{content_sha}".encode()).hexdigest()


class FileCache:
    """The cache folder; every method tolerates a missing or damaged folder."""

    def __init__(self, folder: Path, config: str, writable: bool = True):
        self.folder = folder
        self.config = config
        self.writable = writable  # False: only read (the index folder cannot be written)

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.cbc"

    def get(self, content_sha: str) -> FileResult | None:
        """The entry for this content, or None when missing or unreadable."""
        path = self.path(entry_key(self.config, content_sha))
        try:
            data = path.read_bytes()
        except OSError:
            return None
        try:
            return _decode(data)
        except (ValueError, KeyError, TypeError, struct.error) as exc:
            log.debug("ignoring damaged cache entry %s: %s", path, exc)
            return None

    def put(self, content_sha: str, result: FileResult) -> None:
        """Store an entry atomically (best effort: a failure only costs a future miss)."""
        if not self.writable:
            return
        path = self.path(entry_key(self.config, content_sha))
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(_encode(result))
            os.replace(tmp, path)
        except OSError as exc:
            log.debug("cannot write cache entry %s: %s", path, exc)
            try:
                tmp.unlink()
            except OSError:
                pass

    def discard(self, content_shas: set[str]) -> None:
        """Delete the entries of contents no longer in the corpus."""
        for sha in content_shas:
            try:
                self.path(entry_key(self.config, sha)).unlink()
            except OSError:
                pass

    # -- manifest: source -> [size, mtime_ns, content sha] -----------------------
    def read_manifest(self) -> dict[str, list]:
        try:
            data = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT or data.get("config") != self.config:
            # Entries made under another format or configuration can never be read again (their keys
            # include it): delete them rather than leave them on disk for good.
            self._delete_entries()
            return {}
        files = data.get("files")
        return files if isinstance(files, dict) else {}

    def _delete_entries(self) -> None:
        if not self.writable:
            return
        for sub in self.folder.iterdir():
            if sub.is_dir() and len(sub.name) == 2:
                shutil.rmtree(sub, ignore_errors=True)

    def write_manifest(self, files: dict[str, list]) -> None:
        if not self.writable:
            return
        path = self.folder / "manifest.json"
        tmp = path.with_name(f".manifest.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"format": CACHE_FORMAT, "config": self.config, "files": files},
                                      separators=(",", ":")),
                           encoding="ascii")  # ASCII escapes: any file name round-trips
            os.replace(tmp, path)
        except OSError as exc:
            log.debug("cannot write cache manifest: %s", exc)


def _encode(r: FileResult) -> bytes:
    header = json.dumps({"title": r.title, "date": r.date, "url": r.url, "paragraphs": list(r.paragraphs),
                         "vocab": r.vocab, "n_ids": len(r.ids), "format": r.format,
                         "sections": [list(x) for x in r.sections], "pages": list(r.pages),
                         "kinds": list(r.kinds), "dropped": r.dropped,
                         "dtypes": [_narrowest(r.ids), _narrowest(r.tfs)]},
                        ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    arrays = [np.ascontiguousarray(a, dtype=dtype).tobytes()
              for a, dtype in zip((r.para_ptr, r.ids, r.tfs), ("<i4", _narrowest(r.ids), _narrowest(r.tfs)))]
    return b"".join([_MAGIC, _LEN.pack(len(header)), header, *arrays])


_NARROW = ("<u1", "<u2", "<u4")


def _narrowest(values: np.ndarray) -> str:
    """The smallest of uint8/16/32 holding every value (all are >= 0)."""
    top = int(values.max()) if len(values) else 0
    return _NARROW[0] if top < 1 << 8 else _NARROW[1] if top < 1 << 16 else _NARROW[2]


def _decode(data: bytes) -> FileResult:
    if data[: len(_MAGIC)] != _MAGIC:
        raise ValueError("bad magic")
    start = len(_MAGIC) + _LEN.size
    (size,) = _LEN.unpack_from(data, len(_MAGIC))
    header = json.loads(data[start : start + size].decode("utf-8"))
    paragraphs, vocab, m = header["paragraphs"], header["vocab"], header["n_ids"]
    if not (isinstance(paragraphs, list) and isinstance(vocab, list) and isinstance(m, int)):
        raise TypeError("bad header")
    p = len(paragraphs)
    body = start + size
    id_type, tf_type = (np.dtype(t) for t in header["dtypes"] if t in _NARROW)
    if len(data) - body != 4 * (p + 1) + m * (id_type.itemsize + tf_type.itemsize):
        raise ValueError("truncated entry")
    para_ptr = np.frombuffer(data, dtype="<i4", count=p + 1, offset=body).astype(np.int32)
    ids = np.frombuffer(data, dtype=id_type, count=m, offset=body + 4 * (p + 1)).astype(np.int32)
    tfs = np.frombuffer(data, dtype=tf_type, count=m, offset=body + 4 * (p + 1) + m * id_type.itemsize).astype(np.int32)
    if para_ptr[0] != 0 or para_ptr[-1] != m or (m and (ids.min() < 0 or ids.max() >= len(vocab))):
        raise ValueError("inconsistent entry")
    if p and np.any(np.diff(para_ptr) < 0):
        raise ValueError("inconsistent entry")
    extra = [header["sections"], header["pages"], header["kinds"]]
    if not all(isinstance(x, list) and len(x) in (0, p) for x in extra):
        raise ValueError("inconsistent entry")
    return FileResult(header["title"], header["date"], header["url"], tuple(paragraphs), vocab, para_ptr, ids, tfs,
                      header["format"], tuple(map(tuple, extra[0])), tuple(extra[1]), tuple(extra[2]),
                      int(header["dropped"]))
