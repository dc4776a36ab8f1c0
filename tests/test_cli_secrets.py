"""A token pasted into the wrong config key is never echoed by an error message."""

from __future__ import annotations

import pytest

from bot.cli import main

from .support import write_corpus

TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GhXyZa.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.mark.parametrize("toml, key", [
    (f'[discord]\napplication_id = "{TOKEN}"\n', "application_id"),
    (f'[discord]\nguild_ids = ["{TOKEN}"]\n', "guild_ids[0]"),
    (f'[logging]\nlevel = "{TOKEN}"\n', "level"),
    (f'[discord]\ntoken_env = "{TOKEN}"\n', "token_env"),
])
def test_config_error_names_the_key_but_never_prints_a_token(tmp_path, capsys, toml, key):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "The backup runs nightly at two.\n"})
    config = tmp_path / "citebot.toml"
    config.write_text(toml)
    code = main(["ask", "backup", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--config", str(config)])
    out, err = capsys.readouterr()
    assert code == 2 and key in err and len(err.strip().splitlines()) == 1
    assert TOKEN not in out + err and "GhXyZa" not in out + err


def test_a_short_wrong_value_is_still_shown(tmp_path, capsys):
    config = tmp_path / "citebot.toml"
    config.write_text('[bm25]\nvariant = "bm26"\n')
    code = main(["sources", "--config", str(config)])
    assert code == 2 and "'bm26'" in capsys.readouterr().err
