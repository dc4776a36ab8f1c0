"""Fast scoring and the parallel/cached build keep exact BM25Okapi semantics."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from retrieval import index as index_module
from retrieval import postings
from retrieval.analysis import Analyzer
from retrieval.build import build_index, context_text
from retrieval.corpus import read_corpus
from retrieval.index import compile_index
from retrieval.settings import BM25Settings, Settings
from retrieval.store import current_build, load

REFERENCE = {"okapi": BM25Okapi, "l": BM25L, "plus": BM25Plus}


def zipf_corpus(seed: int, paragraphs: int = 3000, vocab: int = 800) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, vocab + 1)
    weights /= weights.sum()
    words = [f"w{i}" for i in range(vocab)]
    return [[words[i] for i in rng.choice(vocab, int(rng.integers(0, 50)), p=weights)] for _ in range(paragraphs)]


def queries(seed: int, vocab: int = 800, count: int = 150) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        q = [f"w{rng.randrange(vocab)}" for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.2:
            q.append(q[0])  # a repeated term counts twice, as in rank-bm25
        if rng.random() < 0.1:
            q.append("unknown-term")
        out.append(q)
    return out


@pytest.fixture(scope="module")
def corpus() -> list[list[str]]:
    return zipf_corpus(7)


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_full_scores_equal_rank_bm25(corpus, variant):
    terms, compiled = compile_index(corpus, BM25Settings(variant=variant))
    reference = REFERENCE[variant](corpus)
    ids = {t: i for i, t in enumerate(terms)}
    for q in queries(1):
        expected = reference.get_scores(q)
        got = compiled.full_scores([ids[t] for t in q if t in ids])
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.fixture(params=["compiled", "pruned", "numpy"])
def kernel(request, monkeypatch):
    """Run a test with the compiled top-k kernel (exhaustive, then with pruning forced on) and with numpy."""
    if request.param == "numpy":
        monkeypatch.setattr("retrieval.index._kernel", None)
    elif index_module._kernel is None:
        pytest.skip("the compiled kernel was not built on this machine (no C compiler at install time)")
    else:
        monkeypatch.setattr(index_module.CompiledIndex, "pruning", request.param == "pruned")
    return request.param


def brute_top(scores: np.ndarray, paras: np.ndarray, limit: int) -> list[int]:
    order = sorted(range(len(paras)), key=lambda i: (-scores[i], paras[i]))
    return [int(paras[i]) for i in order[:limit]]


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
@pytest.mark.parametrize("limit", [0, 1, 3, 9, 50])
def test_top_is_exact_ranking_with_id_tiebreak(corpus, limit, variant, kernel):
    terms, compiled = compile_index(corpus, BM25Settings(variant=variant))
    reference = REFERENCE[variant](corpus)
    ids = {t: i for i, t in enumerate(terms)}
    for q in queries(2):
        query = [ids[t] for t in q if t in ids]
        paras, scores, best_terms = compiled.top(query, limit)
        full = reference.get_scores(q)
        matching = np.array(sorted({p for t in query for p in compiled.postings(t)[0].tolist()}), dtype=np.int64)
        # Okapi's scores are the same floats as rank-bm25's, so even near-ties order alike; BM25L/+
        # reach equal values by another route (to ~1e-15), so their order is checked on our scores.
        ours = full if variant == "okapi" else compiled.full_scores(query)
        assert paras == brute_top(ours[matching], matching, limit)
        np.testing.assert_allclose(scores, full[paras], atol=1e-6)
        if kernel != "numpy":  # the same floats as the numpy path, not merely close
            numpy_top = compiled._top_numpy(query, limit)
            assert (paras, scores, best_terms) == numpy_top
        if paras:  # the query terms the best paragraph contains (the no-answer gate reads these)
            assert best_terms == {t for t in query if paras[0] in compiled.postings(t)[0]}


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_postings_encoded_in_chunks_equal_one_pass(corpus, variant, monkeypatch):
    _, whole = compile_index(corpus, BM25Settings(variant=variant))
    monkeypatch.setattr("retrieval.index._CHUNK", 97)  # many term ranges, some larger than a chunk
    monkeypatch.setattr("retrieval.postings._CHUNK", 89)
    _, chunked = compile_index(corpus, BM25Settings(variant=variant))
    for name, array in whole.arrays.items():  # class numbers do not depend on the blocks either
        np.testing.assert_array_equal(chunked.arrays[name], array, err_msg=name)
    assert len(whole.post_para) == len(whole.post_tf) == int(whole.ptr[-1])
    # The bound pruning relies on: no posting of a term adds more than its max_impact.
    for t in range(len(whole.df)):
        assert whole.impacts(t).max() == whole.arrays["max_impact"][t]


def test_pruned_path_skips_postings_and_matches_exhaustive(corpus, monkeypatch):
    """Forced on, the pruned path really prunes on common-word questions, with the same results."""
    if index_module._kernel is None:
        pytest.skip("the compiled kernel was not built on this machine (no C compiler at install time)")
    for variant in ("okapi", "l", "plus"):
        terms, compiled = compile_index(corpus, BM25Settings(variant=variant))
        ids = {t: i for i, t in enumerate(terms)}
        monkeypatch.setattr(index_module.CompiledIndex, "pruning", True)
        rng = random.Random(5)
        qs = [[ids[f"w{rng.randrange(2)}"], ids[f"w{rng.randrange(300, 800)}"]] for _ in range(60)]
        qs += [[ids[f"w{rng.randrange(800)}"] for _ in range(rng.randint(2, 6))] for _ in range(60)]
        qs = [[t for t in q if t is not None] for q in qs]
        before = index_module._kernel.stats()
        pruned = [compiled.top(q, limit) for q in qs for limit in (1, 9)]
        after = index_module._kernel.stats()
        assert after["skipped"] - before["skipped"] >= 60  # a rare word + a very common one: pruned
        monkeypatch.setattr(index_module.CompiledIndex, "pruning", False)
        assert [compiled.top(q, limit) for q in qs for limit in (1, 9)] == pruned
        assert [compiled._top_numpy(q, limit) for q in qs for limit in (1, 9)] == pruned
        monkeypatch.undo()


def test_top_breaks_ties_by_paragraph_id(kernel):
    # Identical paragraphs tie exactly; the lower id ranks first, and a limit inside the tie is honoured.
    corpus = [["alpha", "beta"]] * 40 + [["alpha"]] * 30 + [["gamma"]] * 30
    terms, compiled = compile_index(corpus, BM25Settings())
    ids = {t: i for i, t in enumerate(terms)}
    paras = compiled.top([ids["alpha"], ids["beta"]], 5).ids
    assert paras == [0, 1, 2, 3, 4]
    paras = compiled.top([ids["alpha"]], 45).ids
    assert paras == list(range(40, 70)) + list(range(15))  # shorter paragraphs first, ties by id
    query = [ids["alpha"], ids["beta"], ids["gamma"]]
    paras = compiled.top(query, 100).ids
    full = compiled.full_scores(query)
    assert paras == brute_top(full, np.arange(100), 100)


def test_compiled_kernel_rejects_damaged_arrays_and_keeps_its_scratch_clean(corpus):
    if index_module._kernel is None:
        pytest.skip("the compiled kernel was not built on this machine (no C compiler at install time)")
    terms, compiled = compile_index(corpus, BM25Settings())
    ids = {t: i for i, t in enumerate(terms)}
    query = [ids["w1"], ids["w5"]]
    expected = compiled.top(query, 5)
    with pytest.raises(ValueError, match="out of range"):
        compiled.top([len(terms) + 3], 5)
    w5 = ids["w5"]
    damages = {  # a paragraph that does not exist; a segment past its term's postings; an escape without value
        "seg_hi": lambda a: a.__setitem__(int(compiled.arrays["seg_ptr"][w5]), 7),
        "seg_end": lambda a: a.__setitem__(int(compiled.arrays["seg_ptr"][w5 + 1]) - 1, 10**6),
        "post_cls": lambda a: a.__setitem__(int(compiled.ptr[w5]) + 1, postings.CLS_ESCAPE),
    }
    for name, damage in damages.items():
        arrays = dict(compiled.arrays)
        arrays[name] = arrays[name].copy()
        damage(arrays[name])
        broken = index_module.CompiledIndex(arrays, compiled.settings)
        for pruning in (True, False):
            broken.pruning = pruning
            with pytest.raises(ValueError, match="inconsistent"):
                broken.top(query, 5)
            acc, mark = broken._scratch()
            assert not acc.any() and not mark.any()  # an aborted question leaves nothing behind
    assert compiled.top(query, 5) == expected


def test_score_lists_each_paragraph_once_ascending(corpus):
    terms, compiled = compile_index(corpus, BM25Settings())
    ids = {t: i for i, t in enumerate(terms)}
    paras, scores, base = compiled.score([ids["w1"], ids["w2"], ids["w1"]])
    assert base == (0.0 if compiled.settings.variant == "okapi" else pytest.approx(
        float(compiled.idf[ids["w1"]] * 2 + compiled.idf[ids["w2"]])))
    assert np.all(np.diff(paras) > 0) and len(paras) == len(scores)


def test_scoring_is_thread_safe(corpus, kernel):
    terms, compiled = compile_index(corpus, BM25Settings())
    ids = {t: i for i, t in enumerate(terms)}
    qs = [[ids[t] for t in q if t in ids] for q in queries(3)]
    expected = [compiled.top(q, 9).ids for q in qs]
    failures = []

    def worker():
        for _ in range(3):
            for q, exp in zip(qs, expected):
                if compiled.top(q, 9).ids != exp:
                    failures.append(q)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def write_corpus(folder: Path, seed: int, files: int = 30) -> None:
    rng = random.Random(seed)
    words = "alpha beta gamma delta missile treaty bases Russia NATO talks security proposal troops".split()
    for f in range(files):
        paras = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))).capitalize() + "."
                 for _ in range(rng.randint(1, 12))]
        paras.insert(rng.randint(0, len(paras)), "Share this article")  # chrome
        if f % 3 == 0:
            paras.append("Read the full story on our site")  # recurring short line: chrome
        sub = folder / f"part{f % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"doc{f:03d}.md").write_text(f"Headline number {f} here\n\n" + "\n\n".join(paras) + "\n")


def test_cached_parallel_build_equals_reference_pipeline(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 11)
    settings = Settings()
    analyzer = Analyzer(settings.analyzer)
    documents = read_corpus(corpus, settings.corpus)
    # A document's title and file name count as words of its first paragraph.
    tokenized = [analyzer.terms(p.text + "\n" + context_text(d.source, d.title, d.paragraphs[0].text) if i == 0
                                else p.text) for d in documents for i, p in enumerate(d.paragraphs)]
    terms, reference = compile_index(tokenized, settings.bm25)

    for workers in (1, 2):
        if workers == 2:
            monkeypatch.setattr("retrieval.build.POOL_MIN_BYTES", 0)
        index, report = build_index(corpus, tmp_path / f"index{workers}", settings, analyzer, "fp",
                                    workers=workers)
        assert report.parsed == 30 and report.reused == 0
        assert index.terms == terms
        for name in postings.ARRAYS:
            np.testing.assert_array_equal(index.compiled.arrays[name], reference.arrays[name], err_msg=name)
        for name in ("post_para", "post_tf"):
            np.testing.assert_array_equal(getattr(index.compiled, name), getattr(reference, name), err_msg=name)
        texts = [p.text for d in documents for p in d.paragraphs]
        assert [index.paragraph_text(i) for i in range(index.n_paragraphs)] == texts
        assert [(d.source, d.title, d.paragraphs) for d in index.documents] == \
            [(d.source, d.title, len(d.paragraphs)) for d in documents]
        reloaded = load(current_build(tmp_path / f"index{workers}"), settings.bm25)
        assert reloaded.terms == terms


def test_paragraph_ids_past_16_bits_and_large_frequencies_keep_parity(kernel):
    """Postings store 16 bits of a paragraph id per posting: ids beyond 65,535 and large frequencies must
    read back exactly and score as rank-bm25 does."""
    rng = random.Random(3)
    corpus = [[f"w{rng.randrange(40)}", f"v{rng.randrange(3000)}", "common"] for _ in range(140_000)]
    corpus[70_000] += ["flood"] * 300 + ["rare"]
    corpus[139_999] += ["flood"] * 1000 + ["rare"] * 255
    corpus[5] += ["flood"] * 254
    terms, compiled = compile_index(corpus, BM25Settings(variant="okapi"))
    ids = {t: i for i, t in enumerate(terms)}
    paras, tf = compiled.postings(ids["flood"])
    assert paras.tolist() == [5, 70_000, 139_999] and tf.tolist() == [254, 300, 1000]
    assert compiled.postings(ids["rare"])[1].tolist() == [1, 255]
    reference = BM25Okapi(corpus)
    for q in (["flood", "rare"], ["rare", "w3", "v17"], ["common", "v2999", "flood"]):
        query = [ids[t] for t in q]
        full = reference.get_scores(q)
        top = compiled.top(query, 9)
        matching = np.unique(np.concatenate([compiled.postings(t)[0] for t in query])).astype(np.int64)
        assert top.ids == brute_top(full[matching], matching, 9)
        np.testing.assert_allclose(top.scores, full[top.ids], atol=1e-6)


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_postings_without_a_class_score_the_same(corpus, variant, kernel, monkeypatch):
    """A corpus with more (tf, length) pairs than classes: the rest escape and are scored from the
    paragraph's length, to the same floats."""
    terms, reference = compile_index(corpus, BM25Settings(variant=variant))
    monkeypatch.setattr(postings, "MAX_CLASSES", 7)
    _, compiled = compile_index(corpus, BM25Settings(variant=variant))
    assert len(compiled.arrays["cls_tf"]) == 7 and len(compiled.arrays["tf_big_pos"]) > len(compiled.post_tf) // 2
    np.testing.assert_array_equal(compiled.post_tf, reference.post_tf)
    np.testing.assert_array_equal(compiled.arrays["max_impact"], reference.arrays["max_impact"])
    ids = {t: i for i, t in enumerate(terms)}
    for q in queries(4):
        query = [ids[t] for t in q if t in ids]
        assert compiled.top(query, 9) == reference.top(query, 9)


def test_verify_finds_damaged_postings_values(tmp_path, monkeypatch):
    """Damage that keeps every file's size (a class, a paragraph id, a bound) is found by verify()."""
    import json

    from retrieval.models import Document, Paragraph
    from retrieval.index_writer import save
    from retrieval.store import _file_crc, verify

    corpus = zipf_corpus(9, paragraphs=400)
    settings = BM25Settings()
    terms, compiled = compile_index(corpus, settings)
    monkeypatch.setattr(postings, "_CHUNK", 113)  # verify reads the postings in several term ranges
    documents = [Document(f"d{i}.txt", None, None, None, (Paragraph(f"d{i}.txt", 1, " ".join(words) or "x"),))
                 for i, words in enumerate(corpus)]
    build = save(tmp_path / "index", fingerprint="fp", terms=terms, compiled=compiled, documents=documents)
    assert verify(build, settings) == []
    t = int(np.argmax(np.asarray(compiled.df)))
    damages = {"post_cls": lambda a: a.__setitem__(int(compiled.ptr[t]) + 1, len(compiled.arrays["cls_tf"]) - 1),
               "post_lo": lambda a: a.__setitem__(int(compiled.ptr[t]) + 1, a[int(compiled.ptr[t])]),
               "max_impact": lambda a: a.__setitem__(t, a[t] / 2)}
    for name, damage in damages.items():
        path = build / f"{name}.npy"
        original = path.read_bytes()
        array = np.load(path)
        damage(array)
        np.save(path, array)
        meta_path = build / "meta.json"  # a consistent record of the wrong values: only value checks see it
        meta, meta_text = json.loads(meta_path.read_text()), meta_path.read_text()
        meta["files"][path.name] = [path.stat().st_size, _file_crc(path)]
        meta_path.write_text(json.dumps(meta))
        problems = verify(build, settings)
        assert problems and "checksum" not in problems[0], name
        path.write_bytes(original)
        meta_path.write_text(meta_text)
    assert verify(build, settings) == []
