"""Erasure tombstones: keyed hashes of what an erasure removed, so a re-read never brings it back.

`ops.erasure_tombstones` holds HMACs (the pseudonymisation key, cfm.privacy.pseudonymise) of the
erased customer's identifiers (normalised email, E.164 phone, external id) and of the record keys
(source, account, record id) that were deleted. Nothing in it can be read back as a clear identifier.
The raw loader and the quarantine writer ask `Tombstones.blocks` before storing a record or a
reject: a record whose key was erased, or whose payload names an erased identifier, is dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import psycopg

from cfm.privacy.pseudonymise import customer_key, normalise_email, pseudonym_key

EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Payload keys whose values are customer ids (external id, user id...): compared as "id" identifiers.
ID_KEY = re.compile(r"(^|_)(id|customer|user|contact)(_|$)|customerid|userid|externalid", re.IGNORECASE)
MAX_STRINGS = 10_000  # strings scanned per payload (a hostile payload cannot make the check unbounded)


def normalise_phone(value: str, region: str | None = None) -> str | None:
    """E.164 form of a phone number (`phonenumbers`), or None when `value` is not a possible number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phones_in_text(text: str, region: str | None = None) -> set[str]:
    """E.164 forms of the phone numbers written in free text (any region; `region` for local ones)."""
    import phonenumbers

    found = {
        phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
        for m in phonenumbers.PhoneNumberMatcher(
            text, region or "ZZ", leniency=phonenumbers.Leniency.POSSIBLE
        )
    }
    whole = normalise_phone(text.strip(), region) if len(text) <= 40 else None
    return found | ({whole} if whole else set())


def _hmac(material: str, key: bytes) -> str:
    return hmac.new(key, material.encode("utf-8"), hashlib.sha256).hexdigest()


def email_digest(email: str, key: bytes) -> str:
    return customer_key(email, None, key)  # type: ignore[return-value]  # the same key the marts carry


def id_digest(external_id: str, key: bytes) -> str:
    return customer_key(None, external_id, key)  # type: ignore[return-value]


def phone_digest(e164: str, key: bytes) -> str:
    return _hmac("phone:" + e164, key)


def record_digest(source: str, account: str, source_record_id: str, key: bytes) -> str:
    return _hmac(f"record:{source}\x1f{account}\x1f{source_record_id}", key)


def _strings(value: Any, key_name: str = "") -> Iterator[tuple[str, str]]:
    """(key, string) of every string in a JSON-like value, iteratively (deep payloads cannot overflow)."""
    stack: list[tuple[str, Any]] = [(key_name, value)]
    seen = 0
    while stack and seen < MAX_STRINGS:
        name, item = stack.pop()
        if isinstance(item, str):
            seen += 1
            yield name, item
        elif isinstance(item, int | float) and not isinstance(item, bool):
            yield name, str(item)
        elif isinstance(item, Mapping):
            stack.extend((str(k), v) for k, v in item.items())
            stack.extend(("", str(k)) for k in item)
        elif isinstance(item, list | tuple):
            stack.extend((name, v) for v in item)


class Tombstones:
    """The erased digests of one warehouse, loaded once per batch."""

    def __init__(self, digests: Mapping[str, set[str]], key: bytes, region: str | None = None):
        self.digests = digests
        self.key = key
        self.region = region

    @classmethod
    def load(cls, conn: psycopg.Connection, region: str | None = None) -> Tombstones | None:
        """The warehouse's tombstones, or None when nothing was ever erased (no key needed then)."""
        if not conn.execute("select to_regclass('ops.erasure_tombstones') is not null").fetchone()[0]:
            return None
        rows = conn.execute("select kind, digest from ops.erasure_tombstones").fetchall()
        if not rows:
            return None
        digests: dict[str, set[str]] = {"email": set(), "phone": set(), "id": set(), "record": set()}
        for kind, digest in rows:
            digests[kind].add(digest)
        return cls(digests, pseudonym_key(), region)

    def blocks(self, source: str, account: str, record_id: str | None, payload: Any) -> bool:
        """True when this record (or reject) was erased, or its payload names an erased customer."""
        if (
            record_id is not None
            and record_digest(source, account, record_id, self.key) in self.digests["record"]
        ):
            return True
        return any(self._names_erased(name, text) for name, text in _strings(payload))

    def _names_erased(self, name: str, text: str) -> bool:
        d = self.digests
        # A lone surrogate (the record is not sanitised yet) must not crash the check.
        text = text.encode("utf-8", "replace").decode("utf-8")
        if d["email"] and "@" in text:
            if any(
                email_digest(normalise_email(e), self.key) in d["email"] for e in EMAIL_IN_TEXT.findall(text)
            ):
                return True
        if d["id"] and len(text) <= 200 and (ID_KEY.search(name) or not name):
            if id_digest(text, self.key) in d["id"]:
                return True
        if d["phone"] and sum(c.isdigit() for c in text) >= 7:
            if any(phone_digest(p, self.key) in d["phone"] for p in phones_in_text(text, self.region)):
                return True
        return False


def add(conn: psycopg.Connection, request_id: int, items: Iterable[tuple[str, str]]) -> int:
    """Record (kind, digest) pairs for an erasure request; returns how many were new."""
    count = 0
    for kind, digest in items:
        count += conn.execute(
            "insert into ops.erasure_tombstones (digest, kind, request_id) values (%s, %s, %s) "
            "on conflict (digest) do nothing",
            (digest, kind, request_id),
        ).rowcount
    return count
