"""Retention: raw payloads and quarantine rows older than the configured window are deleted.

`privacy.retention` in cfm.yml (cfm.config.PrivacyConfig): `raw_days` applies to raw.<source>
rows by `extracted_at` (when that version of the payload was stored), `quarantine_days` to
quarantine.records by `quarantined_at`. What was derived from them and holds no clear PII is kept:
before a validated, enriched record's raw payload goes, its redacted form (the staging contract's
columns, text redacted, no email or external id, ids pseudonymised, segment attributes only) is
copied to ml.retained_feedback, which dbt unions back in, so the record stays in the marts at every
rebuild. Its validation verdict (which names the clear record id) and the md5 keys of its clear ids
in ml.id_pseudonyms go with the payload. A record past the window that was never validated and
enriched cannot be kept without its PII: it is deleted and counted as `lost`. Every run, dry runs
included, is written to ops.privacy_audit with its counts.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import psycopg
import yaml
from psycopg import sql

from cfm.config import PROJECT_ROOT, privacy_config
from cfm.privacy.erasure import audit
from cfm.sources.registry import source_names
from cfm.warehouse import staging

log = logging.getLogger(__name__)

# The attribute keys a retained record keeps: the segments the marts cut by, and how a CES scale reads.
KEPT_ATTRIBUTES = ("ces_direction",)


@cache
def segment_columns() -> tuple[str, ...]:
    """The segment attributes the marts read (dbt var segment_columns)."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt" / "dbt_project.yml").read_text(encoding="utf-8"))
    return tuple((project.get("vars") or {}).get("segment_columns") or ())


@cache
def _public_id_macro() -> Any:
    """dbt's macro public_id (dbt/macros/feedback_keys.sql) rendered by plain Jinja, so that the ids
    retention keeps and the marts' are written by one definition. Its one dbt call, source(), names
    an ml table (source ml is schema ml); anything else dbt-only in it fails here rather than
    rendering differently (tests/integration/privacy/test_public_id.py compares it with dbt's)."""
    import jinja2

    text = (PROJECT_ROOT / "dbt" / "macros" / "feedback_keys.sql").read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    return env.from_string(text, globals={"source": lambda name, table: f'"{name}"."{table}"'}).module.public_id


def public_id_sql(column: str) -> str:
    """The SQL of the id in `column` as the marts show it: its pseudonym when it carries PII."""
    return str(_public_id_macro()(column))


def _public_id(column: str) -> sql.Composable:
    return sql.SQL(public_id_sql(f"s.{column}"))


def _retain_query(view: str) -> sql.Composed:
    return sql.SQL("""
        insert into ml.retained_feedback (
            feedback_id, source, account, source_record_id, payload_hash, run_id, extracted_at, source_updated_at,
            submitted_at, channel, language_declared, text_redacted, rating_type, rating_value, rating_scale_min,
            rating_scale_max, survey_id, question_id, thread_id, attributes)
        select s.feedback_id, s.source, s.account, {record_id}, s.payload_hash, s.run_id, s.extracted_at,
            s.source_updated_at, s.submitted_at, s.channel, s.language_declared, e.text_redacted, s.rating_type,
            s.rating_value, s.rating_scale_min, s.rating_scale_max, {survey_id}, {question_id}, {thread_id},
            coalesce((select jsonb_object_agg(a.key, a.value) from jsonb_each(s.attributes) a
                      where a.key = any(%(keys)s)), '{{}}')
        from staging.{view} s
        join ops.validated_records v on v.passed and v.source = s.source and v.account = s.account
            and v.source_record_id = s.source_record_id and v.payload_hash = s.payload_hash
        join ml.feedback_enrichment e on e.feedback_id = s.feedback_id
        where s.extracted_at < %(cutoff)s
        on conflict (feedback_id) do update set
            source_record_id = excluded.source_record_id, payload_hash = excluded.payload_hash,
            run_id = excluded.run_id, extracted_at = excluded.extracted_at,
            source_updated_at = excluded.source_updated_at, submitted_at = excluded.submitted_at,
            channel = excluded.channel, language_declared = excluded.language_declared,
            text_redacted = excluded.text_redacted, rating_type = excluded.rating_type,
            rating_value = excluded.rating_value, rating_scale_min = excluded.rating_scale_min,
            rating_scale_max = excluded.rating_scale_max, survey_id = excluded.survey_id,
            question_id = excluded.question_id, thread_id = excluded.thread_id,
            attributes = excluded.attributes, retained_at = now()
        returning feedback_id
    """).format(
        view=sql.Identifier(view),
        record_id=_public_id("source_record_id"),
        survey_id=_public_id("survey_id"),
        question_id=_public_id("question_id"),
        thread_id=_public_id("thread_id"),
    )


def _retain(conn: psycopg.Connection, name: str, cutoff: datetime, dry_run: bool) -> tuple[int, list[str]]:
    """Copy the redacted form of `name`'s validated, enriched records past the window to ml.retained_feedback.
    Returns how many, and the md5 keys of their clear ids (to drop from ml.id_pseudonyms once unused)."""
    view = f"stg_{name}__feedback"
    if view not in staging.feedback_views(conn) or not conn.execute(
        "select to_regclass('ml.feedback_enrichment') is not null").fetchone()[0]:
        return 0, []
    params = {"cutoff": cutoff, "keys": [*segment_columns(), *KEPT_ATTRIBUTES]}
    if dry_run:
        with conn.transaction(force_rollback=True):
            return len(conn.execute(_retain_query(view), params).fetchall()), []
    ids = [f for (f,) in conn.execute(_retain_query(view), params)]
    clear = staging.record_ids(conn, ids) if ids else set()
    conn.execute(sql.SQL("delete from ops.validated_records v using staging.{} s where s.feedback_id = any(%s) "
                         "and v.source = s.source and v.account = s.account and v.source_record_id = s.source_record_id")
                 .format(sql.Identifier(view)), (ids,))
    return len(ids), sorted({hashlib.md5(v.encode("utf-8")).hexdigest() for v in clear})


def apply_retention(
    url: str,
    config: dict[str, Any],
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Delete (or, with dry_run, count) what is past its window, keeping the redacted form of valid records.
    Returns the cut-offs and counts per table."""
    window = privacy_config(config).retention
    now = now or datetime.now(UTC)
    raw_cutoff = now - timedelta(days=window.raw_days)
    quarantine_cutoff = now - timedelta(days=window.quarantine_days)
    with psycopg.connect(url) as conn:
        _ensure_retained_table(conn)
        return _apply(conn, raw_cutoff, quarantine_cutoff, window, dry_run=dry_run, actor=actor)


def _ensure_retained_table(conn: psycopg.Connection) -> None:
    """A warehouse prepared before ml.retained_feedback existed gets it (the ml DDL is idempotent)."""
    from cfm.nlp.ml_schema import ensure_ml_schema

    if not conn.execute("select to_regclass('ml.retained_feedback') is not null").fetchone()[0]:
        ensure_ml_schema(conn)
    conn.commit()


def _apply(conn: psycopg.Connection, raw_cutoff: datetime, quarantine_cutoff: datetime, window: Any, *,
           dry_run: bool, actor: str | None) -> dict[str, Any]:
    counts: dict[str, int] = {}
    retained: dict[str, int] = {}
    lost: dict[str, int] = {}
    digests: list[str] = []
    with conn.transaction():
        for name in source_names():
            table = sql.Identifier("raw", name)
            if not conn.execute("select to_regclass(%s) is not null", (f"raw.{name}",)).fetchone()[0]:
                continue
            kept, keys = _retain(conn, name, raw_cutoff, dry_run)
            digests += keys
            verb = sql.SQL(
                "select count(*) from {} where extracted_at < %s"
                if dry_run
                else "with gone as (delete from {} where extracted_at < %s returning 1) select count(*) from gone"
            )
            n = conn.execute(verb.format(table), (raw_cutoff,)).fetchone()[0]
            if n:
                counts[f"raw.{name}"] = n
            if kept:
                retained[f"raw.{name}"] = kept
            if _is_feedback_source(conn, name) and n - kept:
                lost[f"raw.{name}"] = n - kept
        if digests:
            still_used = sorted(staging.referenced_id_digests(conn, digests))
            n = conn.execute("delete from ml.id_pseudonyms where id_digest = any(%s) and not id_digest = any(%s)",
                             (digests, still_used)).rowcount
            if n:
                counts["ml.id_pseudonyms"] = n
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
            "retained": retained,
            "lost": lost,
        }
        result["audit_id"] = audit(
            conn,
            "retention",
            {k: v for k, v in result.items() if k != "dry_run"},
            dry_run=dry_run,
            actor=actor,
        )
    if lost:
        log.warning("[retention] raw payloads past the window never validated and enriched (not kept): %s", lost)
    log.info("[retention] %s: %s; redacted form kept: %s", "would delete" if dry_run else "deleted", counts, retained)
    return result


def _is_feedback_source(conn: psycopg.Connection, name: str) -> bool:
    return f"stg_{name}__feedback" in staging.feedback_views(conn)
