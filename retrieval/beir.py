"""Evaluation on a BEIR-format folder: ranking metrics and the no-answer protocol.

A BEIR folder holds ``corpus.jsonl`` (``{"_id", "title", "text"}``),
``queries.jsonl`` (``{"_id", "text"}``) and ``qrels/<split>.tsv``
(``query-id corpus-id score`` with a header line).

The corpus is written as files into a cache folder the way a user's documents
would be (the title in front matter, the text as the body), and indexed there
by the ordinary :class:`~retrieval.engine.Engine`, so titles count exactly as
they count for users. Rankings are per document (a document's best paragraph).

The answerability protocol: a deterministic half of the queries (by a hash of
the query id) get their relevant documents removed from the corpus. On the
other half, asking should answer (refusal rate); on the removed half, it
should not (false-answer rate).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .engine import Engine
from .errors import CitebotError
from .evaluate import json_lines
from .metrics import mrr_at_k, ndcg_at_k, recall_at_k
from .search import search
from .settings import Settings

_RANK_DEPTH = 100
_MARKER = ".citebot-beir"


class BeirError(CitebotError):
    """The folder is not a readable BEIR dataset (the message says what is wrong)."""


@dataclass
class BeirDataset:
    corpus: dict[str, tuple[str, str]]  # id -> (title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> {document id: relevance}
    split: str


@dataclass
class AnswerabilityReport:
    top_k: int
    answerable: int  # queries whose relevant documents all stay in the corpus
    unanswerable: int  # queries whose relevant documents were removed
    removed_documents: int
    refusal_rate: float  # refused among the answerable
    false_answer_rate: float  # answered among the unanswerable


@dataclass
class BeirReport:
    split: str
    queries: int
    documents: int
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    top_k: int
    refused: int  # questions `ask --top-k top_k` refuses on the full corpus
    answerability: AnswerabilityReport | None = None
    per_query: dict[str, dict] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("per_query")
        return data


def is_beir_folder(path: Path) -> bool:
    return path.is_dir() and (path / "corpus.jsonl").is_file()


def splits(folder: Path) -> list[str]:
    """The qrels splits present, sorted (``qrels/train.tsv`` -> ``train``)."""
    return sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))


def _read_jsonl(path: Path) -> list[dict]:
    items = []
    for number, item in json_lines(path, BeirError):
        if not isinstance(item, dict) or "_id" not in item:
            raise BeirError(f'{path}:{number}: expected an object with "_id"')
        items.append(item)
    return items


def load_dataset(folder: Path, split: str | None = None) -> BeirDataset:
    """Read a BEIR folder; ``split`` defaults to the first split in ``qrels/``."""
    folder = Path(folder)
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (folder / name).is_file():
            raise BeirError(f"{folder} is not a BEIR folder: {name} is missing")
    available = splits(folder)
    if not available:
        raise BeirError(f"{folder} has no qrels/<split>.tsv")
    split = split or available[0]
    if split not in available:
        raise BeirError(f"no split {split!r} in {folder / 'qrels'} (there is: {', '.join(available)})")
    corpus = {str(d["_id"]): (str(d.get("title") or ""), str(d.get("text") or ""))
              for d in _read_jsonl(folder / "corpus.jsonl")}
    queries = {str(q["_id"]): str(q.get("text") or "") for q in _read_jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    path = folder / "qrels" / f"{split}.tsv"
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, row in enumerate(csv.reader(handle, delimiter="\t"), 1):
                if not row or (number == 1 and not row[-1].strip().lstrip("-").isdigit()):
                    continue  # header
                if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                    raise BeirError(f"{path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score'")
                qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    except (OSError, UnicodeDecodeError) as exc:
        raise BeirError(f"cannot read {path}: {exc}") from None
    qrels = {q: rel for q, rel in qrels.items() if q in queries and any(g > 0 for g in rel.values())}
    if not qrels:
        raise BeirError(f"{path}: no judged query that queries.jsonl holds")
    return BeirDataset(corpus, queries, qrels, split)


def default_cache(folder: Path) -> Path:
    """``~/.cache/citebot/beir/<name>-<hash of the folder path>``."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:12]
    return base / "citebot" / "beir" / f"{Path(folder).resolve().name}-{digest}"


def _file_name(doc_id: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", doc_id).strip("._") or "doc"
    name, n = f"{stem}.md", 1
    while name.lower() in taken:
        n += 1
        name = f"{stem}-{n}.md"
    taken.add(name.lower())
    return name


def _document_file(title: str, text: str) -> str:
    title = " ".join(title.split())
    body = text.strip() or title
    if not title:
        return body + "\n"
    return f"---\ntitle: {title}\n---\n\n{body}\n"


def write_corpus(corpus: dict[str, tuple[str, str]], folder: Path) -> dict[str, str]:
    """Write each document as ``<id>.md`` (front matter title + text); returns source -> document id.

    The files are rewritten only when the document set or their content changed.
    """
    taken: set[str] = set()
    names = {doc_id: _file_name(doc_id, taken) for doc_id in sorted(corpus)}
    digest = hashlib.sha256()
    for doc_id in sorted(corpus):
        digest.update(json.dumps([doc_id, *corpus[doc_id]]).encode())
    marker = folder / _MARKER
    if not (marker.is_file() and marker.read_text() == digest.hexdigest()):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for doc_id, name in names.items():
            (folder / name).write_text(_document_file(*corpus[doc_id]), encoding="utf-8")
        marker.write_text(digest.hexdigest())
    return {name: doc_id for doc_id, name in names.items()}


def rank_documents(engine: Engine, question: str, source_to_id: dict[str, str], depth: int = _RANK_DEPTH) -> list[str]:
    """Document ids for ``question``, best first (a document ranks by its best paragraph)."""
    result = search(engine.index, engine.analyzer, question, depth * 3, engine.settings.answer)
    ranking: list[str] = []
    seen: set[str] = set()
    for hit in result.hits:
        doc_id = source_to_id.get(hit.source)
        if doc_id is not None and doc_id not in seen:
            seen.add(doc_id)
            ranking.append(doc_id)
            if len(ranking) == depth:
                break
    return ranking


def _in_removed_half(query_id: str) -> bool:
    return hashlib.sha256(query_id.encode()).digest()[0] & 1 == 1


def evaluate_beir(dataset: BeirDataset, cache: Path, settings: Settings | None = None, *, top_k: int = 10,
                  answerability: bool = False, answer_top_k: int = 3, progress: bool = False) -> BeirReport:
    """Index the dataset's corpus under ``cache`` and score the split's judged queries."""
    settings = settings or Settings()
    sources = write_corpus(dataset.corpus, cache / "corpus")
    engine = Engine.open(cache / "corpus", cache / "index", settings, progress=progress)
    ndcg = recall = mrr = 0.0
    refused = 0
    per_query = {}
    for qid, rel in dataset.qrels.items():
        question = dataset.queries[qid]
        ranking = rank_documents(engine, question, sources)
        scores = (ndcg_at_k(ranking, rel, 10), recall_at_k(ranking, rel, 100), mrr_at_k(ranking, rel, 10))
        ndcg, recall, mrr = ndcg + scores[0], recall + scores[1], mrr + scores[2]
        answer = engine.ask(question, top_k=top_k)
        refused += not answer.answered
        per_query[qid] = {"ndcg": scores[0], "answered": answer.answered, "reason": answer.reason}
    n = len(dataset.qrels)
    report = BeirReport(dataset.split, n, len(engine.index.documents), round(ndcg / n, 4), round(recall / n, 4),
                        round(mrr / n, 4), top_k, refused, per_query=per_query)
    if answerability:
        report.answerability = _answerability(dataset, cache, settings, answer_top_k, progress, per_query)
    return report


def _answerability(dataset: BeirDataset, cache: Path, settings: Settings, top_k: int, progress: bool,
                   per_query: dict[str, dict]) -> AnswerabilityReport:
    removed_queries = [q for q in dataset.qrels if _in_removed_half(q)]
    removed = {doc for q in removed_queries for doc, g in dataset.qrels[q].items() if g > 0}
    kept_corpus = {doc: value for doc, value in dataset.corpus.items() if doc not in removed}
    folder = cache / f"answerability-{dataset.split}"
    write_corpus(kept_corpus, folder / "corpus")
    engine = Engine.open(folder / "corpus", folder / "index", settings, progress=progress)
    answerable = [q for q in dataset.qrels if not _in_removed_half(q)
                  and not any(doc in removed for doc, g in dataset.qrels[q].items() if g > 0)]
    refused = answered = 0
    for qid in answerable:
        answer = engine.ask(dataset.queries[qid], top_k=top_k)
        refused += not answer.answered
        per_query[qid]["kept_answered"] = answer.answered
    for qid in removed_queries:
        answer = engine.ask(dataset.queries[qid], top_k=top_k)
        answered += answer.answered
        per_query[qid]["removed_answered"] = answer.answered
    return AnswerabilityReport(
        top_k, len(answerable), len(removed_queries), len(removed & dataset.corpus.keys()),
        round(refused / len(answerable), 4) if answerable else 0.0,
        round(answered / len(removed_queries), 4) if removed_queries else 0.0,
    )
