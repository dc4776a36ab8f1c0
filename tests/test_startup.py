"""Start-up cost is imports: each command imports only what it uses, and the serving memo stays bounded."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import click

from bot.cli import cli
from retrieval.analysis import _ABBREVIATIONS, Analyzer

from .support import EXAMPLE_QUESTION, REPO_ROOT, SEEDS

HEAVY = ("discord", "numpy", "nltk", "importlib.metadata", "multiprocessing", "sqlite3", "rapidfuzz", "filelock")


def _modules_after(tmp_path, *args: str) -> tuple[set[str], str]:
    """Run the CLI in a fresh interpreter; the modules it imported, and its output."""
    code = (
        "import io, contextlib, json, sys\n"
        "from bot.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    main({list(args)!r})\n"
        "print(json.dumps([sorted(sys.modules), out.getvalue()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""})
    assert done.returncode == 0, done.stderr
    modules, out = json.loads(done.stdout)
    return set(modules), out


def test_help_imports_no_engine_and_no_discord(tmp_path):
    modules, out = _modules_after(tmp_path, "--help")
    assert "serve" in out and "invite-url" in out
    assert not [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY]


def test_ask_imports_only_the_nltk_modules_it_uses(tmp_path):
    args = ("ask", EXAMPLE_QUESTION, "--json", "--corpus", str(SEEDS), "--index", str(tmp_path / "idx"))
    _modules_after(tmp_path, *args)  # builds the index
    modules, out = _modules_after(tmp_path, *args)
    assert json.loads(out)["answered"]
    # Answering from a built index needs no build lock, no spelling matcher (every word is known), no bot.
    assert not [m for m in modules if m.split(".")[0] in ("discord", "sqlite3", "rapidfuzz", "filelock")]
    # nltk's parsers, corpus readers and translation metrics stay unimported; the stand-in packages are gone.
    assert not [m for m in modules if re.match(r"nltk\.(corpus|parse|translate|chunk|sem|tag)\b", m)]
    assert "nltk" not in modules


def test_help_lists_the_discord_commands_with_their_own_summaries():
    from bot.discord import serve

    for name, attribute in cli.lazy.items():
        command = getattr(serve, attribute)
        assert command.name == name and cli.get_command(click.Context(cli), name) is command
        assert command.help.splitlines()[0].strip() == cli.lazy_help[name]
    assert set(cli.list_commands(click.Context(cli))) >= set(cli.lazy)


def test_partial_nltk_stems_like_the_full_package():
    """The stemmer loaded without nltk's __init__ is nltk's own: same stems as after a full ``import nltk``."""
    analyzer = Analyzer()
    import nltk  # the full package still imports after the partial load

    assert hasattr(nltk, "download")
    full = nltk.stem.SnowballStemmer("english")
    words = {w.lower() for path in SEEDS.glob("*.txt") for w in re.findall(r"[^\W\d_]+", path.read_text())}
    assert len(words) > 400
    assert [analyzer._stem(w) for w in sorted(words)] == [full.stem(w) for w in sorted(words)]
    text = "Mr. Smith went to Washington on Jan. 5. He met the U.S. envoy. Talks ended."
    punkt = nltk.tokenize.punkt
    params = punkt.PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    assert analyzer.sentences(text) == list(punkt.PunktSentenceTokenizer(params).span_tokenize(text))


def test_memo_is_bounded_and_answers_do_not_change():
    words = [f"word{i}ing tested{i}s" for i in range(3000)]
    bounded, unbounded = Analyzer(memo_limit=500), Analyzer(memo_limit=10**9)
    for text in words * 2:
        assert bounded.terms(text) == unbounded.terms(text)
    assert len(bounded._cache) <= 500
    assert len(unbounded._cache) == 6000
