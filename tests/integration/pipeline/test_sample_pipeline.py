"""The whole pipeline in-process (`cfm run`) on the bundled sample, checked from outside."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from cfm.config import PROJECT_ROOT, load_config
from cfm.pipeline.run import run_pipeline

from . import sample_truth

DROP = PROJECT_ROOT / "sample_data" / "drop"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(make_database, tmp_path_factory):
    from cfm.warehouse.schema import ensure_warehouse

    url = make_database()
    with psycopg.connect(url) as conn:
        ensure_warehouse(conn)
    config = load_config()
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(DROP)}}
    config["report"]["out_dir"] = str(tmp_path_factory.mktemp("out"))
    first = run_pipeline(url, config, "test-run-1")
    snapshot = _snapshot(url)
    second = run_pipeline(url, config, "test-run-2")
    return {"url": url, "config": config, "first": first, "second": second, "snapshot": snapshot}


def _snapshot(url: str) -> dict[str, object]:
    tables = ["raw.file_drop", "quarantine.records", "ops.validated_records", "ml.feedback_enrichment",
              "ml.feedback_identity", "ml.topic_assignments", "marts.fct_feedback", "marts.nps_daily",
              "marts.csat_daily", "marts.ces_daily", "marts.cx_metrics_monthly"]
    out: dict[str, object] = {}
    with psycopg.connect(url) as conn:
        for t in tables:
            cols = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_schema || '.' || table_name = %s "
                "and column_name not in ('quarantined_at', 'validated_at', 'enriched_at', 'assigned_at', 'run_id', "
                "'resolved_at', 'extracted_at') order by ordinal_position", (t,)).fetchall()]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            out[t] = conn.execute(f"select md5(string_agg(r::text, '|' order by r::text)), count(*) "
                                  f"from (select {col_sql} from {t}) r").fetchone()
    return out


def test_first_run_loads_everything_and_quarantines_the_invalid_rows(pipeline) -> None:
    first = pipeline["first"]
    truth = sample_truth.valid_records(DROP)
    assert first.read == len(sample_truth.read_rows(DROP))
    assert first.failed_sources == {}
    with psycopg.connect(pipeline["url"]) as conn:
        assert conn.execute("select count(*) from marts.fct_feedback").fetchone()[0] == len(truth)
        open_refs = {r[0] for r in conn.execute("select record_ref from quarantine.records where status = 'open'").fetchall()}
    assert first.read - len(truth) == len({r for r in open_refs})
    assert {r for r in open_refs if r.startswith("BAD-")} == {f"BAD-{n:03d}" for n in range(16) if n % 8 != 4}


def test_second_run_adds_and_changes_nothing(pipeline) -> None:
    second = pipeline["second"]
    assert second.loaded == 0 and second.validation["checked"] == 0 and second.enrichment["items"] == 0
    assert _snapshot(pipeline["url"]) == pipeline["snapshot"]


def test_nps_csat_ces_marts_equal_an_independent_computation(pipeline) -> None:
    truth = sample_truth.valid_records(DROP)
    with psycopg.connect(pipeline["url"]) as conn:
        nps = {(d, c): (n, p, dt, float(s)) for d, c, n, p, dt, s in conn.execute(
            "select day, channel, sum(responses), sum(promoters), sum(detractors), "
            "round(100.0 * (sum(promoters) - sum(detractors)) / sum(responses), 1) from marts.nps_daily group by 1, 2")}
        csat = {(d, c): (n, s, float(p)) for d, c, n, s, p in conn.execute(
            "select day, channel, responses, satisfied, csat_pct from marts.csat_daily")}
        ces = {(d, c): (n, float(m)) for d, c, n, m in conn.execute("select day, channel, responses, ces_mean from marts.ces_daily")}
        single_source_nps = {(d, c): float(s) for d, c, s in conn.execute("select day, channel, nps from marts.nps_daily")}
    expected_nps = sample_truth.nps_by_day_channel(truth)
    assert nps == {k: (n, p, d, s) for k, (n, p, d, s) in expected_nps.items()}
    assert single_source_nps == {k: v[3] for k, v in expected_nps.items()}
    assert csat == sample_truth.csat_by_day_channel(truth)
    assert ces == sample_truth.ces_by_day_channel(truth)


def test_nps_interval_is_adjusted_wald(pipeline) -> None:
    with psycopg.connect(pipeline["url"]) as conn:
        n, low, high = conn.execute(
            "select nps_responses, nps_ci_low, nps_ci_high from marts.cx_metrics_monthly order by month limit 1").fetchone()
        promoters, detractors = conn.execute(
            "select count(*) filter (where nps_group = 'promoter'), count(*) filter (where nps_group = 'detractor') "
            "from marts.fct_feedback where rating_type = 'nps' and date_trunc('month', submitted_date) = "
            "(select min(month) from marts.cx_metrics_monthly)").fetchone()
    n3 = n + 3
    pp, dd = (promoters + 0.75) / n3, (detractors + 0.75) / n3
    moe = 1.96 * ((pp + dd - (pp - dd) ** 2) / n3) ** 0.5
    assert float(low) == pytest.approx(round(100 * (pp - dd - moe), 1), abs=0.051)
    assert float(high) == pytest.approx(round(100 * (pp - dd + moe), 1), abs=0.051)


def test_no_pii_from_texts_reaches_any_mart(pipeline) -> None:
    pii = sample_truth.pii_in_texts(DROP)
    assert len(pii) > 50  # the sample really carries PII
    with psycopg.connect(pipeline["url"]) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        assert "fct_feedback" in tables
        leaks = []
        for t in tables:
            dump = "\n".join(str(r) for r in conn.execute(f'select * from marts."{t}"').fetchall())
            leaks += [(t, item) for item in pii if item in dump]
    assert leaks == []


def test_analyst_role_reads_marts_only(pipeline) -> None:
    with psycopg.connect(pipeline["url"]) as conn:
        conn.execute("set role cfm_analyst")
        assert conn.execute("select count(*) from marts.fct_feedback").fetchone()[0] > 0
        for table in ("raw.file_drop", "quarantine.records", "ml.feedback_enrichment", "staging.stg_file_drop__feedback",
                      "intermediate.int_feedback_enriched"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select 1 from {table} limit 1")
            conn.rollback()
            conn.execute("set role cfm_analyst")


def test_report_is_written_with_trends_and_topics(pipeline) -> None:
    html = Path(pipeline["first"].report_path).read_text(encoding="utf-8")
    assert "NPS by month" in html and html.count('<img class="chart"') >= 3 and "What drives NPS" in html
    assert "@example.com" not in html


def test_enrichment_is_stored_with_its_models(pipeline) -> None:
    with psycopg.connect(pipeline["url"]) as conn:
        row = conn.execute(
            "select count(*), count(*) filter (where embedding_model is null or sentiment_model is null), "
            "count(distinct language) from ml.feedback_enrichment").fetchone()
        langs = {r[0] for r in conn.execute("select distinct language from marts.fct_feedback where text_redacted is not null")}
    assert row[0] > 2500 and row[1] == 0
    with psycopg.connect(pipeline["url"]) as conn:
        bare_ratings_with_topic = conn.execute(
            "select count(*) from marts.fct_feedback where btrim(coalesce(text_redacted, '')) = '' and topic_id is not null"
        ).fetchone()[0]
        unlabelled = conn.execute("select count(*) from ml.topics where cardinality(keywords) = 0").fetchone()[0]
    assert bare_ratings_with_topic == 0 and unlabelled == 0
    assert {"en", "ar", "zh"} <= langs
    assert pipeline["first"].enrichment["items"] == row[0]


def test_the_enrichment_step_columns_reach_fct_feedback(pipeline) -> None:
    from cfm.nlp.steps import enrichment_columns

    with psycopg.connect(pipeline["url"]) as conn:
        cols = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = 'fct_feedback' "
            "order by ordinal_position")]
    wanted = [c.name for c in enrichment_columns() if c.in_marts]
    assert [c for c in cols if c in wanted] == wanted
    assert not {c.name for c in enrichment_columns() if not c.in_marts} & set(cols) - {"language", "text_redacted"}
