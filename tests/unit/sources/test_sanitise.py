"""The storage boundary: text repaired losslessly, long ids hashed, the unstorable named by field."""

from __future__ import annotations

import codecs
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfm.sources.base import RawRecord, RejectedRecord
from cfm.sources.sanitise import (
    MAX_ID_BYTES,
    SANITISED_KEY,
    Unstorable,
    admit,
    clean_payload,
    clean_text,
    plainly_storable,
    storable,
    storable_id,
)


def test_clean_text_strips_nul_and_replaces_lone_surrogates() -> None:
    assert clean_text("a\x00b\ud83dc") == "ab\ufffdc"
    assert clean_text("ok 😀 مرحبا 你好") == "ok 😀 مرحبا 你好"


def test_originals_are_kept_losslessly() -> None:
    cleaned, originals = clean_payload({"answers": [{"text": "x\x00y\udc80"}]})
    assert cleaned == {"answers": [{"text": "xy\ufffd"}]}
    assert codecs.decode(originals["answers[0].text"], "unicode_escape") == "x\x00y\udc80"


def test_a_broken_key_is_repaired_and_its_original_kept() -> None:
    # Found by the parser fuzz test: a lone surrogate in a key (not a value) reached the loader.
    record = RawRecord("file_drop", "drop", "0", {"id": 0, "submitted_at": {"\ud800": None}})
    admitted = admit(record)
    assert admitted.payload["submitted_at"] == {"\ufffd": None}
    assert codecs.decode(admitted.payload[SANITISED_KEY]["submitted_at.\ufffd (key)"], "unicode_escape") == "\ud800"
    assert "\ud800" not in repr(admitted.payload["submitted_at"])


@pytest.mark.parametrize("payload, field", [
    ({"score": float("nan")}, "score"),
    ({"a": [1, float("-inf")]}, "a[1]"),
    ({"text": "z" * 200_000}, "text"),
])
def test_unstorable_values_are_named(payload, field) -> None:
    with pytest.raises(Unstorable) as err:
        clean_payload(payload)
    assert err.value.field == field


def test_storable_never_raises() -> None:
    deep: dict = {}
    for _ in range(10_000):
        deep = {"k": deep}
    out = storable({"n": float("nan"), "d": deep, "t": "\x00"})
    assert out["n"] == "nan" and out["t"] == "" and SANITISED_KEY in out


def test_long_ids_are_hashed_stably() -> None:
    long_id = "é" * MAX_ID_BYTES
    assert storable_id(long_id) == storable_id(long_id) != storable_id(long_id + "x")
    assert storable_id(long_id).startswith("sha256:")
    assert storable_id("short-id") == "short-id"


def test_admit_returns_the_record_unchanged_when_clean() -> None:
    rec = RawRecord("typeform", "f", "1", {"text": "fine"})
    assert admit(rec) is rec
    bad = admit(RawRecord("typeform", "f", "2", {"score": float("inf")}))
    assert isinstance(bad, RejectedRecord) and bad.field == "score" and bad.check == "unstorable"
    fixed = admit(RawRecord("typeform", "f", "3\x00", {"text": "a\x00"}))
    assert isinstance(fixed, RawRecord) and fixed.source_record_id == "3" and fixed.payload["text"] == "a"


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("payload", [
    {"t": "a\x00b"}, {"t": "x\ud800"}, {"\ud800": 1}, {"\x00": 1}, {"n": float("nan")}, {"n": [1.0, float("inf")]},
    {"t": "z" * 200_000}, _nested(70), _nested(10_000), {"a": [[[[{"t": "\udfff"}]]]]},
])
def test_the_fast_check_never_passes_what_the_walk_would_repair_or_refuse(payload) -> None:
    assert not plainly_storable(payload)
    rec = RawRecord("typeform", "f", "1", payload)
    assert admit(rec) is not rec


@pytest.mark.parametrize("payload", [
    {"text": "fine ✓ 😀 مرحبا", "n": 1.5, "b": None, "l": [1, {"x": "y"}]}, {"t": "back\\slash \\u0000 literal"},
    _nested(60), {"t": "z" * 90_000},
])
def test_the_fast_check_agrees_with_the_walk_on_clean_payloads(payload) -> None:
    cleaned, originals = clean_payload(payload)
    assert originals == {} and cleaned == payload
    rec = RawRecord("typeform", "f", "1", payload)
    assert admit(rec) is rec


@pytest.mark.parametrize("payload", [
    {"b": 1, "a": [2.5, 1e16, -0.0, None, True], "t": "fine ✓ 😀 مرحبا \n\t\"q\" \\ </x>", "z": {"y": {}, "x": []}},
    {"when": datetime(2024, 1, 2, 3, 4, 5)}, {"n": 10**30, "s": "\u2028\x7f\x1f"},
])
def test_one_serialisation_gives_the_canonical_json_and_hash(payload) -> None:
    """Landing takes a plain payload's JSON and hash from the sanitise check: the same as canonical_json_and_hash,
    so a payload stored by an earlier version re-lands as unchanged."""
    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.sanitise import admit_serialised

    rec = RawRecord("typeform", "f", "1", payload)
    kept, text, digest = admit_serialised(rec)
    assert kept is rec and (text, digest) == canonical_json_and_hash(payload)
    fixed, text, digest = admit_serialised(RawRecord("typeform", "f", "2\x00", {"t": "a\x00", **payload}))
    assert fixed.source_record_id == "2" and (text, digest) == canonical_json_and_hash(fixed.payload)


_JSON_FLOATLESS = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**40), max_value=10**40) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(), _JSON_FLOATLESS, max_size=8))
def test_the_floatless_serialiser_writes_what_json_dumps_writes(payload) -> None:
    """File drops serialise with msgspec: the same text and hash as canonical_json_and_hash (stored hashes stay
    valid, a re-landed file changes nothing), and None exactly where plain_json finds something to repair."""
    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.sanitise import plain_canonical, plain_json

    got = plain_canonical(payload, floatless=True)
    if plain_json(payload) is None:
        assert got is None
    else:
        assert got == canonical_json_and_hash(payload)


@pytest.mark.parametrize("payload", [
    {"t": "a\x00b"}, {"t": "x\ud800"}, {"\ud800": 1}, {"t": "z" * 200_000}, _nested(70), {"a": [[[[{"t": "\udfff"}]]]]},
    {"s": "\u2028\x7f\x1f\"\\</x>", "n": 10**30, "k": {"é": 1, "e": 2, "😀": 3, "\uffff": 4}},
])
def test_the_floatless_serialiser_refuses_what_plain_json_refuses(payload) -> None:
    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.sanitise import plain_canonical

    expected = canonical_json_and_hash(payload) if plainly_storable(payload) else None
    assert plain_canonical(payload, floatless=True) == expected == plain_canonical(payload)


def test_a_record_serialised_by_its_source_is_admitted_with_that_text() -> None:
    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.sanitise import admit_serialised, plain_canonical

    payload = {"id": "1", "text": "ok"}
    rec = RawRecord("file_drop", "drop", "1", payload, canonical=plain_canonical(payload, floatless=True))
    assert admit_serialised(rec) == (rec, *canonical_json_and_hash(payload))
    # Repaired (the id is cleaned): the source's serialisation is dropped, the new payload's taken.
    fixed, text, digest = admit_serialised(RawRecord("file_drop", "drop", "1\x00", payload, canonical=("stale", "x")))
    assert fixed.canonical is None and (text, digest) == canonical_json_and_hash(fixed.payload)
