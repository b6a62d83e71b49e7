"""Stopping on SIGTERM within seconds, with no job left under a lease.

systemd, Docker and Kubernetes stop a service with SIGTERM and kill it after a grace
period (Docker's default is 10 s). A django-q2 worker in the middle of a drain would keep
claiming until its ``DRAIN_TIME_BUDGET`` (45 s) ran out; killed then, its jobs waited out
their lease (``LEASE_SECONDS``, 5 min). Here, once a worker process is told to stop:

* it claims nothing more, and gives back the jobs of its batch it has not started;
* the job it is running stops at its next Omnium call, or at once if it is waiting for
  Omnium (the handler raises :class:`WorkerStopping` out of the call), and goes back to
  pending as an ``interrupted`` attempt (handlers are idempotent: it runs again later);
* the process exits once its task returns.

How the signal reaches the workers of a ``qcluster``, whichever process gets it: the
main process's handler (django-q2's, wrapped here) passes SIGTERM on to the sentinel;
the sentinel's (django-q2 leaves it at the default, which kills it and leaves the main
process hung on a dead sentinel when a whole process group is signalled) passes it on to
its children and survives, so django-q2's own orderly stop runs to its end; each worker's
handler (installed on django-q2's ``post_spawn``) stops its drain. The handlers are put in
place by fork hooks, since django-q2 offers no hook in its main process or sentinel.
``omnium_sync --drain`` installs the worker handler for itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from .exceptions import WorkerStopping

logger = logging.getLogger(__name__)

_stopping = threading.Event()
_in_call = False  # the main thread is waiting for Omnium: a signal may interrupt it
_role = "other"  # "cluster" (qcluster's main process), "sentinel", or "other"
_forking_sentinel = False


def requested() -> bool:
    """Whether this process was told to stop."""
    return _stopping.is_set()


def check() -> None:
    """Raise :class:`WorkerStopping` if this process was told to stop."""
    if _stopping.is_set():
        raise WorkerStopping("the worker is stopping (SIGTERM)")


@contextmanager
def interruptible() -> Iterator[None]:
    """Around a call to Omnium: refused once stopping, interrupted by SIGTERM meanwhile."""
    global _in_call
    check()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _in_call = True
    try:
        yield
    finally:
        _in_call = False


def _worker_signal(signum: int, frame: Any) -> None:
    if not _stopping.is_set():
        logger.warning("worker %s: SIGTERM, stopping after its current job", os.getpid())
    _stopping.set()
    if _in_call:
        raise WorkerStopping("interrupted by SIGTERM while waiting for Omnium")


def install_worker_handler(**_: Any) -> None:
    """Make SIGTERM stop this process's drains (a django-q2 worker, ``omnium_sync``)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _worker_signal)


@contextmanager
def worker_handler() -> Iterator[None]:
    """:func:`install_worker_handler` for a block (a command), then the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _worker_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ----------------------------------------------------------- qcluster's other processes


def _sentinel_signal(signum: int, frame: Any) -> None:
    # Pass it on to the workers (and the pusher and monitor, which have no children and
    # so ignore it) and stay alive: django-q2's stop, started by the main process, stops
    # everything in order.
    _stopping.set()
    for child in multiprocessing.active_children():
        with suppress(ProcessLookupError, TypeError):
            os.kill(child.pid, signal.SIGTERM)


def _wrap_cluster_handler(original: Any) -> None:
    cluster = original.__self__

    def on_signal(signum: int, frame: Any) -> None:
        # SIGTERM for SIGINT too: the sentinel ignores SIGINT.
        sentinel = getattr(cluster, "sentinel", None)
        if sentinel is not None and sentinel.pid:
            with suppress(ProcessLookupError):
                os.kill(sentinel.pid, signal.SIGTERM)
        original(signum, frame)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def _is_cluster_handler(handler: Any) -> bool:
    module = sys.modules.get("django_q.cluster")
    owner = getattr(handler, "__self__", None)
    return module is not None and isinstance(owner, module.Cluster)


def _before_fork() -> None:
    global _role, _forking_sentinel
    if threading.current_thread() is not threading.main_thread():
        return
    handler = signal.getsignal(signal.SIGTERM)
    if _role == "other" and _is_cluster_handler(handler):
        _role = "cluster"
        _wrap_cluster_handler(handler)
    if _role == "cluster":
        _forking_sentinel = True  # the main process forks only its sentinel
    elif _role == "sentinel" and handler is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _sentinel_signal)


def _after_fork_in_parent() -> None:
    global _forking_sentinel
    _forking_sentinel = False


def _after_fork_in_child() -> None:
    global _role, _forking_sentinel
    _role = "sentinel" if _forking_sentinel else "other"
    _forking_sentinel = False


os.register_at_fork(
    before=_before_fork,
    after_in_parent=_after_fork_in_parent,
    after_in_child=_after_fork_in_child,
)
