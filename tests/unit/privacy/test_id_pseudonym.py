"""Ids that carry PII get a keyed pseudonym (like customer keys); other ids are left alone."""

import pytest

from cfm.privacy.pseudonymise import id_pseudonym

KEY, OTHER_KEY = b"k" * 32, b"o" * 32


@pytest.mark.parametrize(
    "value", ["ann@example.com", "+44 20 7946 0958", "5551234567", "4111111111111111", "123-45-6789"]
)
def test_ids_with_pii_get_a_stable_keyed_pseudonym(value):
    p = id_pseudonym(value, KEY)
    assert p.startswith("pii_") and value not in p
    assert p == id_pseudonym(value, KEY) != id_pseudonym(value, OTHER_KEY)


@pytest.mark.parametrize("value", ["ORD-1", "1234567890", "2026-10-20 10:00", "18c2f3a4b5c6d7e8", "", None])
def test_ids_without_pii_are_kept(value):
    assert id_pseudonym(value, KEY) is None


def test_a_cached_verdict_still_pseudonymises_a_phone_id_under_each_key():
    from cfm.privacy.pseudonymise import id_holds_pii

    phone, plain = "+290 1234", "SU-0000123"
    first = [id_pseudonym(v, KEY) for v in (phone, plain)]
    hits = id_holds_pii.cache_info().hits
    again = [id_pseudonym(v, KEY) for v in (phone, plain)]
    assert id_holds_pii.cache_info().hits == hits + 2  # the second look is the cache's
    assert again == first and first[0].startswith("pii_") and first[1] is None
    # The verdict is cached, not the pseudonym: another key gives another one.
    assert id_pseudonym(phone, OTHER_KEY) not in (None, first[0])
