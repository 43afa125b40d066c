"""The feedback models (int_feedback_enriched, fct_feedback) and the metric marts (fct_metric_responses,
metric_cells) build incrementally, and a full refresh gives the same rows. A warehouse is built by the real
pipeline, then a record is erased and a second day arrives through it: new records, an edited record
re-delivered, an edit that fails validation, a customer whose attributes change (dim_customers, SCD2), topics
relabelled as they grow, and enrichment that changes after its record was built. The second run's dbt build is
incremental (rows nothing touched are not rewritten); its tables, and the marts built on them, are kept, rebuilt
with --full-refresh, and the two compared row for row."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.slow

MODELS = ("intermediate.int_feedback_enriched", "marts.fct_feedback")
# incremental metric marts and the marts built on them, compared with a full refresh (key columns for messages)
METRIC_MARTS = {"marts.fct_metric_responses": ("feedback_id", "metric"),
                "marts.metric_cells": ("metric", "grain", "period_start", "dimension", "dimension_value"),
                "marts.metric_changes": ("metric", "grain", "period_start", "dimension", "dimension_value"),
                "marts.rpt_cell_shifts": ("cell_key", "period_start")}
# F15 is the only record of its day (2026-07-16) and its customer's only one: erased after day 1, its day's
# cells must go
ERASED = "F15"
TEXTS = ("My parcel arrived late and the courier left the box in the rain.",
         "I was charged twice and I am still waiting for my refund.",
         "Great service, thank you so much.")
FEEDBACK_COLUMNS = ["id", "submitted_at", "channel", "rating_type", "rating_value", "text", "language", "customer_id",
                    "region"]
CUSTOMER_COLUMNS = ["customer_id", "plan", "region", "tier", "updated_at"]
AGED = [("raw.file_drop", "extracted_at"), ("ops.validated_records", "validated_at"),
        ("ops.enriched_records", "enriched_at"), ("ml.feedback_enrichment", "enriched_at"),
        ("ml.topic_assignments", "assigned_at"), ("intermediate.int_feedback_enriched", "extracted_at"),
        *((t, "changed_at") for t in MODELS), ("marts.fct_metric_responses", "changed_at")]


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _feedback(record_id: str, n: int, **changes: Any) -> dict[str, Any]:
    row = {"id": record_id, "submitted_at": f"2026-{n % 9 + 1:02d}-{n % 27 + 1:02d}T10:00:00Z", "channel": "survey",
           "rating_type": "nps", "rating_value": str(n % 11), "text": TEXTS[n % 3], "language": "en",
           "customer_id": f"C{n % 4 + 1:05d}", "region": ("UAE", "UK")[n % 2]}
    return {**row, **changes}


def _customers(plan_c1: str, updated_c1: str) -> list[dict[str, Any]]:
    rows = [{"customer_id": f"C{n:05d}", "plan": "basic", "region": "UAE", "tier": "bronze",
             "updated_at": "2026-01-01T00:00:00Z"} for n in range(1, 5)]
    rows[0].update(plan=plan_c1, updated_at=updated_c1)
    return rows


def _rows(conn: psycopg.Connection, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(query, params or None).fetchall()


def _by_record(conn: psycopg.Connection, table: str, columns: str) -> dict[str, tuple[Any, ...]]:
    return {r[0]: r[1:] for r in _rows(conn, f"select source_record_id, {columns} from {table}")}


def _xmin_and_label(conn: psycopg.Connection, table: str) -> dict[str, tuple[str, str | None]]:
    # xmin: the transaction that wrote the row version (unchanged while a build does not rewrite the row)
    return {r[0]: r[1:] for r in _rows(conn, f"select source_record_id, xmin::text, topic_label from {table}")}


@pytest.fixture(scope="module")
def incremental_warehouse(make_database, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from cfm.config import load_config
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.run import run_pipeline

    tmp = tmp_path_factory.mktemp("incremental")
    drop, customer_dir = tmp / "drop", tmp / "customers"
    drop.mkdir()
    customer_dir.mkdir()
    # F15's customer gave no other feedback: erasing them erases F15 only
    _write_csv(drop / "day1.csv", [_feedback(f"F{n:02d}", n, **({"customer_id": "C00099"} if f"F{n:02d}" == ERASED else {}))
                                   for n in range(40)], FEEDBACK_COLUMNS)
    _write_csv(customer_dir / "customers.csv", _customers("basic", "2026-01-01T00:00:00Z"), CUSTOMER_COLUMNS)

    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    config = load_config()
    config["sources"] = {"file_drop": {"enabled": True, "dir": str(drop)},
                         "customer_drop": {"enabled": True, "dir": str(customer_dir)}}
    config["report"]["out_dir"] = str(tmp / "out")
    first = run_pipeline(url, config, "incremental-1", report=False)
    assert first.failed_sources == {}

    with psycopg.connect(url) as conn:
        # Day 1 was days ago: every change marker, and the built tables' copy of it, moves back, F00-F19
        # ten days and F20-F39 three, so day 2's build looks back its 24 hours over F20-F39 only.
        for table, column in AGED:
            key = "t.source_record_id" if table in ("raw.file_drop", "ops.validated_records", *MODELS) else "k.source_record_id"
            join = "" if key == "t.source_record_id" else \
                " from intermediate.int_feedback_enriched k where k.feedback_id = t.feedback_id"
            conn.execute(f"update {table} t set {column} = t.{column} - "
                         f"case when {key} < 'F20' then interval '10 days' else interval '3 days' end{join}")
        conn.commit()
        before = {t: _xmin_and_label(conn, t) for t in MODELS}
        erased_cells = _rows(conn, "select count(*) from marts.metric_cells where grain = 'day' "
                                   "and period_start = '2026-07-16'")[0][0]
        # Erasure (cfm.privacy.erasure) deletes the record from every table carrying its feedback id:
        # fct_metric_responses, not the cells aggregated from it.
        from cfm.privacy.erasure import purge_records

        erased = _rows(conn, "select source, account, source_record_id, feedback_id from ops.validated_records v "
                             "join marts.fct_feedback f using (source, account, source_record_id) "
                             "where v.source_record_id = %s", ERASED)
        purge_records(conn, [tuple(erased[0])])
        conn.commit()
        # Enrichment rewritten after F05 was built (a re-enrichment): the raw record is untouched, so only
        # the enrichment's change marker brings it in.
        sentiment = conn.execute(
            "update ml.feedback_enrichment set enriched_at = now(), sentiment_label = case sentiment_label "
            "when 'negative' then 'positive' else 'negative' end "
            "where feedback_id = (select feedback_id from marts.fct_feedback where source_record_id = 'F05') "
            "returning sentiment_label").fetchone()[0]

    # Day 2: new records, F01 edited (re-delivered with a new rating and text), F02 edited into an
    # invalid record (NPS 15), and customer C00001 moves to premium from 2026-05-01.
    day2 = [_feedback(f"N{n:02d}", n) for n in range(10)]
    day2 += [_feedback("F01", 1, rating_value="0", text="Edited: nobody answered my call."),
             _feedback("F02", 2, rating_value="15")]
    _write_csv(drop / "day2.csv", day2, FEEDBACK_COLUMNS)
    _write_csv(customer_dir / "customers.csv", _customers("premium", "2026-05-01T00:00:00Z"), CUSTOMER_COLUMNS)
    second = run_pipeline(url, config, "incremental-2", report=False)
    assert second.failed_sources == {}

    with psycopg.connect(url) as conn:
        after_xmin = {t: _xmin_and_label(conn, t) for t in MODELS}
        conn.execute("create schema if not exists incremental_check")
        for t in (*MODELS, *METRIC_MARTS):
            conn.execute(f"create table incremental_check.{t.split('.')[1]} as select * from {t}")
    return {"url": url, "before": before, "after_xmin": after_xmin, "sentiment": sentiment,
            "erased_cells": erased_cells}


def test_new_and_edited_records_replace_the_old_version(incremental_warehouse: dict[str, Any]) -> None:
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        for table in MODELS:
            got = _by_record(conn, table, "rating_value, text_redacted")
            assert {f"N{n:02d}" for n in range(10)} <= got.keys(), table
            assert got["F01"] == (0, "Edited: nobody answered my call."), table
            assert len(got) == 48, table  # 40 + 10 new - F02 - F15 (erased)
            assert _rows(conn, f"select count(*) = count(distinct feedback_id) from {table}") == [(True,)]


def test_an_edit_that_fails_validation_removes_the_record(incremental_warehouse: dict[str, Any]) -> None:
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        assert _rows(conn, "select passed from ops.validated_records where source_record_id = 'F02'") == [(False,)]
        for table in MODELS:
            assert _rows(conn, f"select count(*) from {table} where source_record_id = 'F02'") == [(0,)], table


def test_enrichment_and_topic_changes_after_the_build_are_picked_up(incremental_warehouse: dict[str, Any]) -> None:
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        for table in MODELS:
            assert _by_record(conn, table, "sentiment_label")["F05"] == (incremental_warehouse["sentiment"],), table
            # the enrich stage relabels a topic as it grows: every record carries its topic's current label
            stale = _rows(conn, f"select count(*) from {table} f join ml.topics t using (topic_id) "
                                "where t.label is distinct from f.topic_label")
            assert stale == [(0,)], table


def test_the_metric_marts_follow_erasure_and_edits(incremental_warehouse: dict[str, Any]) -> None:
    assert incremental_warehouse["erased_cells"] > 0
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        # the erased record's day had no other response: its cells are gone, not left stale
        assert _rows(conn, "select count(*) from marts.metric_cells where grain = 'day' "
                           "and period_start = '2026-07-16'") == [(0,)]
        # every day's 'all' cell counts what fct_metric_responses holds (F01's edit, F02 gone, new records)
        stale = _rows(conn, "select count(*) from marts.metric_cells c full join (select metric, response_date, "
                            "count(*) n from marts.fct_metric_responses group by 1, 2) r "
                            "on r.metric = c.metric and r.response_date = c.period_start "
                            "where (c.grain = 'day' and c.dimension = 'all' or c.metric is null) "
                            "and c.responses is distinct from r.n")
        assert stale == [(0,)]
        assert _rows(conn, "select r.rating_value from marts.fct_metric_responses r join marts.fct_feedback f "
                           "using (feedback_id) where f.source_record_id = 'F01' and r.metric = 'nps'") == [(0,)]


def test_customer_attribute_changes_reach_feedback_given_after_them(incremental_warehouse: dict[str, Any]) -> None:
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        got = _rows(conn, "select submitted_at >= '2026-05-01', customer_plan, count(*) from marts.fct_feedback "
                          "where customer_key = (select customer_key from marts.fct_feedback where source_record_id = 'F00') "
                          "group by 1, 2 order by 1, 2")
    assert [(after, plan) for after, plan, _ in got] == [(False, "basic"), (True, "premium")]


def test_the_second_build_rewrote_only_what_changed(incremental_warehouse: dict[str, Any]) -> None:
    with psycopg.connect(incremental_warehouse["url"]) as conn:
        customer_moved = {r[0] for r in _rows(conn, "select source_record_id from marts.fct_feedback "
                                                    "where customer_plan = 'premium'")}
    assert customer_moved
    for table in MODELS:
        before, after = incremental_warehouse["before"][table], incremental_warehouse["after_xmin"][table]
        kept = before.keys() & after.keys()
        # Rows the build wrote share the xmin of its one insert, as does edited F01. (Comparing with the
        # xmin before the build does not work for marts: the build seeds its shadow schema with a copy
        # of the live incremental table, cfm.warehouse.marts_publish, so every mart row is a new version.)
        rewritten = {k for k in kept if after[k][0] == after["F01"][0]}
        # the enrich stage relabels topics as they grow (day 2 adds to them)
        relabelled = {k for k in kept if before[k][1] != after[k][1]}
        lookback = {f"F{n}" for n in range(20, 40)}  # within 24 hours of the newest change already built
        expected = {"F01", "F05"} | lookback | relabelled
        if table == "marts.fct_feedback":
            expected |= customer_moved & kept
        assert rewritten == expected & kept, table
        assert len(kept - rewritten) >= 5, table


def test_the_data_tests_of_an_incremental_build_look_at_its_window(incremental_warehouse: dict[str, Any]) -> None:
    # (before the full-refresh test, which rebuilds the tables this one touches)
    from cfm.config import load_config
    from cfm.pipeline.transform import dbt_vars, run_dbt

    url = incremental_warehouse["url"]

    def dbt_test() -> None:
        run_dbt(url, ["test", "--select", "int_feedback_enriched"], vars=dbt_vars(load_config()))

    def spoil(record: str) -> None:
        with psycopg.connect(url) as conn:
            conn.execute("update intermediate.int_feedback_enriched set channel = 'carrier pigeon' "
                         "where source_record_id = %s", (record,))

    def restore(record: str) -> None:
        with psycopg.connect(url) as conn:
            conn.execute("update intermediate.int_feedback_enriched set channel = 'survey' where source_record_id = %s",
                         (record,))

    with psycopg.connect(url) as conn:
        since = _rows(conn, "select since from intermediate.dbt_incremental_windows where model = 'int_feedback_enriched'")
        assert since and since[0][0] > _rows(conn, "select min(changed_at) from intermediate.int_feedback_enriched")[0][0]
    dbt_test()
    # a bad row the last build wrote (N00 is new) fails its tests
    spoil("N00")
    try:
        with pytest.raises(RuntimeError, match="accepted_values_int_feedback_enriched_channel"):
            dbt_test()
    finally:
        restore("N00")
    # one it did not write (F10: ten days old, outside the lookback) is not looked at again ...
    spoil("F10")
    try:
        dbt_test()
        # ... unless the last build was a full one, which tests every row
        with psycopg.connect(url) as conn:
            conn.execute("update intermediate.dbt_incremental_windows set since = '-infinity' "
                         "where model = 'int_feedback_enriched'")
        with pytest.raises(RuntimeError, match="accepted_values_int_feedback_enriched_channel"):
            dbt_test()
    finally:
        restore("F10")


def test_a_full_refresh_gives_identical_tables(incremental_warehouse: dict[str, Any]) -> None:
    from cfm.pipeline.transform import run_dbt

    url = incremental_warehouse["url"]
    from cfm.config import load_config
    from cfm.pipeline.transform import dbt_vars

    run_dbt(url, ["run", "--full-refresh", "--select", "int_feedback_enriched", "fct_feedback",
                  *(t.split(".")[1] for t in METRIC_MARTS)], vars=dbt_vars(load_config()))
    with psycopg.connect(url) as conn:
        for table in MODELS:
            kept = f"incremental_check.{table.split('.')[1]}"
            assert _rows(conn, f"select count(*) from {table}") == _rows(conn, f"select count(*) from {kept}")
            for a, b in ((table, kept), (kept, table)):
                diff = _rows(conn, f"select to_jsonb(t) from {a} t except all select to_jsonb(t) from {b} t")
                if diff:
                    row = diff[0][0]
                    other = _rows(conn, f"select to_jsonb(t) from {b} t where feedback_id = %s", row["feedback_id"])
                    other = other[0][0] if other else {}
                    changed = {k: (v, other.get(k)) for k, v in row.items() if other.get(k) != v}
                    raise AssertionError(f"{a}: {len(diff)} rows differ from {b}; {row['source_record_id']}: {changed}")
        for table, key in METRIC_MARTS.items():
            kept = f"incremental_check.{table.split('.')[1]}"
            assert _rows(conn, f"select count(*) from {table}") == _rows(conn, f"select count(*) from {kept}"), table
            for a, b in ((table, kept), (kept, table)):
                diff = _rows(conn, f"select to_jsonb(t) from {a} t except all select to_jsonb(t) from {b} t")
                if diff:
                    first = {k: diff[0][0][k] for k in key}
                    raise AssertionError(f"{a}: {len(diff)} rows differ from {b}, e.g. {first}: {diff[0][0]}")


def test_the_metric_marts_are_seeded_into_the_shadow_build(incremental_warehouse: dict[str, Any]) -> None:
    # the transform seeds the shadow schema with the live rows of every incremental mart (dbt ls), so the
    # next build extends them instead of rebuilding from nothing
    from cfm.config import load_config
    from cfm.pipeline.transform import dbt_vars, mart_nodes

    nodes = {n.name: n.materialized for n in mart_nodes(incremental_warehouse["url"], dbt_vars(load_config()))}
    assert {name: nodes.get(name) for name in ("fct_feedback", "fct_metric_responses", "metric_cells")} == \
        dict.fromkeys(("fct_feedback", "fct_metric_responses", "metric_cells"), "incremental")

