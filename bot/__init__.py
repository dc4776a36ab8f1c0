"""citebot's front-ends: the CLI, the Discord bot, config, and renderers."""


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use: importlib.metadata costs ~25 ms of every start-up.
    if name != "__version__":
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("citebot")
    except PackageNotFoundError:  # running from a source tree without installing
        value = "0.1.0"
    globals()["__version__"] = value
    return value
