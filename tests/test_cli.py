"""The citebot command: exit codes, JSON contract, stdin mode, options anywhere, help everywhere."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from bot.cli import cli, main
from bot.cli.render import BOLD, RESET, render_answer

from .support import EXAMPLE_QUESTION, REPO_ROOT, SEEDS, TOMAHAWK_SOURCE

CITATION_KEYS = {"n", "source", "paragraph", "title", "date", "text", "excerpt", "highlights", "score", "also_in",
                 "section", "page", "url"}


@pytest.fixture()
def run(tmp_path, capsys):
    """Run the CLI in-process against the seeds; returns (exit code, stdout, stderr)."""
    index = str(tmp_path / "idx")

    def _run(*args: str, stdin: str | None = None, corpus: str = str(SEEDS)):
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            code = main([*args, "--corpus", corpus, "--index", index])
        finally:
            sys.stdin = sys.__stdin__
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _check_schema(obj: dict) -> None:
    assert set(obj) == {"question", "answered", "answer", "citations", "reason", "corrections"}
    assert isinstance(obj["question"], str) and isinstance(obj["answered"], bool)
    assert all(set(c) == {"from", "to"} for c in obj["corrections"])
    if not obj["answered"]:
        assert obj["answer"] is None and obj["citations"] == [] and obj["reason"] in ("no_match", "too_vague")
        return
    assert obj["reason"] is None
    assert isinstance(obj["answer"], str)
    for c in obj["citations"]:
        assert set(c) == CITATION_KEYS
        assert isinstance(c["n"], int) and isinstance(c["paragraph"], int) and isinstance(c["score"], float)
        assert all(isinstance(c[k], str) for k in ("source", "text", "excerpt"))
        assert c["title"] is None or isinstance(c["title"], str)
        assert c["date"] is None or isinstance(c["date"], str)
        for start, end in c["highlights"]:
            assert 0 <= start < end <= len(c["excerpt"])
        assert all(set(ref) == {"source", "paragraph"} for ref in c["also_in"])


def test_ask_json_contract(run):
    code, out, err = run("ask", EXAMPLE_QUESTION, "--json")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    _check_schema(obj)
    assert obj["question"] == EXAMPLE_QUESTION and obj["answered"]
    first = obj["citations"][0]
    assert (first["source"], first["paragraph"]) == (TOMAHAWK_SOURCE, 17)
    assert [c["n"] for c in obj["citations"]] == [1, 2, 3]
    assert "two bases in Russia" in obj["answer"]


def test_ask_text_output(run):
    code, out, _ = run("ask", EXAMPLE_QUESTION, "--top-k", "1")
    assert code == 0
    assert "transparency mechanism" in out and f"{TOMAHAWK_SOURCE} ¶17" in out
    assert "[1]" in out and "[2]" not in out
    assert "\033[" not in out  # no ANSI codes when not a terminal


def test_terminal_output_bolds_matched_words(seeds_engine):
    text = render_answer(seeds_engine.ask(EXAMPLE_QUESTION), color=True)
    assert f"{BOLD}Tomahawk{RESET}" in text and f"{BOLD}missiles{RESET}" in text
    assert f"{BOLD}cruise{RESET}" not in text


def test_unanswered_is_exit_0_with_null_answer(run):
    code, out, _ = run("ask", "What did China say about Taiwan?", "--json")
    assert code == 0
    assert json.loads(out) == {"question": "What did China say about Taiwan?", "answered": False,
                               "answer": None, "citations": [], "reason": "no_match", "corrections": []}


def test_too_vague_and_corrections_in_text_and_json(run):
    code, out, _ = run("ask", "what is the default?", "--json")
    assert code == 0 and json.loads(out)["reason"] == "too_vague"
    code, out, _ = run("ask", "Thanks!")
    assert code == 0 and "more specific" in out
    code, out, _ = run("ask", "what did the US say about Tomahawk missles?", "--json")
    obj = json.loads(out)
    assert obj["answered"] and obj["corrections"] == [{"from": "missles", "to": "missiles"}]
    assert "Tomahawk" in obj["answer"]
    code, out, _ = run("ask", "what did the US say about Tomahawk missles?")
    assert code == 0 and "searched for *missiles* (you typed *missles*)" in out


def test_stdin_mode_is_json_lines(run):
    code, out, _ = run("ask", "-", "--json", stdin=f"{EXAMPLE_QUESTION}\n\nWhat did China say about Taiwan?\n")
    assert code == 0
    objs = [json.loads(line) for line in out.strip().splitlines()]
    assert [o["answered"] for o in objs] == [True, False]
    for obj in objs:
        _check_schema(obj)


@pytest.mark.parametrize("args,needle", [
    (("ask", ""), "empty"),
    (("ask", "   \t "), "empty"),
    (("ask", "x", "--top-k", "0"), "top-k"),
    (("ask", "x", "--top-k", "many"), "top-k"),
    (("ask",), "QUESTION"),
    (("nonsense",), "nonsense"),
    (("eval", "/definitely/not/here.jsonl"), "does not exist"),
])
def test_usage_errors_exit_2_with_one_line(run, args, needle):
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err
    assert "Traceback" not in err


def test_missing_corpus_is_exit_2_naming_the_path(run, tmp_path):
    code, _, err = run("ask", "hello", corpus=str(tmp_path / "no-such-corpus"))
    assert code == 2 and "no-such-corpus" in err and len(err.strip().splitlines()) == 1


def test_empty_corpus_is_exit_2(run, tmp_path):
    code, _, err = run("sources", corpus=str(tmp_path))
    assert code == 2 and "no documents" in err


@pytest.mark.parametrize("toml,key", [
    ("[bm25]\nk1 = \"high\"\n", "[bm25] k1"),
    ("[answer]\nunknown_knob = 1\n", "unknown_knob"),
    ("[nope]\n", "[nope]"),
    ("this is not toml", "TOML"),
])
def test_invalid_config_is_exit_2_naming_the_key(run, tmp_path, toml, key):
    config = tmp_path / "bad.toml"
    config.write_text(toml, encoding="utf-8")
    code, _, err = run("ask", "hello", "--config", str(config))
    assert code == 2 and key in err and len(err.strip().splitlines()) == 1


def test_options_before_and_after_the_subcommand(tmp_path, capsys):
    index = str(tmp_path / "idx")
    assert main(["--corpus", str(SEEDS), "--index", index, "ask", EXAMPLE_QUESTION, "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert main(["ask", EXAMPLE_QUESTION, "--json", "--corpus", str(SEEDS), "--index", index]) == 0
    after = json.loads(capsys.readouterr().out)
    assert before == after and before["answered"]


def test_long_and_garbage_questions_complete(run):
    for question in ("q" * 20000, "🙂🎉🔥 ?!… ¿¡", "\u202e\u200b\ufeff"):
        code, out, err = run("ask", question, "--json")
        assert code == 0 and json.loads(out)["question"] == question and "Traceback" not in err


def test_unexpected_error_is_one_line_exit_1(run, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("retrieval.engine.Engine.ask", boom)
    code, _, err = run("ask", "hello")
    assert code == 1 and "disk on fire" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run("ask", "hello", "--debug")
    assert code == 1 and "Traceback" in err


def test_index_and_sources(run):
    code, out, _ = run("index", "--force")
    assert code == 0 and "2 documents" in out and "33 paragraphs" in out and " terms" in out and " s" in out
    assert "2 files parsed, 0 reused from cache, 0 removed" in out
    code, out, _ = run("index")
    assert code == 0 and "reused (up to date)" in out
    code, out, _ = run("index", "--force")  # a clean rebuild: the per-file cache is not reused
    assert code == 0 and "2 files parsed, 0 reused from cache" in out
    code, out, _ = run("sources")
    rows = [line.split("\t") for line in out.strip().splitlines()]
    assert rows[0] == [TOMAHAWK_SOURCE, 'Media revealed US and NATO responses to Russia\'s so-called "security '
                       'guarantees"', "2022-02-02T13:29", "18", "text"]
    assert rows[1][0] == "001_3d066d7d62a00373.txt" and rows[1][2:] == ["-", "15", "text"]


def test_eval_command(run):
    golden = str(REPO_ROOT / "tests" / "data" / "golden.jsonl")
    code, out, _ = run("eval", golden, "--json")
    assert code == 0
    report = json.loads(out)
    assert {"recall_at_k", "mrr_at_k", "no_answer_accuracy", "questions", "k"} <= set(report)
    code, out, _ = run("eval", golden)
    assert code == 0 and "recall@3" in out and "MRR@3" in out and "no-answer accuracy" in out


def test_eval_rejects_malformed_lines(run, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"q": "fine", "rel": []}\n{"q": 3}\n', encoding="utf-8")
    code, _, err = run("eval", str(bad))
    assert code == 2 and "bad.jsonl:2" in err


def test_chat_loop(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the history lives in the state folder
    code, out, _ = run("chat", stdin=f"{EXAMPLE_QUESTION}\n\n:quit\nnever asked\n")
    assert code == 0 and "transparency mechanism" in out and "never asked" not in out
    assert (tmp_path / "state" / "citebot" / "chat_history").exists()  # saved for the next session
    assert not (tmp_path / ".citebot").exists()  # nothing written into the current folder
    code, out, _ = run("chat", stdin="")  # Ctrl-D right away
    assert code == 0


def test_every_command_has_help_with_an_example(capsys):
    assert main(["--help"]) == 0
    assert "Example" in capsys.readouterr().out
    names = cli.list_commands(click.Context(cli))
    assert {"ask", "chat", "index", "sources", "eval", "serve", "invite-url"} <= set(names)
    for name in names:
        assert main([name, "--help"]) == 0, name
        out = capsys.readouterr().out
        assert "Example" in out and "--corpus" in out and "--debug" in out, name


def test_version(capsys):
    assert main(["--version"]) == 0
    assert "citebot" in capsys.readouterr().out


def test_real_entry_points(tmp_path):
    """The installed console script and `python -m bot` answer the example question."""
    script = Path(sys.executable).parent / "citebot"
    commands = [[sys.executable, "-m", "bot"]] + ([[str(script)]] if script.exists() else [])
    for command in commands:
        done = subprocess.run([*command, "ask", EXAMPLE_QUESTION, "--json", "--corpus", str(SEEDS),
                               "--index", str(tmp_path / "idx")],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["citations"][0]["source"] == TOMAHAWK_SOURCE


def test_ask_with_context_is_a_follow_up_and_json_shows_terms_and_weights(run):
    code, out, _ = run("ask", "and NATO?", "--context", "what did the US say about Tomahawk missiles", "--json")
    data = json.loads(out)
    assert code == 0 and data["citations"][0]["paragraph"] == 17
    assert data["context"]["used"] == ["what did the US say about Tomahawk missiles"]
    assert {"term": "tomahawk", "weight": 0.5} in data["context"]["terms"]
    code, out, _ = run("ask", "and NATO?", "-c", "what did the US say about Tomahawk missiles")
    assert code == 0 and out.startswith('following up on: "what did the US say about Tomahawk missiles"')


def test_a_follow_up_about_something_the_corpus_lacks_is_refused_with_no_match(run):
    code, out, _ = run("ask", "and Kubernetes?", "--context", "what did the US say about Tomahawk missiles", "--json")
    data = json.loads(out)
    assert code == 0 and data["answer"] is None and data["citations"] == [] and data["reason"] == "no_match"
    assert data["context"]["used"] == ["what did the US say about Tomahawk missiles"]
