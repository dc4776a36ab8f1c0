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
first paragraph its title and file name. The build (:mod:`retrieval.build_runs`) stores a plain
paragraph's postings ids as they are, and for a sectioned or first paragraph the terms of its text
alone, as the worker analysed it. An index without the arrays (built by an older citebot)
still answers, only slower.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import IndexCorrupt

TERMS_FILE = "para_terms"
PTR_FILE = "para_terms_ptr"
EXACT_FILE = "para_terms_exact"


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
