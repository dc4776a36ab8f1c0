"""citebot's front-ends: the CLI, the Discord bot, config, and renderers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("citebot")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"
