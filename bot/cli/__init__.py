"""The ``citebot`` command line: the group and entry point (app.py), one module per command, shared options
(options.py) and terminal rendering (render.py)."""

from .app import cli, main

__all__ = ["cli", "main"]
