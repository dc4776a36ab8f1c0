"""Options every command accepts, and the glue from them to config and engine.

``--corpus``, ``--index``, ``--config``, ``--color`` and ``--debug`` work both before and
after the subcommand name (``citebot --corpus X ask …`` and ``citebot ask …
--corpus X``): each is declared on the group and on every command, and the
value given last wins.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the engine (numpy, nltk) is imported when a command opens it, not for --help
    from retrieval import Engine

from ..config import Config, ConfigError, load_config
from .terminal import COLOR_CHOICES, output_width, use_color, visible

_META = "citebot.options"

MAX_TOP_K = 10_000
TOP_K = click.IntRange(min=1, max=MAX_TOP_K)  # a huge --top-k is a usage error, not an OverflowError deep inside


def _remember(ctx: click.Context, param: click.Parameter, value):
    if value is not None and value is not False:
        ctx.find_root().meta.setdefault(_META, {})[param.name] = value
        if param.name == "debug" and not ctx.resilient_parsing:
            configure_logging(True)  # also when given after the command name (the group has set up logging)
    return value


_OPTIONS = (
    click.option("--corpus", metavar="DIR", default=None, expose_value=False, callback=_remember,
                 help="Corpus folder (default: ./seeds, or [corpus] path in the config)."),
    click.option("--index", metavar="DIR", default=None, expose_value=False, callback=_remember,
                 help="Index folder (default: ./.citebot/index)."),
    click.option("--config", metavar="FILE", default=None, expose_value=False, callback=_remember,
                 help="Config file (default: ./citebot.toml if present)."),
    click.option("--color", type=click.Choice(COLOR_CHOICES), default=None, expose_value=False,
                 callback=_remember,
                 help="Colour the output: auto (a terminal, unless NO_COLOR or TERM=dumb), always, never."),
    click.option("--debug", is_flag=True, default=False, expose_value=False, callback=_remember,
                 help="Show tracebacks and debug logs."),
)


def common_options(func):
    """Add --corpus/--index/--config/--color/--debug to a click command or group."""
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def option_value(ctx: click.Context, name: str):
    """The value of a common option, wherever on the command line it was given."""
    return ctx.find_root().meta.get(_META, {}).get(name)


def text_style(ctx: click.Context) -> tuple[bool, int]:
    """``(colour on, wrap width)`` for text on stdout, from --color, NO_COLOR, TERM and the terminal."""
    return use_color(sys.stdout, option_value(ctx, "color")), output_width(sys.stdout)


def load_config_from_ctx(ctx: click.Context) -> Config:
    """The config named by --config (or the default file); exit 2 when invalid."""
    root = ctx.find_root()
    if "citebot.config" not in root.meta:
        try:
            root.meta["citebot.config"] = load_config(option_value(ctx, "config"))
        except ConfigError as exc:
            raise click.UsageError(f"invalid config: {exc}") from None
    return root.meta["citebot.config"]


class _VisibleFormatter(logging.Formatter):
    """Log lines name files and quote questions: show their control characters instead of sending them."""

    def format(self, record: logging.LogRecord) -> str:
        return visible(super().format(record))


def configure_logging(debug: bool, level: str = "WARNING") -> None:
    """Log to stderr; only entry points call this."""
    fmt = "%(levelname)s %(name)s: %(message)s" if debug else "citebot: %(levelname)s: %(message)s"
    logging.basicConfig(level=logging.DEBUG if debug else getattr(logging, level, logging.WARNING),
                        stream=sys.stderr, force=True)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_VisibleFormatter(fmt))


def corpus_and_index(ctx: click.Context, config: Config) -> tuple[Path, Path]:
    """The corpus and index folders from the options or the config; usage errors for unusable values."""
    corpus, index = option_value(ctx, "corpus"), option_value(ctx, "index")
    if corpus is not None and not corpus.strip():
        raise click.UsageError("--corpus is empty; name the folder that holds the documents")
    if index is not None and not index.strip():
        raise click.UsageError("--index is empty; name the folder to keep the index in")
    corpus, index = Path(corpus or config.corpus_path), Path(index or config.index_path)
    if index.exists() and not index.is_dir():
        raise click.UsageError(f"--index must name a folder, but {index} is a file")
    return corpus, index


def notice(message: str) -> None:
    """A one-line notice for a person waiting at a terminal (stderr, so stdout stays clean); else a log line."""
    if sys.stderr.isatty():
        click.echo(f"citebot: {visible(message)}", err=True)
    else:
        logging.getLogger("citebot").info(message)


def open_engine(ctx: click.Context, *, force: bool = False, clean: bool = False,
                progress: bool | None = None) -> tuple[Engine, Config]:
    """Load (or build) the index for the configured corpus; exit 2 for a missing or empty corpus.

    A build a question waits for is announced on a terminal (stderr), with a progress bar.
    """
    from retrieval import CitebotError, CorpusError, Engine

    config = load_config_from_ctx(ctx)
    corpus, index = corpus_and_index(ctx, config)
    progress = sys.stderr.isatty() if progress is None else progress
    try:
        engine = Engine.open(corpus, index, config.settings, force=force, clean=clean, progress=progress,
                             notify=notice)
    except CorpusError as exc:
        raise click.UsageError(str(exc)) from None
    except CitebotError as exc:
        raise click.ClickException(str(exc)) from None
    return engine, config
