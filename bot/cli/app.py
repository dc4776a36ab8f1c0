"""The ``citebot`` command group and its entry point; each command lives in its own module.

Exit codes: 0 for a run that completed (answered or not); 2 for usage errors
(blank question, bad option, missing corpus, invalid config); 1 for anything
unexpected (one line; the traceback only with --debug).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback

import click

from .ask import ask
from .chat import chat
from .eval import eval_command
from .feedback import feedback
from .index import index, sources
from .options import common_options, configure_logging, option_value
from .terminal import visible


class _Commands(click.Group):
    """A group whose Discord commands are imported only when used (discord.py is slow to import)."""

    lazy = {"serve": "serve_command", "invite-url": "invite_url_command"}
    # What --help lists for them, so listing does not import discord.py (a test keeps these in step).
    lazy_help = {
        "serve": "Run the Discord bot (token from $DISCORD_TOKEN, or the variable named in [discord] token_env).",
        "invite-url": "Print the URL that adds the bot to a server (scopes bot + applications.commands).",
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [name for name in self.list_commands(ctx)
                 if name in self.lazy or not getattr(click.Group.get_command(self, ctx, name), "hidden", True)]
        if not names:
            return
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(name, click.Command(name, help=self.lazy_help[name]).get_short_help_str(limit) if name in self.lazy
                 else click.Group.get_command(self, ctx, name).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        """Run the command; an unexpected error becomes one line (exit 1), with its traceback under --debug."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, BrokenPipeError):
            raise
        except Exception as exc:  # the one place unexpected errors become one line
            debug = bool(option_value(ctx, "debug"))  # as parsed: a question "--debug" after "--" is not the flag
            if debug:
                traceback.print_exc()
            raise UnexpectedError(f"{type(exc).__name__}: {exc}" + ("" if debug else " (use --debug for details)")) \
                from exc

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            from ..discord import serve

            return getattr(serve, self.lazy[name])
        return super().get_command(ctx, name)


class UnexpectedError(click.ClickException):
    """An error no check foresaw: one line on stderr, exit 1."""

    exit_code = 1


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from bot import __version__  # importlib.metadata is slow to import: only when asked

    click.echo(f"citebot, version {__version__}")
    ctx.exit()


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
@common_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Answer questions from a document corpus with cited excerpts.

    \b
    Example:
      citebot ask "what did the US say about Tomahawk missiles?"
    """
    configure_logging(bool(option_value(ctx, "debug")))


for _command in (ask, chat, index, sources, eval_command, feedback):
    cli.add_command(_command)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so a build stops its workers and keeps the previous index."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame) -> None:
    raise Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the console script).

    SIGTERM and SIGHUP are handled like Ctrl-C (exit 128 + signal number).
    """
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, _terminate)
    try:
        return _run(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(argv: list[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        result = cli.main(args=argv, prog_name="citebot", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:  # one line: what is wrong, and where to look
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
        click.echo(f"citebot: error: {visible(exc.format_message())}{hint}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"citebot: error: {visible(exc.format_message())}", err=True)
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        cause = exc if isinstance(exc, Terminated) else exc.__cause__ or exc.__context__
        if isinstance(cause, Terminated):  # click turns it into Abort
            click.echo(f"citebot: stopped by {signal.Signals(cause.signum).name}", err=True)
            return 128 + cause.signum
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except SystemExit as exc:
        if isinstance(sys.stdout, click.utils.PacifyFlushWrapper):  # click's answer to EPIPE is exit 1
            return _reader_went_away()
        raise
    except Exception as exc:  # outside any command (while reading the command line): still one line
        click.echo(f"citebot: error: {visible(f'{type(exc).__name__}: {exc}')}", err=True)
        return 1


def _reader_went_away() -> int:
    """``citebot sources | head -1``: the reader closed the pipe; stop quietly with success, like ripgrep."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())  # the final flush at exit must not fail again
    except (OSError, AttributeError, ValueError):
        pass
    return 0
