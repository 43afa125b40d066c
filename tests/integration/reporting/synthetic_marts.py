"""A small, known feedback history under the report marts, then the real dbt report models on it.

The upstream marts (fct_feedback, int_feedback_enriched, emerging_topics) are stood in by tables
with their columns, the metrics layer (metric_cells, metric_changes, nps_topic_impact) is built on them by dbt, so each figure the report shows has a hand-checkable expected value.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import psycopg

from cfm.pipeline.transform import run_dbt
from cfm.testing.metric_marts import build_metric_marts, stand_in_enriched

ARABIC_VERBATIM = "تأخر التوصيل أسبوعين ولم يرد أحد على رسائلي"  # no lam-alef: PDF text keeps it one ligature
CHINESE_VERBATIM = "退款申请两周了还没有处理"
EVIL_VERBATIM = '<script>alert("x")</script><img src=x onerror=alert(1)> late again'
TOPICS = {1: ("late delivery", "en"), 2: ("تأخير التوصيل", "ar"), 3: ("退款 / 处理", "zh")}

# per month: (promoters, passives, detractors) of 300 NPS responses
NPS_MIX = {date(2026, 8, 1): (140, 90, 70), date(2026, 9, 1): (150, 90, 60), date(2026, 10, 1): (90, 90, 120)}
CSAT_MIX = {date(2026, 8, 1): (80, 40), date(2026, 9, 1): (85, 35), date(2026, 10, 1): (82, 38)}  # satisfied, not

COLUMNS = """
    feedback_id text, source text, channel text, submitted_at timestamptz, submitted_date date,
    language text, text_redacted text, rating_type text, rating_value numeric, rating_scale_min numeric,
    rating_scale_max numeric, nps_group text, is_satisfied boolean, ces_higher_is_easier boolean,
    sentiment_label text, topic_id bigint, topic_label text
"""


def feedback_rows() -> list[tuple]:
    rng = random.Random(7)
    rows: list[tuple] = []
    n = 0

    def add(month: date, **kw) -> None:
        nonlocal n
        n += 1
        day = month + timedelta(days=rng.randrange(0, 27))
        at = datetime(day.year, day.month, day.day, 10, n % 60, tzinfo=UTC)
        topic = kw.get("topic_id")
        rows.append((f"fb-{n:05d}", kw.get("source", "file_drop"), kw.get("channel", "survey"), at, day,
                     kw.get("language", TOPICS[topic][1] if topic else "en"), kw.get("text"),
                     kw.get("rating_type"), kw.get("rating_value"), kw.get("scale_min"), kw.get("scale_max"),
                     kw.get("nps_group"), kw.get("is_satisfied"), True, kw.get("sentiment", "neutral"), topic,
                     TOPICS[topic][0] if topic else None))

    for month, (pro, pas, det) in NPS_MIX.items():
        for group, count, score in (("promoter", pro, 10), ("passive", pas, 8), ("detractor", det, 3)):
            for i in range(count):
                channel = "email" if i % 3 == 0 else "survey"
                add(month, rating_type="nps", rating_value=score, scale_min=0, scale_max=10, nps_group=group,
                    channel=channel, topic_id=1 + i % 3 if group == "detractor" else None,
                    sentiment="negative" if group == "detractor" else "positive", text="comment")
    for month, (sat, unsat) in CSAT_MIX.items():
        for i in range(sat + unsat):
            add(month, rating_type="csat", rating_value=5 if i < sat else 2, scale_min=1, scale_max=5,
                is_satisfied=i < sat, channel="chat")
        for i in range(40):
            add(month, rating_type="ces", rating_value=6 if i < 25 else 2, scale_min=1, scale_max=7, channel="chat")
    # the newest negative comment of each topic in October, in its language
    last = date(2026, 10, 28)
    for topic, text in ((1, EVIL_VERBATIM + " call [PHONE]"), (2, ARABIC_VERBATIM), (3, CHINESE_VERBATIM)):
        n += 1
        rows.append((f"fb-v{topic}", "file_drop", "email", datetime(2026, 10, 28, 12, tzinfo=UTC), last,
                     TOPICS[topic][1], text, None, None, None, None, None, None, True, "negative", topic, TOPICS[topic][0]))
    return rows


def build_report_marts(url: str) -> None:
    """Stand-in upstream tables with the known history, sync state and quarantine, then dbt's report models."""
    from cfm.sources.base import RejectedRecord
    from cfm.warehouse.quarantine import add_rejects

    with psycopg.connect(url) as conn:
        conn.execute(f"create table marts.fct_feedback ({COLUMNS})")
        stand_in_enriched(conn)
        with conn.cursor() as cur:
            cur.executemany("insert into marts.fct_feedback values (" + ", ".join(["%s"] * 17) + ")", feedback_rows())
        conn.execute(
            """
            create table marts.emerging_topics as
            select 2::bigint as topic_id, 'تأخير التوصيل'::text as topic_label, date '2026-10-01' as first_day,
                   date '2026-10-28' as as_of_day, false as is_new, true as is_spiking, 24::bigint as responses_last_7d,
                   32::bigint as responses_prior_28d, 8.0 as baseline_weekly
            """
        )
        # the loop's marts: four October cases, two still open, one past its SLA, two detractors
        # who scored again, one of them 7+ (recovered)
        conn.execute("create table marts.fct_cases as select * from (values "
                     "('c1', timestamptz '2026-10-03 09:00+00', 'open', true, true, false), "
                     "('c2', timestamptz '2026-10-05 09:00+00', 'open', true, false, false), "
                     "('c3', timestamptz '2026-10-07 09:00+00', 'resolved', true, false, false), "
                     "('c4', timestamptz '2026-10-09 09:00+00', 'closed', false, false, false)) "
                     "as t (case_id, opened_at, status, is_detractor, is_first_response_breached, is_resolution_breached)")
        conn.execute("create table marts.recovery as select * from (values ('c3', 8, true), ('c2', 5, false)) "
                     "as t (case_id, next_rating_value, is_detractor_recovered)")
        conn.execute("insert into ops.sync_state (source, account, cursor, updated_at) values "
                     "('file_drop', 'default', '{}', now() - interval '2 hours'), "
                     "('typeform', 'abc123', '{}', now() - interval '5 days')")
        add_rejects(conn, [RejectedRecord("file_drop", "default", "bad.csv:4", "submitted_at", "not a date",
                                          {"id": "x"}, check="submitted_at_parseable"),
                           RejectedRecord("typeform", "abc123", "item#2", "response_id", "missing", {"a": 1})], "t")
        conn.commit()
    run_dbt(url, ["seed", "--select", "quarantine_check_descriptions"])
    build_metric_marts(url, command="build")
    run_dbt(url, ["build", "--select", "path:models/marts/report"])
