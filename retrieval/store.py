"""Saving and loading a built index: a folder of ``.npy`` arrays and JSON, no pickle.

Layout of the index folder::

    CURRENT              name of the live build folder (swapped with os.replace)
    build-<id>/          one complete build
        meta.json        format version, fingerprint, counts, size and CRC-32 of every file
        terms.txt        the vocabulary, one term per line, sorted (line = term id)
        *.npy            compact postings (see :mod:`retrieval.postings`), per-term and per-paragraph
                         arrays (loaded memory-mapped)
        texts.bin        paragraph texts, UTF-8, concatenated; text_offsets.npy
        text_crc.npy     per paragraph: CRC-32 of (document, paragraph number, text bytes)
        documents.json   per document (one list per field): source, title, date, url, first paragraph, count,
                         format
        sections.json    the distinct section paths; para_section.npy (index, -1: none),
                         para_page.npy (0: none) and para_kind.npy (into KINDS) per paragraph

A build is written to a temporary folder, then ``CURRENT`` is replaced
atomically: a crash mid-build leaves the previous index live. Only one process
builds at a time (see :mod:`retrieval.locking`).

Integrity: at open the size of every file and the CRC-32 of the small ones
(vocabulary, documents, per-term arrays) are checked, and a few cheap value
checks run (finite idf, in-range df); every quoted paragraph is checked against
its CRC-32 when read (about a microsecond), so damaged texts or citations are
never shown; :func:`verify` checks every byte and value. Any damage raises
:class:`~retrieval.errors.IndexCorrupt`, and the engine rebuilds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mmap
import os
import shutil
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexCorrupt, IndexUnwritable
from . import postings
from .index import CompiledIndex, compiled_from_encoded, max_impacts
from .formats.model import KINDS
from .models import Document
from .settings import BM25Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 6  # 2: impact.npy; 3: words.tsv (surface words for typo correction); 4: text_crc.npy,
# per-file CRC-32; 5: document formats, paragraph sections, pages and kinds; 6: compact postings (4 bytes each,
# impacts computed when read), per-term maximum impacts
_DOC_FIELDS = ("source", "title", "date", "url", "first", "paragraphs", "format")
_ARRAYS = (*postings.ARRAYS, "para_doc", "para_num", "text_offsets", "text_crc", "para_section", "para_page",
           "para_kind")
# Files checked byte for byte at every open (the rest only by size, and by verify()).
_SMALL_FILE_BYTES = 1 << 20
_PARA_KEY = struct.Struct("<ii")


@dataclass(frozen=True)
class DocumentInfo:
    """A document as stored in the index (without its paragraphs)."""

    source: str
    title: str | None
    date: str | None
    url: str | None
    first: int  # global id of its first paragraph
    paragraphs: int  # how many
    format: str = "text"  # text, markdown, html, pdf, docx, rst


class StoredIndex:
    """A loaded index: compiled BM25 arrays, vocabulary, documents, paragraph texts."""

    def __init__(self, folder: Path, meta: dict, terms: list[str], arrays: dict[str, np.ndarray],
                 documents: list[DocumentInfo], texts: mmap.mmap | bytes, bm25: BM25Settings,
                 sections: list[tuple[str, ...]] | None = None):
        self.folder = folder
        self.meta = meta
        self.terms = terms
        self.term_ids = {t: i for i, t in enumerate(terms)}
        self.arrays = arrays
        self.documents = documents
        self._texts = texts
        self.para_doc = arrays["para_doc"]
        self.para_num = arrays["para_num"]
        self._offsets = arrays["text_offsets"]
        self._crc = arrays["text_crc"]
        self.sections = sections or []
        self.compiled = CompiledIndex(arrays, bm25)

    @property
    def fingerprint(self) -> str:
        return self.meta["fingerprint"]

    @property
    def n_paragraphs(self) -> int:
        return len(self.para_doc)

    @property
    def words(self) -> dict[str, int]:
        """The corpus's surface words (lowercase, folded) with counts; read on first use."""
        words = getattr(self, "_words", None)
        if words is None:
            words = {}
            path = self.folder / "words.tsv"
            if path.is_file():
                for line in path.read_text(encoding="utf-8").splitlines():
                    word, _, count = line.partition("\t")
                    words[word] = int(count or 1)
            self._words = words
        return words

    def paragraph_text(self, pid: int) -> str:
        """The display text of paragraph ``pid`` (read from disk, checked against its CRC-32).

        Raises IndexCorrupt when the text, its document or its number differ from what was indexed.
        """
        if not 0 <= pid < len(self._crc):
            raise IndexCorrupt(f"index in {self.folder} is damaged: paragraph {pid} out of range")
        start, end = int(self._offsets[pid]), int(self._offsets[pid + 1])
        data = self._texts[start:end] if 0 <= start <= end <= len(self._texts) else b""
        if paragraph_crc(int(self.para_doc[pid]), int(self.para_num[pid]), data) != int(self._crc[pid]):
            raise IndexCorrupt(f"index in {self.folder} is damaged: paragraph {pid} fails its checksum")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:  # only a CRC collision gets here
            raise IndexCorrupt(f"index in {self.folder} is damaged: paragraph {pid} is not UTF-8") from None

    def paragraph_section(self, pid: int) -> tuple[str, ...]:
        """The headings above paragraph ``pid``, outermost first."""
        i = int(self.arrays["para_section"][pid])
        return self.sections[i] if 0 <= i < len(self.sections) else ()

    def paragraph_page(self, pid: int) -> int | None:
        """The 1-based page where paragraph ``pid`` starts, or None."""
        return int(self.arrays["para_page"][pid]) or None

    def paragraph_kind(self, pid: int) -> str:
        """prose, list, code, table or quote."""
        return KINDS[int(self.arrays["para_kind"][pid])]


def paragraph_crc(doc: int, number: int, data: bytes) -> int:
    """CRC-32 binding a paragraph's text bytes to its document and number."""
    return zlib.crc32(data, zlib.crc32(_PARA_KEY.pack(doc, number)))


def _file_crc(path: Path) -> int:
    crc = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def _write_json(path: Path, data) -> None:
    # ASCII escapes: any file name (also one with undecodable bytes, as surrogates) round-trips.
    path.write_text(json.dumps(data, separators=(",", ":")), encoding="ascii")


def save(index_dir: Path, *, fingerprint: str, terms: list[str], compiled: CompiledIndex,
         documents: list[Document], extra_meta: dict | None = None,
         words: dict[str, int] | None = None, extra_arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write a complete build and make it current atomically; returns the build folder.

    Raises IndexUnwritable (naming the folder and the OS error) when it cannot be written; nothing of
    the failed build is left behind and the previous build stays current. ``extra_arrays`` are written
    as ``<name>.npy`` beside the others (covered by meta's sizes and CRCs), e.g. the paragraph terms.
    """
    with IndexWriter(index_dir) as writer:
        for doc in documents:
            paragraphs = doc.paragraphs
            writer.add_document(doc.source, doc.title, doc.date, doc.url, doc.format,
                                [p.text for p in paragraphs], [p.section for p in paragraphs],
                                [p.page for p in paragraphs], [p.kind for p in paragraphs],
                                numbers=[p.number for p in paragraphs])
        writer.write_compiled(compiled)
        for name, array in (extra_arrays or {}).items():
            writer.add_array(name, array)
        return writer.commit(fingerprint=fingerprint, terms=terms, words=words, extra_meta=extra_meta)


class _Column:
    """A per-paragraph column streamed to a raw file in the build folder (made an .npy at commit)."""

    def __init__(self, folder: Path, name: str, dtype) -> None:
        self.name = name
        self.dtype = np.dtype(dtype)
        self.path = folder / f"{name}.raw"
        self._file = open(self.path, "wb", buffering=1 << 16)
        self.size = 0

    def extend(self, values) -> None:
        values = np.asarray(values, dtype=self.dtype)
        write_array(self._file, values)
        self.size += len(values)

    def close(self) -> None:
        self._file.close()


def write_array(fh, array: np.ndarray) -> None:
    """Append an array's raw values to an open binary file (an OSError keeps its errno, unlike ``tofile``)."""
    fh.write(memoryview(np.ascontiguousarray(array)).cast("B"))


def _write_npy_header(fh, dtype, length: int) -> None:
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (length,)})


class IndexWriter:
    """Writes one build folder piece by piece: documents as they come, postings term range by term range.

    Use as a context manager: on an exception the unfinished build is removed and
    the previous build stays current; :meth:`commit` makes the new one current.
    Memory: the per-paragraph columns (a few bytes each) and one postings block.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir
        self.build_id = f"build-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        self.tmp = index_dir / f".{self.build_id}.tmp"
        self._committed = False
        self._columns: dict[str, list] = {key: [] for key in _DOC_FIELDS}
        self._text_bytes = 0
        self._section_ids: dict[tuple[str, ...], int] = {}
        self._kind_ids = {k: i for i, k in enumerate(KINDS)}
        self._texts = None
        self._column_files: list[_Column] = []
        self._postings_written = False

    def __enter__(self) -> "IndexWriter":
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.tmp.mkdir()
            # Paragraph texts and per-paragraph columns stream to disk: a large corpus is never held in memory.
            self._texts = open(self.tmp / "texts.bin", "wb", buffering=1 << 20)
            for name, dtype in (("para_doc", np.int32), ("para_num", np.int32), ("text_offsets", np.int64),
                                ("text_crc", np.uint32), ("para_section", np.int32), ("para_page", np.int32),
                                ("para_kind", np.int8)):
                self._column_files.append(_Column(self.tmp, name, dtype))
            (self._para_doc, self._para_num, self._offsets, self._crcs, self._para_section, self._para_page,
             self._para_kind) = self._column_files
            self._offsets.extend([0])
        except OSError as exc:
            self._abort()
            raise IndexUnwritable(self.index_dir, exc) from None
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if not self._committed:
            self._abort()
            if isinstance(exc, OSError):
                raise IndexUnwritable(self.index_dir, exc) from None

    def _abort(self) -> None:
        for column in self._column_files:
            with contextlib.suppress(OSError):
                column.close()
        if self._texts is not None:
            with contextlib.suppress(OSError):
                self._texts.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def n_documents(self) -> int:
        return len(self._columns["source"])

    @property
    def n_paragraphs(self) -> int:
        return self._para_doc.size

    def add_document(self, source: str, title: str | None, date: str | None, url: str | None, format: str,
                     texts, sections=(), pages=(), kinds=(), numbers=None) -> None:
        """The next document and its paragraphs' texts (numbered 1.. unless ``numbers`` says otherwise);
        ``sections``, ``pages``, ``kinds``: one per paragraph, or empty when none has one."""
        d_index, pid, n = self.n_documents, self.n_paragraphs, len(texts)
        for key, value in zip(_DOC_FIELDS, (source, title, date, url, pid, n, format)):
            self._columns[key].append(value)
        numbers = range(1, n + 1) if numbers is None else numbers
        sizes, crcs = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.uint32)
        write, key = self._texts.write, _PARA_KEY.pack
        for i, (text, number) in enumerate(zip(texts, numbers)):
            data = text.encode("utf-8")
            write(data)
            sizes[i] = len(data)
            crcs[i] = zlib.crc32(data, zlib.crc32(key(d_index, number)))
        ends = np.cumsum(sizes) + self._text_bytes
        self._offsets.extend(ends)
        self._text_bytes = int(ends[-1]) if n else self._text_bytes
        self._crcs.extend(crcs)
        self._para_doc.extend(np.full(n, d_index, dtype=np.int32))
        self._para_num.extend(numbers)
        section_ids = self._section_ids
        self._para_section.extend([section_ids.setdefault(s, len(section_ids)) if s else -1 for s in sections]
                                  if any(sections) else np.full(n, -1))
        self._para_page.extend([p or 0 for p in pages] if any(pages) else np.zeros(n))
        self._para_kind.extend([self._kind_ids.get(k, 0) if k != "prose" else 0 for k in kinds]
                               if kinds else np.zeros(n))

    def write_postings(self, df: np.ndarray, para_len: np.ndarray, blocks, bm25: BM25Settings) -> None:
        """Postings grouped by term: ``blocks`` yields ``(post_para, post_tf)`` covering whole terms in
        term order; they are encoded (:mod:`retrieval.postings`) and streamed to disk block by block."""
        df = np.asarray(df, dtype=np.int32)
        para_len = np.asarray(para_len, dtype=np.int32)
        ptr = np.zeros(len(df) + 1, dtype=np.int64)
        np.cumsum(df, out=ptr[1:])
        total, term = int(ptr[-1]), 0
        encoder = postings.PostingsEncoder(para_len, keep=False)
        raw_cls = self.tmp / ".post_cls.raw"
        with open(self.tmp / "post_lo.npy", "wb", buffering=1 << 20) as lo_file, \
                open(raw_cls, "wb", buffering=1 << 20) as cls_file:
            _write_npy_header(lo_file, np.uint16, total)
            for post_para, post_tf in blocks:
                last = int(np.searchsorted(ptr, ptr[term] + len(post_para), side="left"))
                if int(ptr[last]) != int(ptr[term]) + len(post_para):
                    raise ValueError("a postings block does not cover whole terms")
                lo, cls = encoder.add(df[term:last], post_para, post_tf)
                write_array(lo_file, lo)
                write_array(cls_file, cls)
                term = last
        if term != len(df) and total:
            raise ValueError("the postings blocks end before the last term")
        # The classes get their final numbers now that all are known (a pass over 2 bytes per posting).
        renumber = encoder.renumbering()
        with open(raw_cls, "rb") as src, open(self.tmp / "post_cls.npy", "wb", buffering=1 << 20) as out:
            _write_npy_header(out, np.uint16, total)
            while chunk := src.read(1 << 23):
                write_array(out, renumber[np.frombuffer(chunk, dtype=np.uint16)])
        raw_cls.unlink()
        encoded = {**encoder.arrays(), "ptr": ptr, "df": df,
                   "post_lo": np.load(self.tmp / "post_lo.npy", mmap_mode="r"),
                   "post_cls": np.load(self.tmp / "post_cls.npy", mmap_mode="r")}
        compiled = compiled_from_encoded(encoded, para_len, bm25)
        for name, array in compiled.arrays.items():
            if name not in ("post_lo", "post_cls"):
                np.save(self.tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        self._postings_written = True

    def write_compiled(self, compiled: CompiledIndex) -> None:
        """The postings of an index compiled in memory."""
        for name, array in compiled.arrays.items():
            np.save(self.tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        self._postings_written = True

    def add_array(self, name: str, array: np.ndarray) -> None:
        """Another array of the build, saved as ``<name>.npy`` (covered by meta's sizes and CRCs)."""
        np.save(self.tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)

    def add_array_file(self, name: str, raw: Path, dtype) -> None:
        """Another array of the build from a file of its raw values (moved into ``<name>.npy``)."""
        dtype = np.dtype(dtype)
        with open(raw, "rb") as src, open(self.tmp / f"{name}.npy", "wb") as out:
            _write_npy_header(out, dtype, os.fstat(src.fileno()).st_size // dtype.itemsize)
            shutil.copyfileobj(src, out, 1 << 22)
        raw.unlink()

    def commit(self, *, fingerprint: str, terms: list[str], words: dict[str, int] | None = None,
               extra_meta: dict | None = None) -> Path:
        """Finish the build folder and make it current atomically; returns the build folder."""
        if not self._postings_written:
            raise ValueError("commit before the postings were written")
        tmp, index_dir, build_id = self.tmp, self.index_dir, self.build_id
        final = index_dir / build_id
        current_tmp = index_dir / f".CURRENT.{os.getpid()}.tmp"
        try:
            self._texts.close()
            n = self.n_paragraphs
            for column in self._column_files:
                column.close()
                self.add_array_file(column.name, column.path, column.dtype)
            (tmp / "terms.txt").write_text("\n".join(terms), encoding="utf-8")
            (tmp / "words.tsv").write_text("".join(f"{w}\t{c}\n" for w, c in sorted((words or {}).items())),
                                           encoding="utf-8")
            # Columns, not one object per document: 100k tiny files load in a fraction of the time.
            _write_json(tmp / "documents.json", self._columns)
            _write_json(tmp / "sections.json", [list(path) for path in self._section_ids])
            files = {p.name: [p.stat().st_size, _file_crc(p)] for p in sorted(tmp.iterdir())}
            meta = {"format": FORMAT_VERSION, "fingerprint": fingerprint, "documents": self.n_documents,
                    "paragraphs": n, "vocabulary": len(terms), "files": files, **(extra_meta or {})}
            _write_json(tmp / "meta.json", meta)
            _fsync_folder(tmp)
            os.rename(tmp, final)
            current_tmp.write_text(build_id, encoding="utf-8")
            os.replace(current_tmp, index_dir / "CURRENT")
        except BaseException as exc:
            shutil.rmtree(final, ignore_errors=True)
            with contextlib.suppress(OSError):
                current_tmp.unlink()
            if isinstance(exc, OSError):
                self._abort()
                raise IndexUnwritable(index_dir, exc) from None
            raise
        self._committed = True
        _remove_stale(index_dir, keep=build_id)
        return final


def _fsync_folder(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Delete old builds and leftovers of crashed builds (whose process is gone, or older than an hour)."""
    for entry in index_dir.iterdir():
        if entry.name in (keep, "CURRENT") or not entry.name.lstrip(".").startswith("build-"):
            continue
        crashed = entry.name.endswith(".tmp")
        if crashed and _builder_alive(entry.name) and time.time() - entry.stat().st_mtime < 3600:
            continue  # may be another process building right now
        shutil.rmtree(entry, ignore_errors=True)


def _builder_alive(tmp_name: str) -> bool:
    """Whether the process that named ``.build-<time>-<pid>-<n>.tmp`` may still be writing it."""
    try:
        pid = int(tmp_name.split("-")[2])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return False  # this process is not building anything else now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists (another user's)
        return True
    return True


def current_build(index_dir: Path) -> Path | None:
    """The live build folder, or None when there is no index yet."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"cannot read {index_dir / 'CURRENT'}: {exc}") from None
    if not name.startswith("build-") or "/" in name:
        raise IndexCorrupt(f"{index_dir / 'CURRENT'} does not name a build")
    return index_dir / name


def read_meta(build: Path) -> dict:
    """The meta.json of a build (raises IndexCorrupt when unreadable)."""
    try:
        meta = json.loads((build / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"index metadata unreadable in {build}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"index in {build} was written in another format "
                           f"(this citebot reads format {FORMAT_VERSION})")
    return meta


def load(build: Path, bm25: BM25Settings) -> StoredIndex:
    """Load a build with arrays memory-mapped; raises IndexCorrupt on any damage it can see cheaply."""
    meta = read_meta(build)
    try:
        for name, (size, crc) in meta["files"].items():
            path = build / name
            actual = path.stat().st_size
            if actual != size:
                raise IndexCorrupt(f"index in {build} is damaged: {name} has {actual} bytes, expected {size}")
            if size <= _SMALL_FILE_BYTES and _file_crc(path) != crc:
                raise IndexCorrupt(f"index in {build} is damaged: {name} fails its checksum")
        # Plain ndarray views of the maps: np.memmap's Python-level indexing is slow for scalars.
        arrays = {name: np.load(build / f"{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
                  for name in _ARRAYS}
        terms_text = (build / "terms.txt").read_text(encoding="utf-8")
        terms = terms_text.split("\n") if terms_text else []
        docs = _read_documents(build / "documents.json")
        sections = [tuple(path) for path in json.loads((build / "sections.json").read_text(encoding="utf-8"))]
        texts_path = build / "texts.bin"
        if texts_path.stat().st_size:
            with open(texts_path, "rb") as fh:
                texts = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        else:
            texts = b""
    except IndexCorrupt:
        raise
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexCorrupt(f"index in {build} is damaged: {exc}") from None
    try:
        _check_shapes(meta, terms, arrays, docs, len(texts))
        if len(arrays["para_section"]) and int(arrays["para_section"].max()) >= len(sections):
            raise ValueError("a paragraph names a section that does not exist")
        kinds = arrays["para_kind"]
        if len(kinds) and not 0 <= int(kinds.min()) <= int(kinds.max()) < len(KINDS):
            raise ValueError("a paragraph has an unknown kind")
    except (TypeError, ValueError) as exc:
        raise IndexCorrupt(f"index in {build} is damaged: {exc}") from None
    return StoredIndex(build, meta, terms, arrays, docs, texts, bm25, sections)


def verify(build: Path, bm25: BM25Settings) -> list[str]:
    """Check every byte and every value of a build; returns the problems found (empty when sound)."""
    try:
        index = load(build, bm25)
        meta = index.meta
        for name, (size, crc) in meta["files"].items():
            if _file_crc(build / name) != crc:
                return [f"{name} fails its checksum"]
    except IndexCorrupt as exc:
        return [str(exc)]
    except (OSError, ValueError, TypeError) as exc:
        return [f"index in {build} is damaged: {exc}"]
    a, n, v = index.arrays, index.n_paragraphs, len(index.terms)
    problems = []
    ptr, df = a["ptr"], a["df"]
    if v and (np.any(np.diff(ptr) < 0) or int(ptr[0]) != 0 or np.any(np.diff(ptr) != df)):
        problems.append("postings pointers are inconsistent")
    else:
        problems.extend(_postings_problems(index, n))
    for name in ("max_impact", "idf"):
        if not np.all(np.isfinite(a[name])):
            problems.append(f"{name} holds values that are not finite numbers")
    if n and (int(a["para_doc"].min()) < 0 or int(a["para_doc"].max()) >= len(index.documents)
              or np.any(np.diff(a["para_doc"]) < 0) or int(a["para_num"].min()) < 1 or int(a["para_len"].min()) < 0):
        problems.append("paragraph attributes are out of range")
    if np.any(np.diff(a["text_offsets"]) < 0):
        problems.append("paragraph text offsets are inconsistent")
    for pid in range(n):
        try:
            index.paragraph_text(pid)
        except IndexCorrupt as exc:
            problems.append(str(exc))
            break
    return problems


def _postings_problems(index: StoredIndex, n: int) -> list[str]:
    """What is wrong with the compact postings (segments, paragraph ids, classes, escapes), if anything.

    Reads them term range by term range (bounded memory at any size).
    """
    c, a = index.compiled, index.arrays
    ptr, df, cls = np.asarray(a["ptr"]), np.asarray(a["df"]), a["post_cls"]
    cls_len, para_len, big = np.asarray(a["cls_len"]), np.asarray(a["para_len"]), np.asarray(a["tf_big_pos"])
    n_classes, escapes, term = len(cls_len), 0, 0
    problems: set[str] = set()
    while term < len(df):
        start = int(ptr[term])
        last = min(len(df), max(term + 1, int(np.searchsorted(ptr, start + postings._CHUNK, side="right")) - 1))
        end = int(ptr[last])
        try:
            paras = postings.paragraphs(a, term, last)
        except ValueError:
            return ["postings segments are inconsistent"]
        if len(paras) and (int(paras.min()) < 0 or int(paras.max()) >= n):
            return ["a posting names a paragraph out of range"]
        firsts = ptr[term:last][df[term:last] > 0] - start  # a term's first posting may be below the last one's
        if len(paras) > 1 and np.any(np.delete(np.diff(paras) <= 0, firsts[1:] - 1)):
            problems.add("postings are not in paragraph order")
        chunk = np.asarray(cls[start:end])
        plain = chunk != postings.CLS_ESCAPE
        escapes += len(chunk) - int(np.count_nonzero(plain))
        if np.any(chunk[plain] >= n_classes):
            return sorted(problems) + ["posting classes are inconsistent"]
        if np.any(cls_len[chunk[plain]] != para_len[paras[plain]]):
            problems.add("posting classes do not match paragraph lengths")
        term = last
    try:
        escaped = np.asarray(cls)[big] if len(big) else np.zeros(0, np.uint16)
    except IndexError:
        escaped = None
    if escaped is None or escapes != len(big) or np.any(escaped != postings.CLS_ESCAPE) or np.any(np.diff(big) <= 0):
        return sorted(problems) + ["posting classes are inconsistent"]
    if n_classes and int(np.asarray(a["cls_tf"]).min()) < 1 or len(big) and int(np.asarray(a["tf_big"]).min()) < 1:
        problems.add("a posting has a frequency below 1")
    if not problems and not np.array_equal(max_impacts(c), np.asarray(a["max_impact"])):
        problems.add("per-term maximum impacts do not match the postings")
    return sorted(problems)


def _read_documents(path: Path) -> list[DocumentInfo]:
    data = json.loads(path.read_text(encoding="utf-8"))
    columns = [data[key] for key in _DOC_FIELDS]
    if len({len(c) for c in columns}) > 1:
        raise ValueError("documents.json columns differ in length")
    return list(map(DocumentInfo, *columns))


def _check_shapes(meta: dict, terms: list[str], a: dict[str, np.ndarray], docs: list[DocumentInfo],
                  text_bytes: int) -> None:
    v, n = len(terms), meta["paragraphs"]
    df = a["df"] if len(a["df"]) == v else np.zeros(0)
    problems = [
        not np.all(np.isfinite(a["idf"])) or not np.all(np.isfinite(a["max_impact"])),
        len(df) and (int(df.min()) < 1 or int(df.max()) > n),
        v != meta["vocabulary"] or len(docs) != meta["documents"],
        len(a["ptr"]) != v + 1 or len(a["df"]) != v or len(a["idf"]) != v,
        any(len(a[k]) != n for k in ("para_len", "para_doc", "para_num", "para_section", "para_page", "para_kind")),
        len(a["text_offsets"]) != n + 1 or len(a["text_crc"]) != n or (n and int(a["text_offsets"][-1]) != text_bytes),
        len(a["post_lo"]) != len(a["post_cls"]) or len(a["max_impact"]) != v or len(a["seg_ptr"]) != v + 1,
        len(a["cls_tf"]) != len(a["cls_len"]) or len(a["cls_tf"]) >= postings.CLS_ESCAPE,
        len(a["seg_hi"]) != len(a["seg_end"]) or len(a["tf_big_pos"]) != len(a["tf_big"]),
        v and (int(a["ptr"][-1]) != len(a["post_lo"]) or int(a["seg_ptr"][-1]) != len(a["seg_hi"])),
        sum(d.paragraphs for d in docs) != n,
    ]
    if any(problems):
        raise IndexCorrupt("index arrays are inconsistent or out of range (partial or damaged build)")
