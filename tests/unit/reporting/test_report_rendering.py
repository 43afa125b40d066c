from __future__ import annotations

from datetime import UTC, date, datetime

from cfm.reporting.charts import bar_chart, line_chart
from cfm.reporting.leadership_report import ReportData, render_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _data() -> ReportData:
    month = {"month": date(2026, 9, 1), "nps": -10.5, "nps_ci_low": -20.0, "nps_ci_high": -1.0, "nps_responses": 120,
             "csat_pct": 50.0, "csat_responses": 80, "ces_pct_easy": 40.0, "ces_responses": 20,
             "feedback_items": 400, "negative_items": 150}
    return ReportData(
        generated_at=datetime(2026, 10, 1, tzinfo=UTC),
        months=[month, {**month, "month": date(2026, 10, 1), "nps": -5.0}],
        topics=[{"topic_id": 1, "topic_label": EVIL, "feedback_items": 40, "negative_pct": 60.0, "nps_n": 12, "nps": -20.0}],
        verbatims=[{"topic_id": 1, "topic_label": "delivery", "text_redacted": EVIL + " call [PHONE]", "source": "file_drop",
                    "channel": "phone", "language": "en", "submitted_date": date(2026, 10, 2)}],
        emerging=[], quarantine=[{"source": "file_drop", "check_name": "channel_known", "records": 2}],
        totals={"feedback_items": 800, "sources": 1, "first_day": date(2026, 5, 1), "last_day": date(2026, 10, 31)},
    )


def test_feedback_text_and_topic_labels_are_escaped() -> None:
    html = render_html(_data(), title="Report")
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "call [PHONE]" in html


def test_report_shows_headline_change_and_charts() -> None:
    html = render_html(_data(), title="Report")
    assert "October 2026 at a glance" in html
    assert "+5.5 vs Sep" in html
    assert html.count("<svg") == 3
    assert "800 feedback items from 1 source(s)" in html
    assert "built-in method" not in html


def test_charts_escape_labels_and_handle_missing_values() -> None:
    svg = line_chart(["<b>", "Oct"], [("NPS", [None, 3.0], "#000")], band=([None, 1.0], [None, 5.0]))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert "No data" in line_chart([], [("x", [], "#000")])
    assert "&lt;script&gt;" in bar_chart([EVIL], [3.0])
