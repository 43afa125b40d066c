"""Whether the marts a reader uses come from a finished transform, from ops.run_log.

The marts are published whole (cfm.warehouse.marts_publish: dbt builds a shadow schema, one
transaction swaps it in), so a transform killed part-way leaves the last published set; one that
fails publishes what it built and keeps the last published version of the marts that failed. Readers (`cfm report`, `cfm headline`) check here first: a mart that was never
built is a clear error naming the unfinished transform, not a missing-relation traceback; a
transform that did not finish is stated in what they print, with the marts it left stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

#: What the leadership report reads (cfm.reporting.content) and what `cfm headline` reads.
REPORT_MARTS = (
    "marts.rpt_kpi_periods",
    "marts.rpt_cell_shifts",
    "marts.rpt_topic_drivers",
    "marts.rpt_emerging_topics",
    "marts.rpt_verbatims",
    "marts.rpt_source_freshness",
    "marts.rpt_quarantine_reasons",
)
HEADLINE_MARTS = ("marts.cx_metrics_monthly", "marts.fct_feedback")


class MartsUnavailable(RuntimeError):
    """A mart a reader needs does not exist: no transform has finished building it."""


@dataclass
class BuildState:
    latest_run: str | None = None  # the latest transform in ops.run_log
    latest_status: str | None = None  # running (in progress, or killed), failed, success
    latest_started: datetime | None = None
    latest_error: str | None = None
    good_run: str | None = None  # the latest transform that finished
    good_finished: datetime | None = None
    failed_models: list[str] = field(
        default_factory=list
    )  # dbt nodes of the latest transform that errored...
    skipped_models: list[str] = field(default_factory=list)  # ...or were skipped because of them
    missing: list[str] = field(default_factory=list)  # relations asked for that do not exist

    @property
    def unfinished(self) -> bool:
        return self.latest_status not in (None, "success")

    def note(self) -> str | None:
        """One sentence for the reader when the latest transform did not finish; None when it did."""
        if not self.unfinished:
            return None
        how = (
            "did not finish (killed, or still running)"
            if self.latest_status == "running"
            else f"did not finish: it failed ({self.latest_error or 'no error recorded'})"
        )
        text = f"The latest transform (run {self.latest_run}, started {self.latest_started:%Y-%m-%d %H:%M %Z}) {how}."
        stale = self.failed_models + self.skipped_models
        if stale:
            text += f" Stale marts, not rebuilt: {', '.join(stale)}."
        elif self.latest_status == "running":
            text += " Every mart is stale, from the previous build: a build is published whole, when it ends."
        if self.good_run:
            text += f" The last complete build is run {self.good_run}, finished {self.good_finished:%Y-%m-%d %H:%M %Z}."
        return text


def build_state(url: str, relations: Iterable[str] = ()) -> BuildState:
    state = BuildState()
    with psycopg.connect(url) as conn:
        state.missing = [
            r for r in relations if conn.execute("select to_regclass(%s) is null", (r,)).fetchone()[0]
        ]
        if not conn.execute("select to_regclass('ops.run_log')").fetchone()[0]:
            return state
        latest = conn.execute(
            "select run_id, status, started_at, error, counts from ops.run_log where stage = 'transform' "
            "order by started_at desc limit 1"
        ).fetchone()
        good = conn.execute(
            "select run_id, finished_at from ops.run_log where stage = 'transform' and status = 'success' "
            "order by finished_at desc limit 1"
        ).fetchone()
    if latest:
        state.latest_run, state.latest_status, state.latest_started, state.latest_error = latest[:4]
        counts: dict[str, Any] = latest[4] or {}
        state.failed_models = list(counts.get("failed_models") or [])
        state.skipped_models = list(counts.get("skipped_models") or [])
    if good:
        state.good_run, state.good_finished = good
    return state


def require_marts(url: str, relations: Iterable[str]) -> BuildState:
    """The build state, or MartsUnavailable naming the missing marts and why."""
    state = build_state(url, relations)
    if state.missing:
        why = (
            f"the transform (run {state.latest_run}) has not finished building them"
            if state.unfinished
            else "no transform has built them yet"
        )
        raise MartsUnavailable(
            f"{', '.join(state.missing)} not built: {why}; "
            "run `cfm run` (or the transform DAG) to build the marts"
        )
    return state
