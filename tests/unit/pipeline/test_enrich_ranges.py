"""The enrichment backlog splits into feedback_id ranges that never overlap and miss nothing."""

from __future__ import annotations

import random

import pytest

from cfm.pipeline.enrich import edge_positions, in_key_range, ranges_between, split_key_ranges


@pytest.mark.parametrize("parts", [1, 2, 3, 7, 50])
def test_ranges_are_disjoint_and_cover_the_backlog(parts: int) -> None:
    rng = random.Random(parts)
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(40)]
    ranges = split_key_ranges(ids, parts)
    assert len(ranges) == min(parts, len(ids))
    for fid in ids:
        assert sum(in_key_range(fid, r) for r in ranges) == 1, fid
    # Ids that land after planning fall in exactly one range too (the ends are open).
    for fid in ("", "0", "zzzz", ids[0] + "0"):
        assert sum(in_key_range(fid, r) for r in ranges) == 1, fid
    assert ranges[0]["lo"] is None and ranges[-1]["hi"] is None
    assert all(a["hi"] == b["lo"] for a, b in zip(ranges, ranges[1:], strict=False))


def test_ranges_share_the_backlog_about_equally() -> None:
    ids = [f"{n:05d}" for n in range(1000)]
    sizes = [sum(in_key_range(f, r) for f in ids) for r in split_key_ranges(ids, 3)]
    assert sizes == [333, 333, 334]


def test_an_empty_backlog_is_one_open_range() -> None:
    assert split_key_ranges([], 4) == [{"lo": None, "hi": None}]


@pytest.mark.parametrize(("count", "parts"), [(0, 3), (1, 4), (5, 2), (40, 7), (1000, 3)])
def test_ranges_from_edge_positions_are_the_ranges_of_the_sorted_ids(count: int, parts: int) -> None:
    # The warehouse planner returns the keys at `edge_positions`; the ranges they give are split_key_ranges'.
    ids = sorted(f"{n:05d}" for n in range(count))
    from_positions = ranges_between([ids[p] for p in edge_positions(count, parts)])
    assert from_positions == split_key_ranges(ids, parts)
    assert len(from_positions) == max(1, min(parts, count))


def test_enrich_config_is_validated_and_defaults_to_a_worker_per_core(monkeypatch) -> None:
    from pydantic import ValidationError

    from cfm.config import enrich_config

    monkeypatch.setattr("os.cpu_count", lambda: 6)
    cfg = enrich_config({})
    assert (cfg.workers, cfg.chunk_size, cfg.records_per_task, cfg.max_tasks, cfg.min_records_per_worker) == \
        (6, 10_000, 50_000, 8, 2_000)
    assert enrich_config({"enrich": {"workers": 1}}).workers == 1
    for bad in ({"workers": 0}, {"chunk_size": "many"}, {"worker": 2}):
        with pytest.raises(ValidationError):
            enrich_config({"enrich": bad})


def test_workers_run_with_one_blas_thread_each() -> None:
    from cfm.pipeline.enrich_workers import worker_config

    config = {"nlp": {"threads": 0, "batch_size": 32}, "enrich": {"workers": 2}}
    assert worker_config(config)["nlp"] == {"threads": 1, "batch_size": 32}
    assert config["nlp"]["threads"] == 0
