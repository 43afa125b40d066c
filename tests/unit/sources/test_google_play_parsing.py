from __future__ import annotations

from datetime import UTC, datetime

from cfm.sources.google_play import parse_reviews, play_timestamp, review_times


def test_play_timestamps_are_seconds_strings_with_nanos() -> None:
    assert play_timestamp({"seconds": "1714557600", "nanos": 512000000}) == datetime(2024, 5, 1, 10, 0, 0, 512000, tzinfo=UTC)
    assert play_timestamp({"seconds": 1714557600}) == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert play_timestamp({"seconds": "x"}) is None and play_timestamp(None) is None


def test_review_time_is_the_later_of_comment_and_reply() -> None:
    review = {"reviewId": "gp:1", "comments": [
        {"userComment": {"lastModified": {"seconds": "100"}, "starRating": 3}},
        {"developerComment": {"lastModified": {"seconds": "200"}}}]}
    user, reply = review_times(review)
    assert (user.timestamp(), reply.timestamp()) == (100, 200)
    records, rejects = parse_reviews("app", [review, {"comments": []}, {"reviewId": "gp:2", "comments": [{"developerComment": {}}]}])
    assert [(r.source_record_id, r.source_updated_at.timestamp()) for r in records] == [("gp:1", 200)]
    assert [(r.record_ref, r.field) for r in rejects] == [("position 1", "reviewId"), ("gp:2", "comments.userComment.lastModified")]
