"""Ingest: sync each enabled source into raw, batch by batch, committed with their cursor.

One ops.run_log row per source. In Airflow each source is its own task (`run_source`);
`cfm run` syncs them in turn and a failing source does not stop the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import psycopg

from cfm.pipeline.read_ahead import read_ahead
from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.stage import StageContext
from cfm.privacy.tombstones import Tombstones
from cfm.sources.base import ExtractBatch, FeedbackSource
from cfm.sources.file_drop import collector_paused
from cfm.sources.registry import build_source, enabled_sources
from cfm.warehouse.raw_loader import LandingResult, coalesce, land_batch, load_cursor

log = logging.getLogger(__name__)


def sync_source(
    url: str,
    source: FeedbackSource | str,
    *,
    config: dict[str, Any] | None = None,
    run_id: str,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Any = None,
    counts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sync every account of a source. Returns counts (received, inserted, updated, unchanged, quarantined).

    Consecutive source batches (drop files, API pages) land together, up to `raw_loader.LANDING_ROWS`
    records per transaction (`raw_loader.coalesce`), each with the last cursor they carry.
    A failure part-way keeps the batches already committed and their cursor, so the next
    run resumes after them; the error is re-raised for the caller (the DAG task fails).
    `counts`, when given, is kept up to date batch by batch, so a failure still reports what
    was committed before it. `since`/`until` is a backfill window; `until` goes to the sources
    whose API filters on it (`supports_until`); for those with `until_cut = "client"` the records
    last changed at or after `until` are dropped here (see `_before`).
    """
    if isinstance(source, str):
        source = build_source(source, config or {})
    window: dict[str, Any] = {"since": since}
    if until is not None and source.supports_until:
        window["until"] = until
    cut = until if until is not None and source.until_cut == "client" else None
    if cut is not None and cut.tzinfo is None:
        cut = cut.replace(tzinfo=UTC)
    total = LandingResult()
    started = time.monotonic()
    with psycopg.connect(url) as conn, collector_paused():
        stones = Tombstones.load(conn, ((config or {}).get("privacy") or {}).get("phone_region"))
        conn.commit()
        for account in source.accounts():
            cursor = load_cursor(conn, source.name, account)
            batches = 0
            read = source.batches(account, cursor, **window)
            if source.read_ahead:
                read = read_ahead(read)
            if cut is not None:
                read = (_before(batch, cut) for batch in read)
            for merged, batch in coalesce(read):  # consecutive small batches share one transaction
                result = land_batch(conn, source.name, account, batch.records, batch.rejects, batch.cursor, run_id,
                                    erased=stones.blocks if stones else None)
                total.add(result)
                batches += merged
                if counts is not None:
                    counts.update(asdict(total))
                if progress is not None:
                    progress.update(result.received + result.quarantined)
                log.info(
                    "[%s/%s] batch %d: %d received, %d new, %d updated, %d quarantined, %d erased (refused)",
                    source.name, account, batches, result.received, result.inserted, result.updated, result.quarantined,
                    result.erased,
                )
    counts = asdict(total)
    counts["seconds"] = round(time.monotonic() - started, 3)
    log.info("[%s] sync done: %s", source.name, counts)
    return counts


def _before(batch: ExtractBatch, until: datetime) -> ExtractBatch:
    """A window's end for a source whose API cannot filter on one: keep the records last changed before
    `until` (undated ones too: validation judges them), and save no cursor, since the source's own
    cursor covers records past the window that were not stored (the next sync must still read them)."""
    kept = [r for r in batch.records if r.source_updated_at is None or r.source_updated_at < until]
    return ExtractBatch(records=kept, rejects=batch.rejects, cursor=None)


class SourceDisabled(Exception):
    """Raised for a registered source that cfm.yml does not enable (the DAG task is skipped)."""


def run_source(ctx: StageContext, name: str, *, progress: Any = None, require_enabled: bool = True) -> dict[str, Any]:
    """Sync one source under its own run-log entry; raises when it fails (or is not enabled)."""
    if require_enabled and name not in enabled_sources(ctx.config):
        raise SourceDisabled(f"source {name} is not enabled in cfm.yml")
    with logged_stage(ctx.url, ctx.run_id, "ingest", name) as counts:
        try:
            counts.update(sync_source(ctx.url, build_source(name, ctx.config), config=ctx.config, run_id=ctx.run_id,
                                      since=ctx.since, until=ctx.until,
                                      progress=progress, counts=counts))
        except Exception as exc:
            exc.partial_counts = dict(counts)  # type: ignore[attr-defined]  # committed before the failure
            raise
    return counts


def run(ctx: StageContext) -> dict[str, Any]:
    """Sync every enabled source (or `ctx.only`). Returns {"sources": counts per source, "failed": error per source}."""
    results: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for name in ctx.only or enabled_sources(ctx.config):  # named on the command line: run even if not enabled
        bar = _bar(ctx.progress, f"ingest {name}")
        try:
            results[name] = run_source(ctx, name, progress=bar, require_enabled=False)
        except Exception as exc:  # reported in the summary and the run log; the rest go on
            log.exception("[%s] sync failed", name)
            failures[name] = f"{type(exc).__name__}: {exc}"
            if getattr(exc, "partial_counts", None):
                results[name] = exc.partial_counts  # what was committed before the failure still counts
        finally:
            if bar is not None:
                bar.close()
    return {"sources": results, "failed": failures}


def failed_sources(ctx: StageContext) -> dict[str, str]:
    """Sources whose ingest did not succeed in this run (from ops.run_log), with their error."""
    with psycopg.connect(ctx.url) as conn:
        rows = conn.execute(
            "select source, coalesce(error, status) from ops.run_log where run_id = %s and stage = 'ingest' and status <> 'success'",
            (ctx.run_id,),
        ).fetchall()
    return dict(rows)


def _bar(enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(desc=desc, unit=" records", leave=True)
