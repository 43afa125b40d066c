"""Shift alerts with false-discovery control, on a seeded simulation built by the real dbt marts
(metric_cells -> metric_changes, whose BH family here is negative share by channel x topic):
100 segment x topic cells with no real change give no alert at q = 0.05; one real shift gives one."""

from __future__ import annotations

from datetime import date

import numpy as np
import psycopg
import pytest

from cfm.alerts.rules import evaluate
from cfm.config import load_config
from cfm.pipeline.alerts import run as run_alerts
from cfm.pipeline.stage import StageContext
from cfm.pipeline.transform import run_dbt
from cfm.testing.fake_slack import FakeSlackWebhook
from cfm.testing.metric_marts import build_metric_marts, stand_in_enriched

pytestmark = pytest.mark.slow
CHANNELS = ["survey", "email", "review", "chat", "phone", "in_person", "social", "other", "web", "app"]
TOPICS = range(1, 11)
N, BASE_RATE = 200, 0.30


def _rows(rng: np.random.Generator, month: date, channel: str, topic: int, rate: float) -> list[tuple]:
    negatives = rng.binomial(N, rate)
    return [(f"{month}:{channel}:{topic}:{i}", month, channel, topic, f"topic {topic}",
             "negative" if i < negatives else "positive") for i in range(N)]


def _load(url: str, rows: list[tuple]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("create table if not exists marts.fct_feedback (feedback_id text, submitted_date date, channel text, "
                      "topic_id bigint, topic_label text, sentiment_label text, nps_group text, is_satisfied boolean)")
        conn.execute("truncate marts.fct_feedback")
        stand_in_enriched(conn)
        with conn.cursor() as cur:
            cur.executemany("insert into marts.fct_feedback (feedback_id, submitted_date, channel, topic_id, topic_label, "
                            "sentiment_label) values (%s, %s, %s, %s, %s, %s)", rows)
    build_metric_marts(url)


def _simulate(rng: np.random.Generator, shifted: tuple[str, int] | None = None) -> list[tuple]:
    rows = []
    for channel in CHANNELS:
        for topic in TOPICS:
            rows += _rows(rng, date(2026, 9, 1), channel, topic, BASE_RATE)
            rate = 0.60 if (channel, topic) == shifted else BASE_RATE
            rows += _rows(rng, date(2026, 10, 1), channel, topic, rate)
    return rows


def test_null_cells_give_no_alert_and_a_real_shift_gives_one(warehouse, monkeypatch) -> None:
    _load(warehouse, _simulate(np.random.default_rng(2026)))
    run_dbt(warehouse, ["run", "--select", "rpt_cell_shifts"])
    with psycopg.connect(warehouse) as conn:
        cells, uncorrected = conn.execute(
            "select count(*), count(*) filter (where p_value < 0.05) from marts.rpt_cell_shifts "
            "where period = '2026-10' and cell_type = 'segment_topic' and is_tested").fetchone()
    assert cells == 100
    assert uncorrected >= 1  # without the correction this seed would raise false alarms
    assert [a for a in evaluate(warehouse) if a.kind == "shift"] == []

    _load(warehouse, _simulate(np.random.default_rng(2026), shifted=("email", 3)))
    run_dbt(warehouse, ["run", "--select", "rpt_cell_shifts"])
    shifts = [a for a in evaluate(warehouse) if a.kind == "shift"]
    assert [a.key for a in shifts] == ["shift:segment_topic:email:3:negative_share"]
    assert "rose from 3" in shifts[0].text or "rose from 2" in shifts[0].text

    with FakeSlackWebhook() as slack:
        monkeypatch.setenv("CFM_SLACK_WEBHOOK_URL", slack.webhook_url)
        ctx = StageContext(url=warehouse, config=load_config(), run_id="alerts-1")
        assert run_alerts(ctx)["new"] == 1
        assert run_alerts(StageContext(url=warehouse, config=load_config(), run_id="alerts-2"))["new"] == 0
        assert len(slack.payloads) == 1  # a re-run after the next transform sends nothing new
