"""Worker processes that never outlive the build that started them.

A build's pool runs under multiprocessing's forkserver: workers are children
of the fork server, which exits when every holder of its "alive" pipe has gone.
multiprocessing hands that pipe to each worker too, so a worker blocked on its
task queue would keep the fork server (and itself) alive for ever after the
citebot process is SIGKILLed. Each worker therefore closes its copy and asks
the kernel to kill it when its parent, the fork server, exits
(``PR_SET_PDEATHSIG``, Linux): killing ``citebot index`` in any way leaves no
worker, fork server or resource tracker behind. An interrupted build (Ctrl-C,
SIGTERM, SIGHUP) terminates its workers at once instead of letting them finish
their queue (and does not hang when a worker dies while sending a result).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a pool worker: do not keep the fork server alive, and be killed when it exits (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        from multiprocessing import forkserver

        server = forkserver._forkserver
        if server._forkserver_alive_fd is not None and multiprocessing.parent_process() is not None:
            os.close(server._forkserver_alive_fd)
            server._forkserver_alive_fd = None
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's workers at once and release it without waiting for queued work."""
    # The pool's manager thread fails the pending futures of dead workers, and raises (printing a traceback)
    # for futures that ``map`` has already cancelled: there is nothing left to tell, so forget them first.
    with contextlib.suppress(Exception):
        while True:  # queued ids first: the manager thread looks each one up in the pending items
            pool._work_ids.get_nowait()
    with contextlib.suppress(Exception):
        pool._pending_work_items.clear()
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):
            process.terminate()
    with contextlib.suppress(Exception):
        _unblock_result_reader(pool)
    with contextlib.suppress(Exception):
        pool.shutdown(wait=True, cancel_futures=True)


def _unblock_result_reader(pool: ProcessPoolExecutor, limit: float = 5.0) -> None:
    """Let the pool's manager thread finish when a worker was killed while sending it a result.

    The thread then waits for the rest of a message that never comes (this process holds the
    pipe's write end too, so no end-of-file arrives), and ``shutdown`` would wait for it for ever:
    filler bytes complete the message, which fails to unpickle, so the thread marks the pool
    broken and stops.
    """
    thread = getattr(pool, "_executor_manager_thread", None)
    if thread is None:
        return
    thread.join(0.5)
    if not thread.is_alive():
        return
    fd = pool._result_queue._writer.fileno()
    os.set_blocking(fd, False)
    filler = b"\0" * 4096
    deadline = time.monotonic() + limit
    while thread.is_alive() and time.monotonic() < deadline:
        with contextlib.suppress(BlockingIOError):
            os.write(fd, filler)
        thread.join(0.01)
