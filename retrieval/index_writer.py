"""Writing one build folder of the index (the layout is described in :mod:`retrieval.store`).

:class:`IndexWriter` streams a build to disk: documents and their paragraph texts as they come,
postings term range by term range, then :meth:`IndexWriter.commit` makes the build current
atomically and removes stale ones. :func:`save` writes an index compiled in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
import zlib
from pathlib import Path

import numpy as np

from . import postings
from .errors import IndexUnwritable
from .formats.model import KINDS
from .index import CompiledIndex, Saturation, compiled_from_encoded, compute_idf
from .models import Document
from .settings import BM25Settings
from .store import _DOC_FIELDS, _PARA_KEY, FORMAT_VERSION, _file_crc


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
        # Each term's largest impact, from the blocks as they pass: reading the written postings back
        # afterwards pulled the whole index into memory (3.3 GB at 10M paragraphs).
        saturation = Saturation(para_len, compute_idf(df, len(para_len), bm25), bm25)
        max_impact = np.zeros(len(df), dtype=np.float64)
        raw_cls = self.tmp / ".post_cls.raw"
        with open(self.tmp / "post_lo.npy", "wb", buffering=1 << 20) as lo_file, \
                open(raw_cls, "wb", buffering=1 << 20) as cls_file:
            _write_npy_header(lo_file, np.uint16, total)
            for post_para, post_tf in blocks:
                last = int(np.searchsorted(ptr, ptr[term] + len(post_para), side="left"))
                if int(ptr[last]) != int(ptr[term]) + len(post_para):
                    raise ValueError("a postings block does not cover whole terms")
                lo, cls = encoder.add(df[term:last], post_para, post_tf)
                max_impact[term:last] = saturation.term_maxima(term, df[term:last], post_para, post_tf)
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
        compiled = compiled_from_encoded(encoded, para_len, bm25, max_impact)
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
