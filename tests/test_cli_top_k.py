"""``--top-k`` beyond any sensible number is a usage error, never an OverflowError with exit 1."""

from __future__ import annotations

import pytest

from bot.cli import main

from .support import write_corpus


@pytest.mark.parametrize("command", [["ask", "hangar"], ["chat"], ["eval", "GOLDEN"]])
@pytest.mark.parametrize("value", ["10001", "99999999999999999999999"])
def test_huge_top_k_is_a_usage_error(tmp_path, capsys, command, value):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "The Tomahawk launchers are kept in a hangar.\n"})
    golden = tmp_path / "golden.jsonl"
    golden.write_text('{"q": "where are the launchers kept?", "rel": ["hangar"]}\n')
    argv = [str(golden) if a == "GOLDEN" else a for a in command]
    code = main([*argv, "--top-k", value, "--corpus", str(corpus), "--index", str(tmp_path / "i")])
    err = capsys.readouterr().err
    assert code == 2 and "--top-k" in err and "Overflow" not in err and len(err.strip().splitlines()) == 1


def test_large_top_k_within_range_still_answers(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "The Tomahawk launchers are kept in a hangar.\n"})
    assert main(["ask", "hangar", "-k", "10000", "--corpus", str(corpus), "--index", str(tmp_path / "i")]) == 0
    assert "hangar" in capsys.readouterr().out
