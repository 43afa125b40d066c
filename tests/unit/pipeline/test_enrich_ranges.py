"""The enrichment backlog splits into feedback_id ranges that never overlap and miss nothing."""

from __future__ import annotations

import random

import pytest

from cfm.pipeline.enrich import in_key_range, split_key_ranges


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
