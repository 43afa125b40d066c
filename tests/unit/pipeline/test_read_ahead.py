"""Ingest reads a source's next batch in a thread while the previous one lands: same order, same errors."""

from __future__ import annotations

import threading

import pytest

from cfm.pipeline.read_ahead import read_ahead
from cfm.sources.base import ExtractBatch, RawRecord
from cfm.warehouse.raw_loader import coalesce


def test_items_come_out_in_order_from_another_thread() -> None:
    readers: set[str] = set()

    def items():
        for i in range(50):
            readers.add(threading.current_thread().name)
            yield i

    assert list(read_ahead(items())) == list(range(50))
    assert readers == {"read-ahead"}


def test_a_reading_error_comes_after_the_items_read_before_it() -> None:
    def items():
        yield 1
        yield 2
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_what_was_read_before_a_failure_is_still_landed_first() -> None:
    def batches():
        yield ExtractBatch(records=[RawRecord("s", "a", "1", {})], cursor={"n": 1})
        raise OSError("unreadable file")

    merged = coalesce(read_ahead(batches()))
    n, first = next(merged)
    assert (n, [r.source_record_id for r in first.records], first.cursor) == (1, ["1"], {"n": 1})
    with pytest.raises(OSError):
        next(merged)


def test_a_consumer_that_stops_stops_the_reader_and_closes_the_source() -> None:
    read: list[int] = []
    closed = threading.Event()

    def items():
        try:
            for i in range(1000):
                read.append(i)
                yield i
        finally:
            closed.set()

    it = read_ahead(items(), depth=1)
    assert next(it) == 0
    it.close()  # as when landing a batch fails
    assert closed.is_set()
    assert len(read) <= 3  # the one consumed, one queued, one in hand: never the whole source
