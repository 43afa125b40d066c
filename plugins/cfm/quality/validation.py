"""Validate staged feedback with Great Expectations and quarantine the failing records.

Only records whose current payload has not been validated yet are checked, so a re-run
validates nothing and changes nothing. A record that later passes (it was fixed at the
source) closes its open quarantine entries.

Set-based: each source's new records are validated as one dataframe (one checkpoint run),
and the verdicts and quarantine entries are written with COPY, never row by row.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from cfm.config import PROJECT_ROOT
from cfm.sources.timestamps import parse_utc
from cfm.warehouse import quarantine, staging

log = logging.getLogger(__name__)
# GE logs every documented method it registers at INFO; task logs should show our counts.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CHECKPOINT_NAME = "feedback_checkpoint"
VALIDATION_NAME = "feedback_record_validation"
INDEX_COLUMN = "feedback_id"

@dataclass(frozen=True)
class PlausibleWindow:
    """When feedback can have been given: not before `earliest` (the sources' epoch), not after
    now plus `future_skew` (clock drift). Configured under `validation:` in cfm.yml."""

    earliest: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    future_skew: timedelta = timedelta(hours=24)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> PlausibleWindow:
        section = (config or {}).get("validation") or {}
        earliest = parse_utc(str(section.get("earliest_submitted_at") or "")) or cls.earliest
        skew = timedelta(hours=float(section.get("future_skew_hours", cls.future_skew.total_seconds() / 3600)))
        return cls(earliest, skew)

    def problem(self, value: Any, now: datetime) -> str | None:
        if not isinstance(value, datetime):
            return None
        latest = now + self.future_skew
        if value < self.earliest or value > latest:
            return f"outside the plausible window {self.earliest:%Y-%m-%d} .. {latest:%Y-%m-%d %H:%M} UTC"
        return None


@dataclass
class Failure:
    feedback_id: str
    check: str
    field: str
    reason: str


@dataclass
class ValidationOutcome:
    checked: int = 0
    passed: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)


_CONTEXTS: dict[Path, Any] = {}


def get_context(root: Path = EXPECTATIONS_DIR) -> Any:
    """The file data context under `root`, loaded once per process (loading it costs about a second)."""
    import great_expectations as gx

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    if root not in _CONTEXTS:
        _CONTEXTS[root] = gx.get_context(mode="file", context_root_dir=str(root))
    return _CONTEXTS[root]


def validate_frame(frame: Any, root: Path = EXPECTATIONS_DIR) -> list[Failure]:
    """Run the feedback checkpoint on a DataFrame of staged records; return one Failure per (record, check)."""
    if frame.empty:
        return []
    from cfm.quality.feedback_suite import SUITE_COLUMNS

    context = get_context(root)
    checkpoint = context.checkpoints.get(CHECKPOINT_NAME)
    result = checkpoint.run(batch_parameters={"dataframe": frame[[INDEX_COLUMN, *SUITE_COLUMNS]]})
    found: list[tuple[Any, dict[str, Any]]] = []  # (feedback_id, expectation meta + type)
    for run_result in result.run_results.values():
        for er in run_result.results:
            if er.success:
                continue
            meta = {"type": er.expectation_config.type, **(er.expectation_config.meta or {})}
            found += [(unexpected[INDEX_COLUMN], meta) for unexpected in er.result.get("unexpected_index_list") or []]
    # Only the failing rows become dicts (for the reason templates), in one pass.
    failing = frame[frame[INDEX_COLUMN].isin({fid for fid, _ in found})]
    rows_by_id = {r[INDEX_COLUMN]: r for r in failing.to_dict("records")}
    return [Failure(fid, meta.get("check", meta["type"]), meta.get("field", ""),
                    _reason(meta.get("reason", meta["type"]), rows_by_id[fid]))
            for fid, meta in found]


def _reason(template: str, row: dict[str, Any]) -> str:
    clean = {k: (None if _is_missing(v) else v) for k, v in row.items()}
    try:
        return template.format(**clean)
    except (KeyError, ValueError, IndexError):
        return template


def _is_missing(value: Any) -> bool:
    try:
        return value != value or value is None  # NaN / NaT
    except (TypeError, ValueError):
        return False


def validate_new_records(url: str, run_id: str, *, root: Path = EXPECTATIONS_DIR,
                         window: PlausibleWindow | None = None, now: datetime | None = None) -> dict[str, int]:
    """Validate every staged record whose payload is new or changed; quarantine failures."""
    import pandas as pd

    window = window or PlausibleWindow()
    now = now or datetime.now(UTC)
    outcome = ValidationOutcome()
    with psycopg.connect(url) as conn:
        views = staging.feedback_views(conn)
        if not views:
            raise RuntimeError("no staging views found: run dbt (the transform step) once to create staging.stg_*__feedback")
        for view in views:
            source = staging.view_source(view)
            frame = staging.unvalidated_frame(conn, view)
            if frame.empty:
                continue
            frame = typed_frame(frame)
            implausible = [
                Failure(fid, "submitted_at_plausible", "submitted_at", f"submitted_at {raw!r} is {problem}")
                for fid, value, raw in _window_candidates(frame, window, now)
                if (problem := window.problem(value, now))
            ]
            held = {f.feedback_id for f in implausible}
            frame.loc[frame["feedback_id"].isin(held), "submitted_at"] = pd.NaT
            failures = [f for f in validate_frame(frame, root)
                        if not (f.feedback_id in held and f.field == "submitted_at")] + implausible
            _store(conn, view, frame, failures, run_id)
            outcome.checked += len(frame)
            failed_ids = {f.feedback_id for f in failures}
            outcome.failed += len(failed_ids)
            outcome.passed += len(frame) - len(failed_ids)
            outcome.failures.extend(failures)
            log.info("[validate] %s: %d checked, %d failed", source, len(frame), len(failed_ids))
        conn.commit()
    return {"checked": outcome.checked, "passed": outcome.passed, "quarantined": outcome.failed}


def typed_frame(frame: Any) -> Any:
    """Staged records as read (strings) with the types the suite checks: numbers and UTC timestamps."""
    import pandas as pd

    for col in ("rating_value", "rating_scale_min", "rating_scale_max"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    # Guarded: a value pandas cannot read becomes NaT (flagged as unparseable), never an error for the batch.
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601", errors="coerce")
    return frame


def _window_candidates(frame: Any, window: PlausibleWindow, now: datetime) -> Any:
    """(feedback_id, submitted_at, submitted_at_raw) of the rows that may be outside the window: when
    pandas holds the column as timestamps, compared as a column; else (values pandas cannot hold) every row."""
    import pandas as pd

    col = frame["submitted_at"]
    if pd.api.types.is_datetime64_any_dtype(col) and col.dt.tz is not None:
        outside = (col < pd.Timestamp(window.earliest)) | (col > pd.Timestamp(now + window.future_skew))
        frame = frame[outside]
    return zip(frame["feedback_id"], frame["submitted_at"], frame["submitted_at_raw"], strict=True)


def _records(frame: Any, cols: list[str]) -> list[tuple[Any, ...]]:
    """Rows of these columns as tuples, a missing value as None (never NaN, which COPY would store as 'NaN')."""
    def column(name: str) -> list[Any]:
        missing = frame[name].isna().tolist()
        return [None if m else v for v, m in zip(frame[name].tolist(), missing, strict=True)]
    return list(zip(*(column(c) for c in cols), strict=True))


def _store(conn: psycopg.Connection, view: str, frame: Any, failures: list[Failure], run_id: str) -> None:
    """Write the verdicts, close what they supersede, and (re)open the current failures, with COPY."""
    import csv

    failed_ids = {f.feedback_id for f in failures}
    verdicts = frame[["source", "account", "source_record_id", "payload_hash"]].assign(
        passed=~frame["feedback_id"].isin(failed_ids))
    # One CSV buffer written by pandas (every field quoted: an empty id stays an empty string, never null).
    data = verdicts.to_csv(header=False, index=False, quoting=csv.QUOTE_ALL, lineterminator="\n").encode("utf-8")
    with conn.cursor() as cur:
        cur.execute("create temp table if not exists _cfm_validated (source text, account text, source_record_id text, "
                    "payload_hash text, passed boolean) on commit drop")
        cur.execute("truncate _cfm_validated")
        with cur.copy("copy _cfm_validated from stdin with (format csv)") as copy:
            copy.write(data)
        # MERGE inserts new keys as plain inserts (about half the cost of INSERT .. ON CONFLICT's speculative
        # insertion per row); verdict writers take this transaction lock first, so no concurrent run can insert
        # the same key between MERGE's join and its insert.
        cur.execute("select pg_advisory_xact_lock(hashtext('cfm.ops.validated_records'))")
        cur.execute(
            """
            merge into ops.validated_records t
            using _cfm_validated v
                on t.source = v.source and t.account = v.account and t.source_record_id = v.source_record_id
            when matched then update set
                payload_hash = v.payload_hash, passed = v.passed, run_id = %(run_id)s, validated_at = now()
            when not matched then insert (source, account, source_record_id, payload_hash, passed, run_id, validated_at)
                values (v.source, v.account, v.source_record_id, v.payload_hash, v.passed, %(run_id)s, now())
            """,
            {"run_id": run_id},
        )
        quarantine.supersede_open_from(cur, "_cfm_validated")
        if not failures:
            return
        cols = ["feedback_id", "source", "account", "source_record_id", "payload_hash"]
        rows = {r[0]: dict(zip(cols, r, strict=True)) for r in _records(frame[frame["feedback_id"].isin(failed_ids)], cols)}
        payloads = staging.raw_payloads(conn, view, [(r["source"], r["account"], r["source_record_id"]) for r in rows.values()])
        quarantine.open_failures(cur, [
            {**row, "payload": payloads.get((row["source"], row["account"], row["source_record_id"])),
             "field": f.field, "check": f.check,
             "reason": f"source={row['source']} record={row['source_record_id']} field={f.field}: {f.reason}"}
            for f in failures
            for row in [rows[f.feedback_id]]
        ], run_id)
