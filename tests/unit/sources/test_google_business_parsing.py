from __future__ import annotations

import pytest

from cfm.sources.base import SourceError
from cfm.sources.google_business import GoogleBusinessSource, parse_reviews, star_rating


def test_star_rating_enum_maps_to_1_to_5() -> None:
    assert [star_rating(v) for v in ("ONE", "TWO", "THREE", "FOUR", "FIVE")] == [1, 2, 3, 4, 5]
    assert star_rating("STAR_RATING_UNSPECIFIED") is None and star_rating(None) is None


def test_review_id_falls_back_to_the_name_and_missing_fields_are_rejected() -> None:
    records, rejects = parse_reviews("accounts/1/locations/2", [
        {"name": "accounts/1/locations/2/reviews/XYZ", "updateTime": "2026-07-01T00:00:00Z"},
        {"updateTime": "2026-07-01T00:00:00Z"},
        {"reviewId": "R", "updateTime": ""},
    ])
    assert [r.source_record_id for r in records] == ["XYZ"]
    assert [(r.record_ref, r.field) for r in rejects] == [("position 1", "reviewId"), ("R", "updateTime")]


def test_locations_must_be_full_resource_names() -> None:
    assert GoogleBusinessSource({"locations": ["/accounts/1/locations/2/", {"name": "accounts/3/locations/4"}]}).accounts() == [
        "accounts/1/locations/2", "accounts/3/locations/4"]
    with pytest.raises(SourceError, match="accounts/<id>/locations/<id>"):
        GoogleBusinessSource({"locations": ["locations/2"]}).accounts()
