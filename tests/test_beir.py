"""BEIR-format evaluation: standard metrics against hand-computed values, and `citebot eval DIR`."""

from __future__ import annotations

import json
import math

import pytest

from bot.cli import main
from retrieval.beir import load_dataset, write_corpus
from retrieval.errors import CitebotError
from retrieval.metrics import mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_matches_hand_computed_values():
    # Relevant: a (grade 2), c (grade 1). Ranked: x, a, c -> DCG = 2/log2(3) + 1/log2(4) = 1.26186 + 0.5.
    # Ideal: a, c -> 2/log2(2) + 1/log2(3) = 2 + 0.63093.
    assert ndcg_at_k(["x", "a", "c"], {"a": 2, "c": 1}, 10) == pytest.approx((2 / math.log2(3) + 0.5) / (2 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "c"], {"a": 1, "c": 1}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y", "a"], {"a": 1}, 2) == 0.0  # beyond the cutoff
    assert ndcg_at_k(["x", "a"], {"a": 1, "b": 0}, 10) == pytest.approx(1 / math.log2(3))  # grade 0 is not relevant


def test_recall_and_mrr_match_hand_computed_values():
    qrels = {"a": 1, "b": 1, "c": 1, "d": 1}
    assert recall_at_k(["a", "x", "c"], qrels, 100) == pytest.approx(0.5)
    assert recall_at_k(["a", "x", "c"], qrels, 1) == pytest.approx(0.25)
    assert mrr_at_k(["x", "y", "c"], qrels, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "c"], qrels, 2) == 0.0
    assert mrr_at_k([], qrels, 10) == 0.0


TOPICS = {
    "d1": ("Volcanic eruptions in Iceland", "The Eyjafjallajokull eruption of 2010 grounded flights across Europe for six days."),
    "d2": ("Honeybee navigation", "Honeybees communicate the direction of flowers through a waggle dance performed in the hive."),
    "d3": ("Tidal energy", "Tidal turbines convert the movement of ocean water into electricity near coastal estuaries."),
    "d4": ("Coral bleaching", "Warm sea temperatures make corals expel the algae living in their tissues, turning them white."),
    "d5": ("Glacier retreat", "Alpine glaciers lost a tenth of their ice volume during the heatwave summers of 2022 and 2023."),
    "d6": ("Octopus intelligence", "Octopuses solve puzzles, open jars and escape aquarium tanks using their flexible arms."),
}
QUERIES = {
    "q1": ("Which eruption grounded flights across Europe?", {"d1": 1}),
    "q2": ("How do honeybees communicate the direction of flowers?", {"d2": 1}),
    "q3": ("How do tidal turbines produce electricity?", {"d3": 1}),
    "q4": ("Why do corals turn white in warm sea temperatures?", {"d4": 1}),
    "q5": ("How much ice did Alpine glaciers lose?", {"d5": 1}),
    "q6": ("Can octopuses open jars?", {"d6": 1}),
}


@pytest.fixture()
def beir_folder(tmp_path):
    folder = tmp_path / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for doc_id, (title, text) in TOPICS.items():
            f.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as f:
        for qid, (text, _) in QUERIES.items():
            f.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore"] + [f"{q}\t{d}\t{g}" for q, (_, rel) in QUERIES.items() for d, g in rel.items()]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def test_beir_dataset_is_written_with_titles_in_front_matter(beir_folder, tmp_path):
    dataset = load_dataset(beir_folder)
    assert dataset.split == "test" and len(dataset.qrels) == 6
    sources = write_corpus(dataset.corpus, tmp_path / "written")
    assert sources["d1.md"] == "d1"
    assert (tmp_path / "written" / "d1.md").read_text(encoding="utf-8").startswith("---\ntitle: Volcanic eruptions")
    with pytest.raises(CitebotError, match="no split 'dev'"):
        load_dataset(beir_folder, "dev")


def test_eval_command_on_a_beir_folder(beir_folder, tmp_path, capsys):
    args = ["eval", str(beir_folder), "--cache", str(tmp_path / "cache"), "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == "test" and report["queries"] == 6 and report["documents"] == 6
    assert report["ndcg_at_10"] == 1.0 and report["mrr_at_10"] == 1.0 and report["recall_at_100"] == 1.0
    assert report["refused"] == 0 and report["answerability"] is None
    assert main([*args, "--answerability"]) == 0
    a = json.loads(capsys.readouterr().out)["answerability"]
    assert a["answerable"] + a["unanswerable"] == 6 and a["unanswerable"] >= 1 and a["answerable"] >= 1
    assert a["refusal_rate"] == 0.0 and a["false_answer_rate"] == 0.0  # distinct topics: nothing else answers
    assert main(["eval", str(beir_folder), "--cache", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "nDCG@10: 1.0000" in out and "Recall@100" in out and "MRR@10" in out


def test_eval_rejects_a_folder_that_is_not_beir(tmp_path, capsys):
    assert main(["eval", str(tmp_path)]) == 2
    assert "not a BEIR dataset" in capsys.readouterr().err
