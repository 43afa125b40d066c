"""Retention: raw payloads and quarantine rows older than the configured window are deleted.

`privacy.retention` in cfm.yml (cfm.config.PrivacyConfig): `raw_days` applies to raw.<source>
rows by `extracted_at` (when that version of the payload was stored), `quarantine_days` to
quarantine.records by `quarantined_at`. What was derived from them and holds no clear PII (the
redacted text, enrichment, embeddings and topics in ml) is kept. Every run, dry runs included,
is written to ops.privacy_audit with its counts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from cfm.config import privacy_config
from cfm.privacy.erasure import audit
from cfm.sources.registry import source_names

log = logging.getLogger(__name__)


def apply_retention(
    url: str,
    config: dict[str, Any],
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Delete (or, with dry_run, count) what is past its window. Returns the cut-offs and counts per table."""
    window = privacy_config(config).retention
    now = now or datetime.now(UTC)
    raw_cutoff = now - timedelta(days=window.raw_days)
    quarantine_cutoff = now - timedelta(days=window.quarantine_days)
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn, conn.transaction():
        for name in source_names():
            table = sql.Identifier("raw", name)
            if not conn.execute("select to_regclass(%s) is not null", (f"raw.{name}",)).fetchone()[0]:
                continue
            verb = sql.SQL(
                "select count(*) from {} where extracted_at < %s"
                if dry_run
                else "with gone as (delete from {} where extracted_at < %s returning 1) select count(*) from gone"
            )
            n = conn.execute(verb.format(table), (raw_cutoff,)).fetchone()[0]
            if n:
                counts[f"raw.{name}"] = n
        verb = sql.SQL(
            "select count(*) from quarantine.records where quarantined_at < %s"
            if dry_run
            else "with gone as (delete from quarantine.records where quarantined_at < %s returning 1) "
            "select count(*) from gone"
        )
        n = conn.execute(verb, (quarantine_cutoff,)).fetchone()[0]
        if n:
            counts["quarantine.records"] = n
        result = {
            "dry_run": dry_run,
            "raw_before": raw_cutoff.isoformat(),
            "quarantine_before": quarantine_cutoff.isoformat(),
            "raw_days": window.raw_days,
            "quarantine_days": window.quarantine_days,
            "deleted": counts,
        }
        result["audit_id"] = audit(
            conn,
            "retention",
            {k: v for k, v in result.items() if k != "dry_run"},
            dry_run=dry_run,
            actor=actor,
        )
    log.info("[retention] %s: %s", "would delete" if dry_run else "deleted", counts)
    return result
