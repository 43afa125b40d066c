"""The report marts against figures computed independently (scipy) from the known history."""

from __future__ import annotations

import math

import psycopg
import pytest
from psycopg.rows import dict_row
from scipy import stats

from .synthetic_marts import NPS_MIX


def _rows(url: str, sql: str, *params) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def test_kpi_change_and_its_significance(report_warehouse) -> None:
    rows = {r["period"]: r for r in _rows(report_warehouse, "select * from marts.rpt_kpi_periods where metric = 'nps'")}
    oct_, sep = rows["2026-10"], rows["2026-09"]
    assert float(sep["value"]) == 30.0 and float(oct_["value"]) == -10.0
    assert float(oct_["change"]) == -40.0 and oct_["previous_value"] == sep["value"]
    # independent: NPS as the mean of +1/0/-1 scores; z test of two independent means
    def var(pro, pas, det):
        n = pro + pas + det
        p, d = pro / n, det / n
        return (p + d - (p - d) ** 2) / n
    z = -0.40 / math.sqrt(var(*NPS_MIX[oct_["period_start"]]) + var(*NPS_MIX[sep["period_start"]]))
    assert float(oct_["z"]) == pytest.approx(z, abs=1e-3)
    assert float(oct_["p_value"]) == pytest.approx(2 * stats.norm.sf(abs(z)), abs=1e-6)
    assert oct_["is_significant"] is True
    aug_to_sep = rows["2026-09"]  # 23.3 -> 30 on 300 each: not significant at 5%
    assert float(aug_to_sep["change"]) == pytest.approx(6.7) and aug_to_sep["is_significant"] is False
    assert rows["2026-08"]["p_value"] is None and rows["2026-08"]["is_significant"] is False  # nothing to compare with


def test_share_kpis_have_wilson_intervals(report_warehouse) -> None:
    csat = _rows(report_warehouse, "select * from marts.rpt_kpi_periods where metric = 'csat' and period = '2026-10'")[0]
    low, high = stats.binomtest(82, 120).proportion_ci(0.95, method="wilson")
    assert float(csat["value"]) == round(100 * 82 / 120, 1)
    assert float(csat["ci_low"]) == pytest.approx(100 * low, abs=0.06)
    assert float(csat["ci_high"]) == pytest.approx(100 * high, abs=0.06)


def test_cell_q_values_are_benjamini_hochberg_per_family_of_metric_changes(report_warehouse) -> None:
    # The family is metric_changes': one metric, period and dimension (overall, channel, topic,
    # channel x topic), over the cells whose two periods both have min_responses; unassigned
    # feedback ('(none)') is in its topic family but not a report cell.
    changes = _rows(report_warehouse, "select * from marts.metric_changes where grain = 'month' and period_start = '2026-10-01' "
                                      "and metric in ('nps', 'csat', 'negative_share') "
                                      "and dimension in ('all', 'channel', 'topic', 'channel_topic') "
                                      "and responses >= 30 and previous_responses >= 30 and p_value is not null")
    families: dict[tuple, list[dict]] = {}
    for c in changes:
        families.setdefault((c["metric"], c["dimension"]), []).append(c)
    expected = {}
    for (metric, dimension), family in families.items():
        qs = stats.false_discovery_control([float(c["p_value"]) for c in family], method="bh")
        for c, q in zip(family, qs, strict=True):
            expected[(metric, dimension, c["dimension_value"])] = (q, len(family))
    cells = _rows(report_warehouse, "select * from marts.rpt_cell_shifts where period = '2026-10' and is_tested order by cell_key")
    assert len(cells) >= 5
    dimension = {"overall": "all", "segment": "channel", "topic": "topic", "segment_topic": "channel_topic"}
    for cell in cells:
        value = {"overall": "all", "segment": cell["segment"], "topic": str(cell["topic_id"]),
                 "segment_topic": f"{cell['segment']}|{cell['topic_id']}"}[cell["cell_type"]]
        q, size = expected.pop((cell["metric"], dimension[cell["cell_type"]], value))
        assert float(cell["q_value"]) == pytest.approx(q, rel=1e-9), cell["cell_key"]
        assert cell["family_size"] == size
    assert all(v == "(none)" or v.endswith("|(none)") for (_m, _d, v) in expected)  # every tested cell but unassigned is a report cell
    overall = next(c for c in cells if c["cell_key"] == "overall:*:*:nps")
    assert overall["is_significant"] and overall["is_worse"]
    assert all(c["topic_label"] is None for c in cells if c["cell_type"] in ("overall", "segment"))


def test_topic_impact_on_nps(report_warehouse) -> None:
    d = _rows(report_warehouse, "select * from marts.rpt_topic_drivers where period = '2026-10' and topic_id = 1")[0]
    # topic 1 holds 40 of October's 120 detractors and nothing else: without it 90 promoters, 80 detractors of 260
    assert float(d["topic_nps"]) == -100.0
    assert float(d["nps_without_topic"]) == round(100 * (90 - 80) / 260, 1)
    assert float(d["nps_impact"]) == pytest.approx(-10.0 - round(100 * 10 / 260, 1))


def test_verbatims_freshness_and_quarantine_in_plain_words(report_warehouse) -> None:
    verbatims = {v["language"]: v for v in _rows(report_warehouse, "select * from marts.rpt_verbatims where period = '2026-10'")}
    assert set(verbatims) == {"en", "ar", "zh"}
    assert verbatims["ar"]["text_direction"] == "rtl" and verbatims["zh"]["text_direction"] == "ltr"
    fresh = {f["source"]: f for f in _rows(report_warehouse, "select * from marts.rpt_source_freshness")}
    assert fresh["file_drop"]["is_stale"] is False and fresh["typeform"]["is_stale"] is True
    reasons = {(q["source"], q["check_name"]): q["plain_reason"]
               for q in _rows(report_warehouse, "select * from marts.rpt_quarantine_reasons")}
    assert "not a valid date" in reasons[("file_drop", "submitted_at_parseable")]
    assert "could not read" in reasons[("typeform", "source_parse")]


def test_closed_loop_status_per_period(report_warehouse) -> None:
    loop = _rows(report_warehouse, "select * from marts.rpt_loop_status")
    assert len(loop) == 1
    row = loop[0]
    assert (row["period"], row["cases_opened"], row["open_cases"], row["sla_breaches"]) == ("2026-10", 4, 2, 1)
    assert (row["detractors_rescored"], row["recovered"], float(row["pct_recovered"])) == (2, 1, 50.0)
