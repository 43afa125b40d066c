"""What the leadership report says, read from the report marts (dbt/models/marts/report).

Every figure is computed in dbt; this module only selects rows for one period. Nothing here
computes a metric, an interval or a significance test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

Row = dict[str, Any]


class NoReportData(LookupError):
    """The marts have no data for the requested period (or none at all)."""


@dataclass
class ReportContent:
    period: str
    generated_at: datetime
    kpis: dict[str, Row]  # metric -> rpt_kpi_periods row of the period
    kpi_history: list[Row]  # every period, every KPI (trend charts)
    movers: list[Row]  # significant topic / segment shifts (rpt_cell_shifts)
    segments: list[Row]  # per channel, NPS this period (rpt_cell_shifts, cell_type segment)
    drivers: list[Row]  # rpt_topic_drivers of the period, biggest impact first
    emerging: list[Row]
    verbatims: list[Row]
    freshness: list[Row]
    quarantine: list[Row]
    loop: dict[str, Any] | None = None  # the period's closed-loop status (rpt_loop_status)
    loop_connected: bool = False  # the loop marts exist (no row: no cases opened in the period)
    totals: Row = field(default_factory=dict)
    build_note: str | None = None  # the latest transform did not finish (cfm.reporting.build_state)

    @property
    def stale_sources(self) -> list[Row]:
        return [f for f in self.freshness if f["is_stale"]]


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null as present", (relation,)).fetchone()["present"]


def available_periods(url: str) -> list[str]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        if not _exists(conn, "marts.rpt_kpi_periods"):
            return []
        return [r["period"] for r in conn.execute("select distinct period from marts.rpt_kpi_periods order by period")]


def pick_period(periods: list[str], requested: str | None, today: date | None = None) -> str:
    """`complete` (or None): the newest period with data that has ended (before today's month), so a
    scheduled run never reports a month in progress; `latest`: the newest with data; else a key (2026-10)."""
    if not periods:
        raise NoReportData("the report marts are empty: run the transform (dbt build) first")
    if requested in (None, "", "complete"):
        current = (today or datetime.now(UTC).date()).strftime("%Y-%m")
        ended = [p for p in periods if p < current]
        if not ended:
            raise NoReportData(f"no complete period with data yet (periods with data: {', '.join(periods)})")
        return ended[-1]
    if requested == "latest":
        return periods[-1]
    if requested not in periods:
        raise NoReportData(f"no data for period {requested!r}; periods with data: {', '.join(periods)}")
    return requested


def resolve_period(url: str, requested: str | None) -> str:
    return pick_period(available_periods(url), requested)


def load_content(url: str, period: str | None = None, *, top: int = 5) -> ReportContent:
    period = resolve_period(url, period)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        history = conn.execute("select * from marts.rpt_kpi_periods order by period_start, metric").fetchall()
        kpis = {r["metric"]: r for r in history if r["period"] == period}
        movers = conn.execute(
            """
            select * from marts.rpt_cell_shifts
            where period = %s and is_significant and cell_type in ('topic', 'segment')
            order by q_value, abs(change) desc limit %s
            """,
            (period, 2 * top),
        ).fetchall()
        segments = conn.execute(
            "select * from marts.rpt_cell_shifts where period = %s and cell_type = 'segment' and metric = 'nps' "
            "order by responses desc",
            (period,),
        ).fetchall()
        drivers = conn.execute(
            "select * from marts.rpt_topic_drivers where period = %s order by abs(nps_impact) desc nulls last, topic_id "
            "limit %s",
            (period, top),
        ).fetchall()
        emerging = conn.execute(
            "select * from marts.rpt_emerging_topics order by is_spiking desc, growth_ratio desc, topic_id limit %s", (top,)
        ).fetchall()
        verbatims = conn.execute(
            "select * from marts.rpt_verbatims where period = %s order by topic_rank, language", (period,)
        ).fetchall()
        freshness = conn.execute("select * from marts.rpt_source_freshness order by source").fetchall()
        quarantine = conn.execute(
            "select * from marts.rpt_quarantine_reasons order by open_records desc, source, check_name"
        ).fetchall()
        loop_connected = _exists(conn, "marts.rpt_loop_status")
        loop = _loop_status(conn, period) if loop_connected else None
        totals = conn.execute(
            "select coalesce(sum(responses), 0) as feedback_items from marts.rpt_cell_shifts "
            "where period = %s and cell_type = 'overall' and metric = 'negative_share'",
            (period,),
        ).fetchone()
    return ReportContent(period, datetime.now(UTC), kpis, history, movers, segments, drivers, emerging, verbatims,
                         freshness, quarantine, loop, loop_connected, totals)


def _loop_status(conn: psycopg.Connection, period: str) -> dict[str, Any] | None:
    row = conn.execute("select * from marts.rpt_loop_status where period = %s", (period,)).fetchone()
    return dict(row) if row else None
