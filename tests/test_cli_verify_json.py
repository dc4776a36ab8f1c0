"""``citebot index --verify --json`` prints one JSON object, like ``index --json``."""

from __future__ import annotations

import json

from bot.cli import main

from .support import write_corpus


def test_verify_with_json_prints_json(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "The Tomahawk launchers are kept in a hangar.\n"})
    args = ["--corpus", str(corpus), "--index", str(tmp_path / "i")]
    assert main(["index", *args]) == 0
    capsys.readouterr()
    assert main(["index", "--verify", "--json", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["verified"] is True and report["problems"] == [] and report["documents"] == 1
