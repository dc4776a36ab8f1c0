"""Exceptions the retrieval core raises; front-ends turn them into one-line messages."""


class CitebotError(Exception):
    """Base class: the message is fit to show a user as is."""


class CorpusError(CitebotError):
    """The corpus folder is missing or holds no documents."""


class IndexCorrupt(CitebotError):
    """A stored index is incomplete or damaged (it is rebuilt)."""


class IndexUnwritable(CitebotError):
    """The index folder cannot be written (read-only, no permission, disk full)."""

    def __init__(self, path, error: OSError):
        reason = error.strerror or str(error)
        super().__init__(f"cannot write the index in {path}: {reason}"
                         + (f" [errno {error.errno}]" if error.errno else ""))
        self.path = path
        self.error = error
