"""Erasure tombstones: keyed hashes only, and they recognise the erased customer however a payload writes them."""

from __future__ import annotations

from cfm.privacy import tombstones as t

KEY = b"unit-test-key"


def _stones(**identifiers: str) -> t.Tombstones:
    digests: dict[str, set[str]] = {"email": set(), "phone": set(), "id": set(), "record": set()}
    if "email" in identifiers:
        digests["email"].add(t.email_digest(identifiers["email"], KEY))
    if "phone" in identifiers:
        digests["phone"].add(t.phone_digest(t.normalise_phone(identifiers["phone"]), KEY))
    if "external_id" in identifiers:
        digests["id"].add(t.id_digest(identifiers["external_id"], KEY))
    if "record" in identifiers:
        digests["record"].add(t.record_digest("typeform", "f1", identifiers["record"], KEY))
    return t.Tombstones(digests, KEY, region="GB")


def test_phones_are_normalised_in_any_format_and_region() -> None:
    assert t.normalise_phone("+44 7700 900123") == t.normalise_phone("07700 900123", "GB") == "+447700900123"
    assert t.normalise_phone("(555) 123-4567", "US") == "+15551234567"
    assert t.normalise_phone("not a phone") is None
    assert "+447700900123" in t.phones_in_text("ring me: 07700-900-123 after 6", "GB")


def test_digests_are_keyed_and_hold_no_clear_identifier() -> None:
    digest = t.email_digest("amira@example.com", KEY)
    assert len(digest) == 64 and "amira" not in digest
    assert digest != t.email_digest("amira@example.com", b"another key")


def test_a_payload_naming_an_erased_customer_is_blocked_wherever_it_names_them() -> None:
    stones = _stones(email="amira@example.com", phone="+44 7700 900123", external_id="CUST-9", record="r-1")
    assert stones.blocks("typeform", "f1", "r-1", {})
    assert stones.blocks("typeform", "f1", "x", {"customer_email": "Amira@Example.com"})
    assert stones.blocks("typeform", "f1", "x", {"answers": [{"text": "write to AMIRA@example.com please"}]})
    assert stones.blocks("typeform", "f1", "x", {"text": "call 07700 900123"})
    assert stones.blocks("typeform", "f1", "x", {"hidden": {"customer_id": "CUST-9"}})
    assert stones.blocks("file_drop", "drop", "x", {"id": "amira@example.com"})
    assert not stones.blocks(
        "typeform",
        "f1",
        "r-2",
        {"text": "call 07700 900999", "customer_id": "CUST-1", "email": "li.wei@example.com"},
    )
    assert not stones.blocks("trustpilot", "f1", "r-1", {})  # the same id in another source is another record
    assert not stones.blocks(
        "typeform", "f1", "x", {"id": "broken \ud83d emoji", "text": "nul \x00 07700 900999"}
    )


def test_a_hostile_payload_is_scanned_without_recursion() -> None:
    deep: object = "amira@example.com"
    for _ in range(100_000):
        deep = [deep]
    assert _stones(email="amira@example.com").blocks("file_drop", "drop", "x", {"v": deep})
