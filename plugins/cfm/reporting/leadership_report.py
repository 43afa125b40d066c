"""The leadership report: headline CX metrics, their trends, top topics and verbatims, from marts.

Feedback text is untrusted: the template autoescapes everything, and charts escape their labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class ReportData:
    generated_at: datetime
    months: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    verbatims: list[dict[str, Any]]
    emerging: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    totals: dict[str, Any]


def _table_exists(conn: psycopg.Connection, qualified: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null as present", (qualified,)).fetchone()["present"]


def load_report_data(url: str, *, top_topics: int = 8) -> ReportData:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        months = conn.execute("select * from marts.cx_metrics_monthly order by month").fetchall()
        topics = conn.execute(
            """
            select topic_id, label as topic_label, responses as feedback_items, negative_pct, nps_responses as nps_n, nps
            from marts.topics
            where status = 'active' and responses > 0
            order by responses desc, topic_id limit %s
            """,
            (top_topics,),
        ).fetchall()
        top_ids = [t["topic_id"] for t in topics]
        verbatims = conn.execute(
            """
            select distinct on (topic_id) topic_id, topic_label, text_redacted, source, channel, language, submitted_date
            from marts.fct_feedback
            where sentiment_label = 'negative' and text_redacted is not null and topic_id = any(%s)
            order by topic_id, submitted_at desc
            """,
            (top_ids,),
        ).fetchall()
        verbatims.sort(key=lambda v: top_ids.index(v["topic_id"]))
        emerging = []
        if _table_exists(conn, "marts.emerging_topics"):
            emerging = conn.execute("select * from marts.emerging_topics limit 10").fetchall()
        quarantine = conn.execute(
            "select source, check_name, count(*) as records from quarantine.records where status = 'open' "
            "group by 1, 2 order by 3 desc"
        ).fetchall()
        totals = conn.execute(
            "select count(*) as feedback_items, count(distinct source) as sources, min(submitted_date) as first_day, "
            "max(submitted_date) as last_day from marts.fct_feedback"
        ).fetchone()
    return ReportData(datetime.now(UTC), months, topics, verbatims, emerging, quarantine, totals)


def render_html(data: ReportData, *, title: str) -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    from cfm.reporting.charts import bar_chart, line_chart

    labels = [m["month"].strftime("%b %Y") for m in data.months]

    def col(name: str) -> list[float | None]:
        return [float(m[name]) if m[name] is not None else None for m in data.months]

    charts = {
        "nps": Markup(line_chart(labels, [("NPS", col("nps"), "#1f5f99")], band=(col("nps_ci_low"), col("nps_ci_high")),
                                 y_range=(-100, 100))),
        "csat": Markup(line_chart(labels, [("CSAT %", col("csat_pct"), "#2e8540"), ("CES % easy", col("ces_pct_easy"), "#b5651d")],
                                  y_range=(0, 100), unit="%")),
        "topics": Markup(bar_chart([t["topic_label"] or f"topic {t['topic_id']}" for t in data.topics],
                                   [float(t["feedback_items"]) for t in data.topics])),
    }
    latest = data.months[-1] if data.months else None
    previous = data.months[-2] if len(data.months) > 1 else None
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("leadership_report.html.j2").render(
        title=title, data=data, charts=charts, latest=latest, previous=previous,
    )


def write_report(url: str, out_dir: Path, *, title: str = "Customer feedback: leadership report") -> Path:
    data = load_report_data(url)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "leadership_report.html"
    path.write_text(render_html(data, title=title), encoding="utf-8")
    return path
