"""Read a source's batches in a thread, ahead of the landing: parsing the next drop file overlaps the
database storing the previous one (psycopg releases the GIL while it waits on the server)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """`items`, read by a thread up to `depth` items ahead of the consumer, in order.

    An exception raised while reading comes out where it happened, after every item read before it
    (so `raw_loader.coalesce` still lands those first). When the consumer stops early (it closes
    this iterator, or fails), the reader finishes the item in hand, closes `items` and ends: at
    most `depth` + 1 items are ever read that are not consumed.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, object]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, _DONE))
        except BaseException as exc:  # handed to the consumer, raised there
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    reader = threading.Thread(target=read, name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                raise item  # type: ignore[misc]
            if item is _DONE:
                return
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()
