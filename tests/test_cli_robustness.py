"""CLI behaviour users of well-kept CLIs expect: usage errors, clean rebuilds, odd folders and names."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from bot.cli import main

from .support import REPO_ROOT, write_corpus


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def small_corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
        "weather.txt": "Weather\n\nThe harbour froze over during the cold winter.\n",
        "budget.txt": "Budget\n\nThe ministry approved the budget for schools and roads.\n",
    })


def test_index_naming_a_file_is_a_usage_error(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    (tmp_path / "afile").write_text("x")
    code, out, err = run(capsys, "ask", "hangar", "--corpus", str(corpus), "--index", str(tmp_path / "afile"))
    assert code == 2 and "--index must name a folder" in err and "afile" in err
    assert len(err.strip().splitlines()) == 1


def test_empty_corpus_option_is_a_usage_error(tmp_path, capsys):
    code, out, err = run(capsys, "ask", "hangar", "--corpus", "", "--index", str(tmp_path / "i"))
    assert code == 2 and "--corpus is empty" in err


def test_index_folder_inside_the_corpus_is_not_indexed(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    index = corpus / ".citebot-index"
    args = ("--corpus", str(corpus), "--index", str(index))
    code, out, _ = run(capsys, "index", *args)
    assert code == 0 and "4 documents" in out
    # stored files (a .txt-named file too) stay out of the corpus, and the next run reuses the index
    (index / "notes.txt").write_text("Notes\n\nThis file lives in the index folder and is not a document.\n")
    code, out, _ = run(capsys, "index", *args)
    assert code == 0 and "reused (up to date)" in out
    assert "skipped" not in out  # the index's own files are not reported as unsupported documents either
    code, out, _ = run(capsys, "sources", "--json", *args)
    assert sorted(json.loads(line)["source"] for line in out.splitlines()) == ["budget.txt", "launchers.txt", "talks.txt",
                                                                                  "weather.txt"]


def test_force_is_a_clean_rebuild(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    args = ("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert run(capsys, "index", *args)[0] == 0
    (corpus / "talks.txt").write_text("Talks\n\nThe envoys agreed to meet again in Vienna.\n")
    code, out, _ = run(capsys, "index", *args)
    assert code == 0 and "1 files parsed, 3 reused from cache" in out  # an ordinary refresh reuses
    code, out, _ = run(capsys, "index", "--force", *args)
    assert code == 0 and "4 files parsed, 0 reused from cache" in out


def test_debug_after_the_command_name_turns_on_debug_logs(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    code, out, err = run(capsys, "index", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--debug")
    assert code == 0 and "DEBUG" in err


def test_sources_into_a_closed_pipe_exits_0_quietly(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {
        f"doc{i:03d}.txt": f"Report {i}\n\nThe envoy number {i} spoke about treaty {i}.\n" for i in range(400)})
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "i")]
    assert subprocess.run([sys.executable, "-m", "bot", "index", *args], capture_output=True, timeout=120,
                          cwd=REPO_ROOT).returncode == 0
    # like `citebot sources | head -1`
    proc = subprocess.Popen([sys.executable, "-m", "bot", "sources", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO_ROOT)
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and first.startswith(b"doc000.txt")
    assert err == b""


def test_unquoted_question_words_are_one_question(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    code, out, err = run(capsys, "ask", "where", "are", "the", "Tomahawk", "launchers", "--json",
                         "--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert code == 0, err
    answer = json.loads(out)
    assert answer["question"] == "where are the Tomahawk launchers" and answer["answered"]


def test_stdin_text_mode_shows_each_question(tmp_path, capsys, monkeypatch):
    corpus = small_corpus(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("where are the Tomahawk launchers?\nwhere did the envoys meet?\n"))
    code, out, err = run(capsys, "ask", "-", "--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert code == 0
    first, second = out.index("Q: where are the Tomahawk launchers?"), out.index("Q: where did the envoys meet?")
    assert first < out.index("hangar") < second < out.index("Geneva")


def test_width_follows_columns(tmp_path, capsys, monkeypatch):
    corpus = small_corpus(tmp_path)
    monkeypatch.setenv("COLUMNS", "40")
    code, out, err = run(capsys, "ask", "where are the Tomahawk launchers?", "--corpus", str(corpus),
                         "--index", str(tmp_path / "i"))
    assert code == 0 and "hangar" in out
    assert max(len(line) for line in out.splitlines()) <= 40
    monkeypatch.delenv("COLUMNS")
    code, out, err = run(capsys, "ask", "where are the Tomahawk launchers?", "--corpus", str(corpus),
                         "--index", str(tmp_path / "i"))
    assert max(len(line) for line in out.splitlines()) > 40  # not a terminal: 100 columns


def test_no_color_when_not_a_terminal_or_never(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    common = ("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    for extra in ((), ("--color", "never")):
        code, out, _ = run(capsys, "ask", "where are the Tomahawk launchers?", *extra, *common)
        assert code == 0 and "\x1b" not in out
    code, out, _ = run(capsys, "--color", "always", "ask", "where are the Tomahawk launchers?", *common)
    assert "\x1b[1m" in out
    code, out, err = run(capsys, "ask", "x", "--color", "sometimes", *common)
    assert code == 2 and "sometimes" in err


def test_eval_without_answerable_questions_is_not_a_perfect_score(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"q": "what is the price of tea in china?", "rel": []}\n')
    common = ("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    code, out, _ = run(capsys, "eval", str(golden), *common)
    assert code == 0 and "recall@3: n/a (no answerable questions)" in out and "1.000" not in out.split("no-answer")[0]
    code, out, _ = run(capsys, "eval", str(golden), "--json", *common)
    report = json.loads(out)
    assert report["recall_at_k"] is None and report["mrr_at_k"] is None


def test_invite_url_rejects_a_negative_application_id(capsys):
    code, out, err = run(capsys, "invite-url", "--application-id", "-5")
    assert code == 2 and "application-id" in err and out == ""
