"""A deterministic synthetic corpus and question set for the benchmark.

Vocabulary: ``vocab`` pronounceable pseudo-words (none a stopword, none a
stem of another), drawn with Zipf weights ``1 / rank**s``. Paragraphs: 30-90
words (mean 60) in sentences of 6-18 words. Files: a headline line and 20-180
paragraphs (mean 100) separated by blank lines, spread over nested folders.
Questions: 2-5 mid-frequency words (Zipf rank 100-5000) taken from a random
paragraph, so the corpus answers them.

    .venv/bin/python -m bench.corpus 10m <workdir>/corpus-10m   # then bench.run --workdir <workdir> reuses it
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20240229
_ONSETS = "b c d f g h j k l m n p r s t v w z br cl dr fl gr kr pl pr sk st tr".split()
_VOWELS = "a e i o u ai ea io ou".split()
_CODAS = ["", "", "", "", "", "n", "r", "s", "l", "m", "x", "nd", "rt"]


@dataclass(frozen=True)
class CorpusSpec:
    paragraphs: int
    vocab: int = 50_000
    zipf_s: float = 1.0
    words_mean: int = 60
    paras_per_file: int = 100
    seed: int = SEED


def make_vocabulary(size: int, seed: int = SEED) -> list[str]:
    """``size`` distinct pseudo-words that survive analysis as distinct terms."""
    from retrieval.analysis import Analyzer

    analyzer = Analyzer()
    rng = np.random.default_rng(seed)
    syllables = [o + v + c for o, v, c in itertools.product(_ONSETS, _VOWELS, _CODAS)]
    words, stems = [], set()
    while len(words) < size:
        n = int(rng.choice(3, p=(0.15, 0.6, 0.25))) + 1
        word = "".join(syllables[i] for i in rng.integers(0, len(syllables), n))
        terms = analyzer.terms(word)
        if len(terms) != 1 or terms[0] in stems:
            continue
        stems.add(terms[0])
        words.append(word)
    words.sort(key=len)  # frequent words are short, as in real text (stable: still seeded)
    return words


def _zipf_cdf(size: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** s
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def generate(spec: CorpusSpec, folder: Path) -> dict:
    """Write the corpus under ``folder``; returns a summary (files, paragraphs, bytes, words)."""
    rng = np.random.default_rng(spec.seed)
    vocab = make_vocabulary(spec.vocab, spec.seed)
    v = len(vocab)
    # Token variants: plain, "Capitalised" (sentence start), "word." (sentence end).
    forms = vocab + [w.capitalize() for w in vocab] + [w + "." for w in vocab]
    cdf = _zipf_cdf(v, spec.zipf_s)
    folder.mkdir(parents=True, exist_ok=True)
    remaining, file_no, total_bytes, total_words = spec.paragraphs, 0, 0, 0
    while remaining > 0:
        n_paras = min(remaining, int(rng.integers(spec.paras_per_file // 5, spec.paras_per_file * 9 // 5 + 1)))
        lengths = rng.integers(spec.words_mean // 2, spec.words_mean * 3 // 2 + 1, n_paras)
        ids = np.searchsorted(cdf, rng.random(int(lengths.sum())))
        # Sentence boundaries: every 6-18 words, and at each paragraph end.
        form = np.zeros(len(ids), dtype=np.int64)
        ends = np.cumsum(lengths) - 1
        starts = np.concatenate([[0], ends[:-1] + 1])
        for a, b in zip(starts.tolist(), ends.tolist()):
            pos = a
            while pos <= b:
                form[pos] = 1
                pos += int(rng.integers(6, 19))
                form[min(pos - 1, b)] = 2
        form[ends] = 2
        words = (ids + form * v).tolist()
        head = rng.integers(0, v, 6)
        paragraphs, at = [], 0
        for n in lengths.tolist():
            paragraphs.append(" ".join(map(forms.__getitem__, words[at : at + n])))
            at += n
        title = " ".join(vocab[i] for i in head.tolist()).capitalize()
        text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        sub = folder / f"d{file_no // 1000:03d}" / f"s{(file_no // 100) % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        (sub / f"article_{file_no:06d}.txt").write_bytes(data)
        total_bytes += len(data)
        total_words += int(lengths.sum())
        remaining -= n_paras
        file_no += 1
    return {"files": file_no, "paragraphs": spec.paragraphs, "bytes": total_bytes, "words": total_words,
            "vocabulary": v}


def questions(spec: CorpusSpec, folder: Path, count: int, seed: int = SEED + 1) -> list[str]:
    """``count`` questions of 2-5 mid-frequency words, each drawn from one random paragraph."""
    vocab = make_vocabulary(spec.vocab, spec.seed)
    rank = {w: i for i, w in enumerate(vocab)}
    rng = np.random.default_rng(seed)
    files = sorted(folder.rglob("*.txt"))
    out = []
    while len(out) < count:
        path = files[int(rng.integers(0, len(files)))]
        paras = path.read_text(encoding="utf-8").split("\n\n")[1:]
        para = paras[int(rng.integers(0, len(paras)))]
        words = list(dict.fromkeys(w.strip(".").lower() for w in para.split()))
        mid = [w for w in words if 100 <= rank.get(w, -1) < 5000]
        want = int(rng.integers(2, 6))
        if len(mid) < want:
            continue
        picked = rng.choice(len(mid), want, replace=False)
        out.append(" ".join(mid[i] for i in sorted(picked.tolist())) + "?")
    return out


def main(argv: list[str] | None = None) -> int:
    """Write a corpus as ``bench.run`` would (with its ``.spec.json`` marker, so ``--workdir`` reuses it)."""
    import argparse
    import json
    import time

    parser = argparse.ArgumentParser(description="Write the benchmark's synthetic corpus.")
    parser.add_argument("paragraphs", help="how many paragraphs: 100000, 1m, 10m ...")
    parser.add_argument("folder", type=Path, help="where to write it (e.g. <workdir>/corpus-10m for bench.run)")
    args = parser.parse_args(argv)
    text = args.paragraphs.lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    spec = CorpusSpec(int(float(text.rstrip("km")) * scale))
    started = time.perf_counter()
    summary = generate(spec, args.folder)
    (args.folder / ".spec.json").write_text(json.dumps({"spec": spec.__dict__, "summary": summary}))
    print(f"{summary} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
