"""The alert rules. Each reads a report mart (every figure and significance test is computed in
dbt) and returns the problems that hold now, one Alert per problem with a stable key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cfm.reporting.wording import METRIC_WORDS, mover_text


@dataclass(frozen=True)
class Alert:
    key: str  # one problem, stable across runs: "shift:segment_topic:email:3:negative_share"
    kind: str  # shift, emerging_topic, stale_source, sla_breach, dag_failed
    title: str
    text: str
    fingerprint: str  # what the problem looks like now; a different fingerprint is a change
    severity: str = "warning"
    facts: dict[str, Any] = field(default_factory=dict)


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null as present", (relation,)).fetchone()["present"]


def significant_negative_shifts(conn: psycopg.Connection) -> list[Alert]:
    """Segment x topic cells of the latest period whose NPS or CSAT fell, or whose negative share rose,
    with a Benjamini-Hochberg q below the false discovery rate (marts.rpt_cell_shifts)."""
    if not _exists(conn, "marts.rpt_cell_shifts"):
        return []
    rows = conn.execute(
        """
        select * from marts.rpt_cell_shifts
        where period = (select max(period) from marts.rpt_cell_shifts)
          and cell_type = 'segment_topic' and is_significant and is_worse
        order by q_value, cell_key
        """
    ).fetchall()
    return [
        Alert(
            key=f"shift:{r['cell_key']}", kind="shift", severity="critical" if r["q_value"] < 0.001 else "warning",
            title=f"{METRIC_WORDS[r['metric']].capitalize()} worse: {r['topic_label']} in {r['segment']}",
            text=f"In {r['period']}, {mover_text(r)} (n={r['responses']}, q={float(r['q_value']):.3g} across "
                 f"{r['family_size']} cells).",
            fingerprint=f"{r['period']}:{float(r['value']):.0f}",
            facts={"period": r["period"], "segment": r["segment"], "topic": r["topic_label"], "metric": r["metric"],
                   "from": r["previous_value"], "to": r["value"], "q": r["q_value"]},
        )
        for r in rows
    ]


def emerging_topics(conn: psycopg.Connection) -> list[Alert]:
    if not _exists(conn, "marts.rpt_emerging_topics"):
        return []
    return [
        Alert(
            key=f"emerging_topic:{r['topic_id']}", kind="emerging_topic", severity="info",
            title=f"Emerging topic: {r['topic_label']}",
            text=(f"{r['responses_last_7d']} items in the 7 days to {r['as_of_day']}, "
                  f"{float(r['growth_ratio']):.1f}x its usual weekly volume." if r["is_spiking"]
                  else f"New topic since {r['first_day']}: {r['responses_last_7d']} items in the last 7 days."),
            fingerprint="spiking" if r["is_spiking"] else "new",
            facts={"topic_id": r["topic_id"], "responses_last_7d": r["responses_last_7d"]},
        )
        for r in conn.execute("select * from marts.rpt_emerging_topics order by topic_id").fetchall()
    ]


def stale_sources(conn: psycopg.Connection) -> list[Alert]:
    if not _exists(conn, "marts.rpt_source_freshness"):
        return []
    rows = conn.execute("select * from marts.rpt_source_freshness where is_stale order by source").fetchall()
    return [
        Alert(
            key=f"stale_source:{r['source']}", kind="stale_source",
            title=f"Source late: {r['source']}",
            text=(f"{r['source']} last synced {float(r['hours_since_sync']):.0f} hours ago; expected every "
                  f"{r['expected_cadence_hours']} hours." if r["last_synced_at"] else f"{r['source']} has never synced."),
            fingerprint=str(r["last_synced_at"]),
            facts={"source": r["source"], "last_synced_at": r["last_synced_at"]},
        )
        for r in rows
    ]


def sla_breaches(conn: psycopg.Connection) -> list[Alert]:
    """Only once the closed loop's report mart exists (marts.rpt_loop_status: period, sla_breaches)."""
    if not _exists(conn, "marts.rpt_loop_status"):
        return []
    row = conn.execute("select * from marts.rpt_loop_status order by period desc limit 1").fetchone()
    if not row or not row.get("sla_breaches"):
        return []
    return [Alert(key="sla_breach", kind="sla_breach", title="Cases past their SLA",
                  text=f"{row['sla_breaches']} open cases have breached their SLA.",
                  fingerprint=str(row["sla_breaches"]), facts=dict(row))]


RULES = (significant_negative_shifts, emerging_topics, stale_sources, sla_breaches)


def evaluate(url: str) -> list[Alert]:
    """Every alert that holds now."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return [alert for rule in RULES for alert in rule(conn)]
