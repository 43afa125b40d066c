"""Report wording and HTML from given mart rows (no database): sentences follow the figures,
feedback text is escaped, the quarantine seed explains every check."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

from cfm.config import PROJECT_ROOT
from cfm.reporting import wording
from cfm.reporting.content import ReportContent
from cfm.reporting.leadership_report import render_html

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _kpi(metric: str, value: float, change: float | None, significant: bool, **kw) -> dict:
    return {"metric": metric, "metric_label": metric.upper(), "period": "2026-10", "period_start": date(2026, 10, 1),
            "value": value, "ci_low": value - 12, "ci_high": value + 11, "responses": 140, "is_small_sample": False,
            "previous_period_start": date(2026, 9, 1) if change is not None else None,
            "previous_value": None if change is None else value - change, "change": change,
            "is_significant": significant, **kw}


def _mover(**kw) -> dict:
    return {"cell_type": "topic", "segment": None, "topic_label": "late delivery", "metric": "negative_share",
            "value": 45.0, "previous_value": 20.0, "change": 25.0, "is_worse": True, "q_value": 0.001,
            "responses": 80, **kw}


def _content(**kw) -> ReportContent:
    kpis = {"nps": _kpi("nps", -16.4, -9.6, False), "csat": _kpi("csat", 74.0, 2.0, False)}
    base = dict(period="2026-10", generated_at=datetime(2026, 11, 2, tzinfo=UTC), kpis=kpis,
                kpi_history=list(kpis.values()), movers=[], segments=[], drivers=[], emerging=[],
                verbatims=[{"topic_label": EVIL, "language": "ar", "text_direction": "rtl", "channel": "email",
                            "submitted_date": date(2026, 10, 3), "text_redacted": EVIL + " اتصل [PHONE]"}],
                freshness=[{"source": "typeform", "is_stale": True, "expected_cadence_hours": 26,
                            "last_synced_at": datetime(2026, 10, 1, tzinfo=UTC), "hours_since_sync": 50.2}],
                quarantine=[{"source": "file_drop", "check_name": "rating_in_scale",
                             "plain_reason": "The score is outside the survey's scale", "open_records": 3}],
                totals={"feedback_items": 800})
    return ReportContent(**{**base, **kw})


def test_headline_says_what_changed_and_whether_it_is_significant() -> None:
    c = _content()
    lines = wording.headline(c.kpis, [], c.period, [])
    assert lines[0] == ("NPS was −16 in October 2026 from 140 responses, down 10 points from September, "
                        "within normal variation (not significant).")
    assert lines[1] == "CSAT was 74% (+2 pts, not significant)."
    assert lines[2] == "No topic or channel moved significantly against the previous period."
    significant = wording.headline({"nps": _kpi("nps", -16.4, -9.6, True)}, [_mover()], "2026-10", [])
    assert significant[0].endswith("a significant drop.")
    assert significant[1] == "The clearest problem: negative feedback about “late delivery” rose from 20% to 45%."
    assert 2 <= len(significant) <= 3


def test_intervals_are_explained_in_words() -> None:
    assert wording.interval_sentence(_kpi("nps", -16.4, None, False)) == "We are 95% sure NPS is between −28 and −5."
    assert wording.change_phrase(_kpi("nps", 5, None, False)) == "no previous period to compare with"


def test_feedback_text_and_topic_labels_are_escaped_and_directional() -> None:
    html = render_html(_content(), title="Report", image_src={})
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "اتصل [PHONE]" in html
    assert 'lang="ar" dir="rtl"' in html


def test_page_is_responsive_and_data_quality_is_in_plain_words() -> None:
    html = render_html(_content(), title="Report", image_src={})
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "minmax(min(100%, 220px), 1fr)" in html  # fluid KPI grid
    assert "The score is outside the survey&#39;s scale" in html and "rating_in_scale" not in html
    assert "expected every 26 h" in html and "50 hours ago" in html
    assert "No case data yet" in html


def test_every_quarantine_check_has_a_plain_reason() -> None:
    import great_expectations as gx

    from cfm.quality.feedback_suite import build_suite
    from cfm.sources.base import RejectedRecord

    gx.get_context(mode="ephemeral")  # suites are built inside an active context

    with (PROJECT_ROOT / "dbt" / "seeds" / "quarantine_check_descriptions.csv").open(encoding="utf-8") as fh:
        described = {row["check_name"] for row in csv.DictReader(fh)}
    checks = {e.meta["check"] for e in build_suite().expectations}
    checks.add(RejectedRecord.__dataclass_fields__["check"].default)
    assert checks <= described, f"no plain reason for {checks - described}"


def test_scheduled_runs_report_the_newest_month_that_has_ended() -> None:
    import pytest

    from cfm.reporting.content import NoReportData, pick_period

    periods = ["2026-09", "2026-10", "2026-11"]
    assert pick_period(periods, "complete", today=date(2026, 11, 2)) == "2026-10"  # November is in progress
    assert pick_period(periods, None, today=date(2026, 12, 1)) == "2026-11"
    assert pick_period(periods, "latest", today=date(2026, 11, 2)) == "2026-11"
    assert pick_period(periods, "2026-09") == "2026-09"
    with pytest.raises(NoReportData, match="2026-08"):
        pick_period(periods, "2026-08")
    with pytest.raises(NoReportData, match="no complete period"):
        pick_period(["2026-11"], "complete", today=date(2026, 11, 2))
