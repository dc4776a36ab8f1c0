"""CLI behaviour users of well-kept CLIs expect: usage errors, clean rebuilds, odd folders and names."""

from __future__ import annotations

import json

from bot.cli import main

from .support import write_corpus


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def small_corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
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
    assert code == 0 and "2 documents" in out
    # stored files (a .txt-named file too) stay out of the corpus, and the next run reuses the index
    (index / "notes.txt").write_text("Notes\n\nThis file lives in the index folder and is not a document.\n")
    code, out, _ = run(capsys, "index", *args)
    assert code == 0 and "reused (up to date)" in out
    code, out, _ = run(capsys, "sources", "--json", *args)
    assert sorted(json.loads(line)["source"] for line in out.splitlines()) == ["launchers.txt", "talks.txt"]


def test_force_is_a_clean_rebuild(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    args = ("--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert run(capsys, "index", *args)[0] == 0
    (corpus / "talks.txt").write_text("Talks\n\nThe envoys agreed to meet again in Vienna.\n")
    code, out, _ = run(capsys, "index", *args)
    assert code == 0 and "1 files parsed, 1 reused from cache" in out  # an ordinary refresh reuses
    code, out, _ = run(capsys, "index", "--force", *args)
    assert code == 0 and "2 files parsed, 0 reused from cache" in out
