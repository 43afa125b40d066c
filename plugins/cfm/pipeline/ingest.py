"""Ingest: run one source's sync into raw, batch by batch, each batch committed with its cursor."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

import psycopg

from cfm.sources.base import FeedbackSource
from cfm.sources.registry import build_source
from cfm.warehouse.raw_loader import LandingResult, land_batch, load_cursor

log = logging.getLogger(__name__)


def sync_source(
    url: str,
    source: FeedbackSource | str,
    *,
    config: dict[str, Any] | None = None,
    run_id: str,
    since: datetime | None = None,
    progress: Any = None,
) -> dict[str, Any]:
    """Sync every account of a source. Returns counts (received, inserted, updated, unchanged, quarantined).

    A failure part-way keeps the batches already committed and their cursor, so the next
    run resumes after them; the error is re-raised for the caller (the DAG task fails).
    """
    if isinstance(source, str):
        source = build_source(source, config or {})
    total = LandingResult()
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        for account in source.accounts():
            cursor = load_cursor(conn, source.name, account)
            batches = 0
            for batch in source.batches(account, cursor, since=since):
                result = land_batch(conn, source.name, account, batch.records, batch.rejects, batch.cursor, run_id)
                total.add(result)
                batches += 1
                if progress is not None:
                    progress.update(result.received + result.quarantined)
                log.info(
                    "[%s/%s] batch %d: %d received, %d new, %d updated, %d quarantined",
                    source.name, account, batches, result.received, result.inserted, result.updated, result.quarantined,
                )
    counts = asdict(total)
    counts["seconds"] = round(time.monotonic() - started, 3)
    log.info("[%s] sync done: %s", source.name, counts)
    return counts
