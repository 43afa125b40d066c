"""Enriching the backlog as mapped key ranges, in small streamed chunks, writes what one run writes."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from cfm.config import PROJECT_ROOT, load_config
from cfm.pipeline.enrich import (
    edge_positions,
    enrich_new_records,
    plan_ranges,
    ranges_between,
    run,
    run_range,
    split_key_ranges,
)
from cfm.pipeline.stage import StageContext
from cfm.warehouse import staging

DROP = PROJECT_ROOT / "sample_data" / "drop"
pytestmark = pytest.mark.slow


def _small_drop(target: Path, rows: int) -> None:
    for src in sorted(DROP.iterdir()):
        lines = src.read_text(encoding="utf-8").splitlines()
        keep = lines[: rows + 1] if src.suffix == ".csv" else lines[:rows]
        (target / src.name).write_text("\n".join(keep) + "\n", encoding="utf-8")


def _validated(make_database, tmp_path: Path) -> str:
    """A database holding validated, not yet enriched records."""
    from cfm.pipeline.ingest import sync_source
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.staging_views import build_staging_views
    from cfm.quality.validation import validate_new_records
    from cfm.sources.file_drop import FileDropSource

    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    _small_drop(tmp_path, 80)
    sync_source(url, FileDropSource({"dir": str(tmp_path)}), run_id="land")
    build_staging_views(url)
    validate_new_records(url, "land")
    return url


def _validated_copies(make_database, tmp_path: Path) -> tuple[str, str]:
    """Two databases holding the same validated, not yet enriched records."""
    url = _validated(make_database, tmp_path)
    copy = make_database()
    name, source = copy.rsplit("/", 1)[1], url.rsplit("/", 1)[1]
    with psycopg.connect(copy.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database "{name}"')
        conn.execute(f'create database "{name}" template "{source}"')
    return url, copy


def _written(url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(url) as conn:
        enrichment_cols = [r[0] for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'ml' "
            "and table_name = 'feedback_enrichment' "
            "and column_name not in ('run_id', 'enriched_at', 'sentiment_score') "
            "order by ordinal_position").fetchall()]
        return {
            # Floating-point sums depend on the batch's shape, so a score can differ in its last digit.
            "sentiment_score": dict(conn.execute(
                "select feedback_id, sentiment_score from ml.feedback_enrichment").fetchall()),
            "enrichment": conn.execute(
                f"select {', '.join(enrichment_cols)} from ml.feedback_enrichment order by feedback_id").fetchall(),
            "identity": conn.execute(
                "select feedback_id, customer_key from ml.feedback_identity order by feedback_id").fetchall(),
            "enriched": conn.execute(
                "select feedback_id, payload_hash from ops.enriched_records order by feedback_id").fetchall(),
            "with_topic_row": conn.execute(
                "select feedback_id from ml.topic_assignments order by feedback_id").fetchall(),
        }


def _assert_topic_stats_current(url: str) -> None:
    """Topic sizes and emerging flags are what a refresh on the final assignments gives: what refreshing
    after every chunk left (the enrichment refreshes them once, after a range's last chunk)."""
    from cfm.nlp.topics.store import refresh_topic_stats

    query = "select topic_id, size, is_emerging from ml.topics order by topic_id"
    with psycopg.connect(url) as conn:
        stored = conn.execute(query).fetchall()
        refresh_topic_stats(conn, config=load_config().get("nlp") or {})
        assert conn.execute(query).fetchall() == stored
        sizes = dict(conn.execute("select topic_id, count(*) from ml.topic_assignments where topic_id is not null "
                                  "group by topic_id").fetchall())
        conn.rollback()
    assert sizes and {t: s for t, s, _ in stored if s} == sizes


def test_two_key_ranges_in_small_chunks_enrich_what_one_run_does(make_database, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CFM_PSEUDONYM_KEY", "test-key")
    one, split = _validated_copies(make_database, tmp_path)
    config = load_config()
    # The weak-label sentiment adapter is fitted per batch; off, so batches of any size agree.
    config["nlp"] = {**(config.get("nlp") or {}), "sentiment_weak_labels": False}

    whole = enrich_new_records(one, "one-run", config=config)

    config["enrich"] = {"records_per_task": 100, "max_tasks": 2, "chunk_size": 40}
    ranges = plan_ranges(split, "split-run", config=config)
    assert len(ranges) == 2
    parts = [run_range(split, "split-run", r, config=config) for r in ranges]

    assert whole["items"] > 200
    assert sum(p["items"] for p in parts) == whole["items"]
    assert all(p["items"] > 0 for p in parts)
    split_rows, one_rows = _written(split), _written(one)
    split_scores, one_scores = split_rows.pop("sentiment_score"), one_rows.pop("sentiment_score")
    assert split_rows == one_rows
    assert split_scores == pytest.approx(one_scores, abs=1e-3)
    _assert_topic_stats_current(split)
    # A re-run finds nothing left in any range.
    assert [run_range(split, "again", r, config=config)["items"] for r in plan_ranges(split, "again", config=config)] == [0]


def test_the_warehouse_picks_the_range_boundaries_split_key_ranges_would(make_database, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CFM_PSEUDONYM_KEY", "test-key")
    url = _validated(make_database, tmp_path)
    with psycopg.connect(url) as conn:
        ids = staging.unenriched_ids(conn)
        count = staging.unenriched_count(conn)
        assert count == len(set(ids)) > 200
        for parts in (1, 2, 3, 7, count + 5):
            edges = staging.unenriched_keys_at(conn, edge_positions(count, parts))
            assert ranges_between(edges) == split_key_ranges(ids, parts), parts
    config = {"enrich": {"records_per_task": 100, "max_tasks": 3}}
    assert plan_ranges(url, "plan", config=config) == split_key_ranges(ids, 3)
    assert plan_ranges(url, "plan", config=config, min_parts=5, max_parts=5) == split_key_ranges(ids, 5)
    assert plan_ranges(url, "plan", config=config, min_parts=5, max_parts=5, min_records=count // 2) == \
        split_key_ranges(ids, 2)
    assert len(plan_ranges(url, "plan", config={"enrich": {"records_per_task": 10_000}})) == 1


def test_two_worker_processes_enrich_what_one_process_does_and_no_record_twice(make_database, tmp_path,
                                                                                monkeypatch) -> None:
    monkeypatch.setenv("CFM_PSEUDONYM_KEY", "test-key")
    one, split = _validated_copies(make_database, tmp_path)
    config = load_config()
    config["nlp"] = {**(config.get("nlp") or {}), "sentiment_weak_labels": False}

    config["enrich"] = {"workers": 1}
    whole = run(StageContext(url=one, config=config, run_id="one-run"))
    assert "workers" not in whole  # one worker: enriched in this process

    config["enrich"] = {"workers": 2, "records_per_task": 100, "chunk_size": 40, "min_records_per_worker": 50}
    got = run(StageContext(url=split, config=config, run_id="workers-run"))

    assert got["workers"] == 2 and got["ranges"] >= 2 and got["workers_peak_mb"] > 0
    assert got["step_seconds"]["embedding"] > 0  # the workers' step timers come back summed
    assert whole["items"] > 200
    assert got["items"] == got["backlog"] == whole["items"]
    with psycopg.connect(split) as conn:
        # Each range's own count, as its worker logged it: together exactly the backlog, so none was enriched twice.
        per_range = [r[0] for r in conn.execute(
            "select (counts ->> 'items')::int from ops.run_log where run_id = 'workers-run' and stage = 'enrich' "
            "and source like 'keys %' and status = 'success'").fetchall()]
        # Topics are created only by a fit, in one transaction (one now()): the first fit ran once, in one worker.
        fits = conn.execute("select count(distinct occurred_at) from ml.topic_history where event = 'created'").fetchone()[0]
    assert len(per_range) == got["ranges"] and sum(per_range) == whole["items"]
    assert fits == 1
    split_rows, one_rows = _written(split), _written(one)
    split_scores, one_scores = split_rows.pop("sentiment_score"), one_rows.pop("sentiment_score")
    assert split_rows == one_rows
    assert split_scores == pytest.approx(one_scores, abs=1e-3)
    _assert_topic_stats_current(split)
    # A second run finds nothing left to enrich, and enriches that empty backlog in this process.
    again = run(StageContext(url=split, config=config, run_id="again"))
    assert (again["items"], again["workers"], again["ranges"]) == (0, 1, 1)
