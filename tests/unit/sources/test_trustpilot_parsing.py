"""Pure parsing and cursor rules of the Trustpilot source (shared with App Store by ScanState)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cfm.sources.timestamps import parse_utc
from cfm.sources.trustpilot import ScanState, parse_reviews_page, review_updated_at

NOW = datetime(2026, 10, 31, 12, tzinfo=UTC)


def test_parse_timestamp_normalises_offsets_fractions_and_naive_values_to_utc() -> None:
    assert parse_utc("2024-05-01T10:15:00Z") == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    assert parse_utc("2024-05-01T08:10:34-07:00") == datetime(2024, 5, 1, 15, 10, 34, tzinfo=UTC)
    assert parse_utc("2024-05-01T10:15:00.123456789Z") == datetime(2024, 5, 1, 10, 15, 0, 123456, tzinfo=UTC)
    assert parse_utc("2024-05-01T10:15:00") == datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    assert parse_utc("yesterday") is None and parse_utc(None) is None and parse_utc(17) is None


def test_review_updated_at_is_the_latest_of_review_and_reply_changes() -> None:
    review = {"createdAt": "2026-05-01T10:00:00Z", "updatedAt": "2026-05-03T10:00:00Z",
              "companyReply": {"createdAt": "2026-05-02T10:00:00Z", "updatedAt": "2026-05-04T09:00:00+02:00"}}
    assert review_updated_at(review) == datetime(2026, 5, 4, 7, tzinfo=UTC)
    assert review_updated_at({"createdAt": "2026-05-01T10:00:00Z", "companyReply": None}) == datetime(2026, 5, 1, 10, tzinfo=UTC)


def test_parse_reviews_page_keeps_good_reviews_whole_and_names_bad_ones() -> None:
    good = {"id": "a", "stars": 5, "createdAt": "2026-05-01T10:00:00Z", "unknown": [1]}
    records, rejects, created = parse_reviews_page("trustpilot", "bu", 2, [
        good, {"stars": 1, "createdAt": "2026-05-01T10:00:00Z"}, {"id": "c", "stars": 2}, "junk",
    ])
    assert [(r.source_record_id, dict(r.payload)) for r in records] == [("a", good)]
    assert created == [datetime(2026, 5, 1, 10, tzinfo=UTC)]
    assert [(r.record_ref, r.field) for r in rejects] == [("page 2 item 2", "id"), ("c", "createdAt"), ("page 2 item 4", "review")]
    assert rejects[1].message().startswith("source=trustpilot account=bu record=c field=createdAt")


def test_stop_point_rules() -> None:
    cfg = {"overlap_minutes": 60, "rescan_days": 30, "full_rescan_days": 7}
    fresh = ScanState(None, None, None)
    assert fresh.stop_point(cfg, NOW, None, default_rescan_days=1, default_full_days=1) == (None, True)
    recent = ScanState(NOW - timedelta(hours=2), NOW - timedelta(days=1), None)
    assert recent.stop_point(cfg, NOW, None, default_rescan_days=1, default_full_days=1) == (NOW - timedelta(days=30), False)
    narrow = {**cfg, "rescan_days": 0}
    assert recent.stop_point(narrow, NOW, None, default_rescan_days=1, default_full_days=1) == (NOW - timedelta(hours=3), False)
    due = ScanState(NOW - timedelta(hours=2), NOW - timedelta(days=7), None)
    assert due.stop_point(cfg, NOW, None, default_rescan_days=1, default_full_days=1) == (None, True)
    assert due.stop_point({**cfg, "full_rescan_days": 0}, NOW, None, default_rescan_days=1, default_full_days=1)[1] is False
    since = datetime(2026, 6, 1)
    assert due.stop_point(cfg, NOW, since, default_rescan_days=1, default_full_days=1) == (since.replace(tzinfo=UTC), False)


def test_unreadable_cursors_fall_back_safely() -> None:
    assert ScanState.from_cursor("trustpilot", "bu", {"watermark": "garbage"}).watermark is None
    bad_resume = ScanState.from_cursor("trustpilot", "bu", {"watermark": "2026-05-01T00:00:00Z", "resume": {"at": ""}})
    assert bad_resume.resume is None and bad_resume.watermark == datetime(2026, 5, 1, tzinfo=UTC)
    state = ScanState(datetime(2026, 5, 1, tzinfo=UTC), None, None)
    assert state.finished(datetime(2026, 4, 1, tzinfo=UTC), None) == {"watermark": "2026-05-01T00:00:00Z", "last_full_scan_at": None}
    assert state.finished(None, NOW) == {"watermark": "2026-05-01T00:00:00Z", "last_full_scan_at": "2026-10-31T12:00:00Z"}
