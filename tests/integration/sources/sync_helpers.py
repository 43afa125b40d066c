"""Helpers shared by the connector tests: a sync that dies mid-way, and what a sync left in raw and ops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
from google.oauth2.credentials import Credentials

from cfm.sources.http import RetryPolicy

T = TypeVar("T")


def crashing_after(batches: Iterator[T], crash_after: int | None) -> Iterator[T]:
    """The batches, but RuntimeError("killed mid-sync") in place of batch number `crash_after` (from 0); all of them when None."""
    for i, batch in enumerate(batches):
        if crash_after is not None and i == crash_after:
            raise RuntimeError("killed mid-sync")
        yield batch


def google_test_source(source_cls: type, config: Callable[[Any], dict[str, Any]]) -> type:
    """The real Google connector `source_cls` for a fake server: `config(server)` plus any overrides, a fake
    token, instant recorded retry sleeps, a short timeout, and a crash in place of batch `crash_after`."""

    class Source(source_cls):  # type: ignore[misc, valid-type]
        def __init__(self, server: Any, crash_after: int | None = None, **extra: Any):
            self.sleeps: list[float] = []
            super().__init__({**config(server), **extra}, credentials=Credentials("fake-token"),
                             policy=RetryPolicy(max_attempts=4, timeout=0.5, base_delay=0.01), sleep=self.sleeps.append)
            self.crash_after = crash_after

        def batches(self, account, cursor, *, since=None):
            yield from crashing_after(super().batches(account, cursor, since=since), self.crash_after)

    return Source


def raw_rows(url: str, source: str) -> dict[str, tuple]:
    """{source_record_id: (source_record_id, account, payload, source_updated_at, run_id)} of raw.<source>."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"select source_record_id, account, payload, source_updated_at, run_id from raw.{source}"
        ).fetchall()
    return {r[0]: r for r in rows}


def sync_cursor(url: str, source: str, account: str) -> dict[str, Any] | None:
    """The cursor ops.sync_state holds for (source, account); None before the first sync."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "select cursor from ops.sync_state where source = %s and account = %s", (source, account)
        ).fetchone()
    return row[0] if row else None
