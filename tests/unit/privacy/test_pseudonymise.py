from __future__ import annotations

import pytest

from cfm.privacy import pseudonymise
from cfm.privacy.pseudonymise import customer_key, key_version


def test_customer_key_is_keyed_deterministic_and_normalises_email() -> None:
    a = customer_key("  Li.Wei@Example.COM ", None, b"key-one")
    assert a == customer_key("li.wei@example.com", "ignored-when-email", b"key-one")
    assert a != customer_key("li.wei@example.com", None, b"key-two")
    assert "example" not in a and len(a) == 64


def test_external_id_is_used_when_there_is_no_email_and_nothing_when_neither() -> None:
    by_id = customer_key("", "C00042", b"k")
    assert by_id is not None and by_id != customer_key("C00042@x.io", None, b"k")
    assert customer_key(None, None, b"k") is None
    assert customer_key("  ", "", b"k") is None


def test_missing_key_is_an_error_not_a_silent_default(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("CFM_PSEUDONYM_KEY", raising=False)
    monkeypatch.setattr(pseudonymise, "LOCAL_KEY_FILE", tmp_path / "absent.key")
    with pytest.raises(pseudonymise.MissingPseudonymKey):
        pseudonymise.pseudonym_key()


def test_key_version_identifies_the_key_without_revealing_it() -> None:
    assert key_version(b"secret") == key_version(b"secret")
    assert key_version(b"secret") != key_version(b"other")
    assert "secret" not in key_version(b"secret")
