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

A build is written to a temporary folder (:mod:`retrieval.index_writer`), then
``CURRENT`` is replaced atomically: a crash mid-build leaves the previous index live. Only one process
builds at a time (see :mod:`retrieval.locking`).

Integrity: at open the size of every file and the CRC-32 of the small ones
(vocabulary, documents, per-term arrays) are checked, and a few cheap value
checks run (finite idf, in-range df); every quoted paragraph is checked against
its CRC-32 when read (about a microsecond), so damaged texts or citations are
never shown; :func:`verify` checks every byte and value. Any damage raises
:class:`~retrieval.errors.IndexCorrupt`, and the engine rebuilds.
"""

from __future__ import annotations

import json
import logging
import mmap
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import IndexCorrupt
from . import postings
from .index import CompiledIndex, max_impacts
from .formats.model import KINDS
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
