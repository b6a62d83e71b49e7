"""Per-tenant call slots shared by every thread and process on one machine.

Omnium allows 20 concurrent requests per API user (docs/omnium-api.md#rate-limits). The
engines run as several django-q2 worker processes, each possibly with threads, so an in-
process semaphore is not enough. A :class:`SlotPool` of ``size`` slots is ``size`` lock
files in a directory; a caller holds a slot while it holds an exclusive ``flock`` on one
of them. The kernel releases the lock when the holder exits or dies, so a killed worker
never leaks a slot.

Inside one process a semaphore admits at most ``size`` threads before they look at the
files, and the process remembers which slot files its own threads hold (``flock`` locks
belong to the open file, so two threads must never lock the same descriptor). Where
``fcntl`` does not exist (Windows) the pool limits this process only.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms we run
    fcntl = None  # type: ignore[assignment]


class SlotTimeout(Exception):
    """No slot became free in time."""


class SlotPool:
    """At most ``size`` concurrent holders across this machine's processes and threads."""

    def __init__(self, directory: Path, prefix: str, size: int):
        if size < 1:
            raise ValueError("a slot pool needs at least one slot")
        self.directory = directory
        self.prefix = prefix
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)
        self._mutex = threading.Lock()
        self._held: set[int] = set()
        self._fds: dict[int, int] = {}
        if fcntl is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def __repr__(self) -> str:
        return f"<SlotPool {self.prefix} size={self.size}>"

    @contextmanager
    def slot(self, timeout: float) -> Iterator[int]:
        """Hold one slot for the duration of the block; :class:`SlotTimeout` after ``timeout``."""
        deadline = time.monotonic() + timeout
        if not self._semaphore.acquire(timeout=max(timeout, 0)):
            raise SlotTimeout
        try:
            index = self._acquire_file(deadline)
            try:
                yield index
            finally:
                self._release_file(index)
        finally:
            self._semaphore.release()

    def _acquire_file(self, deadline: float) -> int:
        if fcntl is None:
            return -1
        pause = 0.002
        while True:
            index = self._try_files()
            if index is not None:
                return index
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SlotTimeout
            # Other processes hold every slot: poll with a short, jittered, growing pause.
            time.sleep(min(remaining, pause * (0.5 + random.random())))
            pause = min(pause * 1.5, 0.05)

    def _try_files(self) -> int | None:
        with self._mutex:
            free = [i for i in range(self.size) if i not in self._held]
            if not free:  # cannot happen while the semaphore admits at most `size` threads
                return None
            start = random.randrange(len(free))
            for index in free[start:] + free[:start]:
                try:
                    fcntl.flock(self._fd(index), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                self._held.add(index)
                return index
        return None

    def _release_file(self, index: int) -> None:
        if index < 0:
            return
        with self._mutex:
            fcntl.flock(self._fds[index], fcntl.LOCK_UN)
            self._held.discard(index)

    def _fd(self, index: int) -> int:
        fd = self._fds.get(index)
        if fd is None:
            path = self.directory / f"{self.prefix}-{index:03d}.lock"
            fd = self._fds[index] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return fd


_pools: dict[tuple[str, str, int], SlotPool] = {}
_pools_lock = threading.Lock()


def slot_pool(key: str, prefix: str, size: int, base_dir: str = "") -> SlotPool:
    """The process's pool for ``key`` (a directory name, e.g. a hash of the API user)."""
    directory = Path(base_dir or tempfile.gettempdir()) / "omnium-integration-slots" / key
    cache_key = (str(directory), prefix, size)
    with _pools_lock:
        pool = _pools.get(cache_key)
        if pool is None:
            pool = _pools[cache_key] = SlotPool(directory, prefix, size)
        return pool


def _forget_pools_in_child() -> None:
    # A forked child shares the parent's open lock files, and so their locks: drop its
    # copies (closing them leaves the parent's locks alone) and start afresh.
    global _pools_lock
    for pool in _pools.values():
        for fd in pool._fds.values():
            os.close(fd)
    _pools.clear()
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools_in_child)
