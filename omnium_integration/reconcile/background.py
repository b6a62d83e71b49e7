"""Reading Omnium while Flow is read: an iterator drained by a thread of its own.

The day's Omnium orders arrive a thousand at a time, each batch waiting on Omnium; the
day's Flow orders come from the database meanwhile. Reading both at once means the wait
on one side is spent working on the other. Only the Omnium client runs in the thread
(its token is fetched first, on the caller's thread), so the database is used from the
caller's thread alone; a connection the thread still opened (a token renewed mid-way) is
closed when it ends.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
_END = object()


class ReadAhead(Iterator[T]):
    """Iterate ``source`` on a daemon thread, at most ``depth`` items ahead of the reader.

    An exception in the thread is raised to the reader at the point it happened; a reader
    that stops early (``close()``) lets the thread go.
    """

    def __init__(self, source: Iterable[T], depth: int) -> None:
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(iter(source),), name="omnium-read-ahead", daemon=True
        )
        self._thread.start()

    def _run(self, source: Iterator[T]) -> None:
        try:
            for item in source:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the reader, raised there
            self._put(exc)
        finally:
            connections.close_all()  # this thread's connections only

    def _put(self, item: object) -> bool:
        while not self._stopped.is_set():
            try:
                self._items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> T:
        item = self._items.get()
        if item is _END:
            self._items.put(_END)  # stay exhausted
            raise StopIteration
        if isinstance(item, BaseException):
            self.close()
            raise item
        return item

    def close(self) -> None:
        self._stopped.set()
