"""Hypothesis fuzzing of the parsers: whatever arrives, no crash, and every failure is a reject naming where."""

from __future__ import annotations

import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cfm.sources.base import RawRecord, RejectedRecord, canonical_json, payload_hash
from cfm.sources.file_drop import FileDropSource
from cfm.sources.gmail_mime import parse_mail
from cfm.sources.google_play import parse_reviews
from cfm.sources.sanitise import admit, reject_storable
from cfm.sources.trustpilot import parse_reviews_page

# Derandomized so CI is reproducible (the same examples every run); CFM_FUZZ_RANDOM=1 explores new ones.
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=os.environ.get("CFM_FUZZ_RANDOM") != "1")
# Any code point, lone surrogates and NUL included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(ANY_TEXT, children, max_size=4),
    max_leaves=20,
)


def _storable(item: RawRecord | RejectedRecord) -> None:
    """What the loader does with each parsed item must succeed: admit or make storable, then serialise."""
    if isinstance(item, RawRecord):
        item = admit(item)
    if isinstance(item, RejectedRecord):
        item = reject_storable(item)
        assert item.record_ref and item.field and item.reason
    canonical_json(item.payload).encode("utf-8")
    payload_hash(item.payload)
    assert "\x00" not in canonical_json(item.payload)


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["x.csv", "x.jsonl"]))
def test_file_drop_never_crashes_on_any_bytes(data: bytes, name: str) -> None:
    records, rejects = FileDropSource({"dir": "."}).parse_file("drop", name, data)
    for item in [*records, *rejects]:
        _storable(item)
    for rej in rejects:
        assert rej.record_ref.startswith(name)


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(["id", "submitted_at", "text", "rating_value"]), JSON_VALUE), max_size=6))
def test_file_drop_jsonl_rows_land_or_are_rejected_by_line(rows: list[dict]) -> None:
    data = "\n".join(json.dumps(r) for r in rows).encode("utf-8", "surrogatepass")
    records, rejects = FileDropSource({"dir": "."}).parse_file("drop", "x.jsonl", data)
    # Every line is a record, a reject, or the earlier copy of a duplicated id (itself flagged as a reject).
    assert len(records) + len(rejects) == len(rows)
    for item in [*records, *rejects]:
        _storable(item)


@FUZZ
@given(st.lists(JSON_VALUE | st.dictionaries(st.sampled_from(["id", "createdAt", "stars", "text"]), JSON_VALUE), max_size=5))
def test_trustpilot_page_mapping_never_crashes(reviews: list) -> None:
    records, rejects, _ = parse_reviews_page("trustpilot", "bu", 1, reviews)
    assert len(records) + len(rejects) == len(reviews)
    for item in [*records, *rejects]:
        _storable(item)


@FUZZ
@given(st.lists(JSON_VALUE | st.dictionaries(st.sampled_from(["reviewId", "comments", "authorName"]), JSON_VALUE), max_size=5))
def test_google_play_mapping_never_crashes(reviews: list) -> None:
    records, rejects = parse_reviews("app", reviews)
    assert len(records) + len(rejects) == len(reviews)
    for item in [*records, *rejects]:
        _storable(item)


@FUZZ
@given(st.binary(max_size=800) | st.builds(lambda h, b: h + b"\r\n\r\n" + b, st.sampled_from([
    b"Content-Type: text/plain; charset=utf-8", b"Content-Type: text/html; charset=big5\r\nContent-Transfer-Encoding: base64",
    b"Content-Type: multipart/alternative; boundary=x", b"Subject: =?utf-8?b?////?=\r\nFrom: <@>"]), st.binary(max_size=400)))
def test_mime_parser_never_crashes_on_any_bytes(raw: bytes) -> None:
    parsed = parse_mail(raw).as_dict()
    _storable(RawRecord("gmail", "inbox", "m1", {"parsed": parsed}))


def test_ids_that_are_not_strings_or_numbers_are_rejected_by_the_api_mappings() -> None:
    _, rejects, _ = parse_reviews_page("trustpilot", "bu", 1, [{"id": {"a": 1}, "createdAt": "2026-05-01T00:00:00Z", "stars": 4},
                                                               {"id": True, "createdAt": "2026-05-01T00:00:00Z", "stars": 4}])
    assert [r.field for r in rejects] == ["id", "id"]
    _, play_rejects = parse_reviews("app", [{"reviewId": [None], "comments": [{"userComment": {
        "lastModified": {"seconds": str(10**20)}}}]}])
    assert play_rejects[0].field == "reviewId"
