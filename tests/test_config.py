"""Config: the example file parses, documents every key with its default, and bad files are named."""

from __future__ import annotations

import tomllib

import pytest

from bot.config import _SCHEMA, Config, ConfigError, config_from_dict, load_config

from .support import REPO_ROOT

EXAMPLE = REPO_ROOT / "config.example.toml"


def test_example_config_parses_and_equals_the_defaults():
    assert load_config(EXAMPLE).settings == Config().settings == config_from_dict({}).settings
    assert load_config(EXAMPLE).discord == config_from_dict({}).discord


def test_example_config_documents_every_key():
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, keys in _SCHEMA.items():
        for key in keys:
            assert key in raw.get(section, {}) or f"# {key} =" in text, f"[{section}] {key} is not documented"
    assert raw["aliases"]


def test_no_config_file_means_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_config() == config_from_dict({})


@pytest.mark.parametrize("raw,message", [
    ({"bm25": {"k1": "x"}}, "[bm25] k1"),
    ({"bm25": {"variant": "bm42"}}, "[bm25] variant"),
    ({"answer": {"top_k": 0}}, "[answer] top_k"),
    ({"answer": {"colour": "red"}}, "[answer] colour"),
    ({"discord": {"guild_ids": [1, "two"]}}, "[discord] guild_ids[1]"),
    ({"discord": {"allow_dms": "yes"}}, "[discord] allow_dms"),
    ({"corpus": {"boilerplate_patterns": ["(unclosed"]}}, "boilerplate_patterns[0]"),
    ({"aliases": {"US": "U.S."}}, "[aliases] US"),
    ({"mystery": {}}, "[mystery]"),
])
def test_invalid_values_name_the_key(raw, message):
    with pytest.raises(ConfigError) as info:
        config_from_dict(raw)
    assert message in str(info.value)


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_values_reach_the_settings():
    config = config_from_dict({"bm25": {"variant": "plus", "k1": 1}, "answer": {"top_k": 5},
                               "aliases": {"United Kingdom": ["UK"]}, "logging": {"level": "debug"}})
    assert config.settings.bm25.variant == "plus" and config.settings.bm25.k1 == 1.0
    assert config.settings.answer.top_k == 5
    assert config.settings.analyzer.aliases == {"United Kingdom": ("UK",)}
    assert config.log_level == "DEBUG"
