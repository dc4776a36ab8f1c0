"""Each paragraph's distinct term ids, stored with the index (a forward index).

Answering compares candidate paragraphs by the weighted terms of their *text* (near-duplicate
merging). Reading ids stored at build time is far cheaper than tokenising and stemming every
candidate again. Three arrays in the build folder:

    para_terms.npy        the distinct term ids of paragraph 0's text, then 1's, ... (uint16 when
                          the vocabulary allows, else uint32)
    para_terms_ptr.npy    int64 [n+1]: paragraph p's ids are para_terms[ptr[p]:ptr[p+1]]
    para_terms_exact.npy  uint8 [n]: 0 where the ids could not be stored exactly (then the answer
                          analyses that paragraph's text, as without the arrays)

The postings index more than a paragraph's text: its section headings, and for a document's
first paragraph its title and file name. Most paragraphs have neither, and their postings' ids
are stored as they are; a sectioned one has its headings' term counts taken off its counts
(unless a multi-word alias could join the headings to the text); a first paragraph's text is
analysed again (one per document). An index without the arrays (built by an older citebot)
still answers, only slower.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .analysis import Analyzer
from .errors import IndexCorrupt
from .models import Document

TERMS_FILE = "para_terms"
PTR_FILE = "para_terms_ptr"
EXACT_FILE = "para_terms_exact"


def arrays(term_ids: np.ndarray, tfs: np.ndarray, counts: np.ndarray, n_terms: int,
           documents: Sequence[Document], term_id: Callable[[str], int | None],
           analyzer: Analyzer) -> dict[str, np.ndarray]:
    """The arrays to store, from the postings' per-paragraph ``term_ids`` and ``tfs`` (paragraph-major,
    ``counts[p]`` of them for paragraph p, final ids); ``term_id`` maps a term to its final id."""
    ptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    sizes = np.asarray(counts, dtype=np.int64).copy()
    exact = np.ones(len(counts), dtype=np.uint8)
    pieces, done, pid = [], 0, 0
    headings: dict[tuple[str, ...], dict[int, int] | None] = {}
    for doc in documents:
        for i, paragraph in enumerate(doc.paragraphs):
            if i == 0 or paragraph.section:
                a, b = int(ptr[pid]), int(ptr[pid + 1])
                ids = _text_ids(paragraph, i == 0, term_ids[a:b], tfs[a:b], headings, term_id, analyzer)
                if ids is None:  # stored as indexed; the answer analyses the text instead
                    exact[pid] = 0
                else:
                    pieces += [term_ids[int(ptr[done]):a], ids]
                    sizes[pid] = len(ids)
                    done = pid + 1
            pid += 1
    pieces.append(term_ids[int(ptr[done]):])
    ids = np.concatenate([np.asarray(piece, dtype=np.int64) for piece in pieces])
    np.cumsum(sizes, out=ptr[1:])
    return {TERMS_FILE: ids.astype(np.uint16 if n_terms <= 1 << 16 else np.uint32), PTR_FILE: ptr,
            EXACT_FILE: exact}


def _text_ids(paragraph, first: bool, ids: np.ndarray, tfs: np.ndarray,
              headings: dict[tuple[str, ...], dict[int, int] | None], term_id: Callable[[str], int | None],
              analyzer: Analyzer) -> np.ndarray | None:
    """The distinct term ids of the paragraph's text alone; None when they cannot be told exactly."""
    counts = None
    if not first:  # sectioned: its postings counted the headings' terms too
        key = tuple(paragraph.section)
        if key not in headings:
            heading = " › ".join(key)
            headings[key] = None if analyzer.may_join_next(heading) else _counts(analyzer.terms(heading), term_id)
        counts = headings[key]
    if counts is not None:
        keep = np.fromiter((tf > counts.get(i, 0) for i, tf in zip(ids.tolist(), tfs.tolist())), dtype=bool,
                           count=len(ids))
        return ids[keep]
    found = [term_id(t) for t in analyzer.term_set(paragraph.text)]
    if any(i is None for i in found):
        return None  # a multi-word alias joined the text to its headings or title when indexed
    return np.array(sorted(found), dtype=np.int64)


def _counts(terms: list[str], term_id: Callable[[str], int | None]) -> dict[int, int] | None:
    out: dict[int, int] = {}
    for t in terms:
        i = term_id(t)
        if i is None:
            return None
        out[i] = out.get(i, 0) + 1
    return out


class ParagraphTerms:
    """Memory-mapped paragraph -> distinct term ids."""

    def __init__(self, ids: np.ndarray, ptr: np.ndarray, exact: np.ndarray):
        self.ids = ids
        self.ptr = ptr
        self.exact = exact

    def of(self, pid: int) -> np.ndarray | None:
        """The distinct term ids of paragraph ``pid``'s text; None when not stored exactly."""
        if not self.exact[pid]:
            return None
        return self.ids[int(self.ptr[pid]):int(self.ptr[pid + 1])]


def load(folder: Path, n_paragraphs: int, n_terms: int) -> ParagraphTerms | None:
    """The stored forward index of a build folder; None when the build has none.

    Raises IndexCorrupt when the arrays do not fit the index (shapes, bounds; the contents
    are covered by the build's size and CRC records).
    """
    paths = [folder / f"{name}.npy" for name in (TERMS_FILE, PTR_FILE, EXACT_FILE)]
    if not all(path.is_file() for path in paths):
        return None
    try:
        ids, ptr, exact = (np.load(path, mmap_mode="r", allow_pickle=False) for path in paths)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"index in {folder} is damaged: {exc}") from None
    if (ptr.shape != (n_paragraphs + 1,) or exact.shape != (n_paragraphs,) or ids.ndim != 1
            or ids.dtype.kind != "u" or int(ptr[0]) != 0 or int(ptr[-1]) != len(ids)):
        raise IndexCorrupt(f"index in {folder} is damaged: paragraph terms do not fit the index")
    return ParagraphTerms(ids, ptr, exact)


def check(terms: ParagraphTerms, n_terms: int) -> list[str]:
    """Every value checked (for ``verify``): pointers ascending, ids in the vocabulary, flags 0 or 1."""
    problems = []
    if len(terms.exact) and int(terms.exact.max()) > 1:
        problems.append("a paragraph terms flag is not 0 or 1")
    if len(terms.ptr) > 1 and bool(np.any(np.diff(terms.ptr) < 0)):
        problems.append("paragraph term pointers are not ascending")
    if len(terms.ids) and int(terms.ids.max()) >= n_terms:
        problems.append("a paragraph term id is outside the vocabulary")
    return problems
