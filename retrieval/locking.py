"""One builder at a time per index folder: an OS file lock (``flock`` via the ``filelock`` package).

Every process that builds an index (``citebot ask``/``index``/``chat``/``serve``,
Discord's ``/reindex``) takes the lock ``<index>/.build.lock`` first. A process
that finds it held waits for the holder to finish (``on_wait`` is told once,
so a front-end can say so) and then looks again: usually the index it needs is
there and it just loads it. The kernel releases the lock when its holder exits,
even when killed, so there is no stale lock to clean up. Reading a complete
build needs no lock (builds are swapped in atomically).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import IndexUnwritable

LOCK_NAME = ".build.lock"


@contextlib.contextmanager
def build_lock(index_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[bool]:
    """Hold the build lock of ``index_dir`` (created if needed); yields whether it had to wait.

    Raises IndexUnwritable when the folder or its lock file cannot be created or opened.
    """
    import multiprocessing

    from filelock import FileLock, Timeout  # only to build: answering from an index needs no lock

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # A pool worker re-running an unguarded __main__ would wait for ever on its parent's lock.
        raise RuntimeError("a build cannot start while a worker process is bootstrapping "
                           "(guard the script with `if __name__ == '__main__':`)")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(index_dir / LOCK_NAME, thread_local=False, is_singleton=False)
        waited = False
        try:
            lock.acquire(timeout=0)
        except Timeout:
            waited = True
            if on_wait is not None:
                on_wait()
            lock.acquire()
    except OSError as exc:
        raise IndexUnwritable(index_dir, exc) from None
    try:
        yield waited
    finally:
        lock.release()
