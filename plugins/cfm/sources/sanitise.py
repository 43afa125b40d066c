"""Make what a source returned storable before it reaches PostgreSQL: the boundary every record crosses.

PostgreSQL refuses U+0000 in text and jsonb, Python refuses to encode a lone surrogate
(half of a broken emoji) as UTF-8, jsonb has no NaN or Infinity, a btree index entry
must fit in a third of a page, and a serialiser recursing through a 100,000-deep
object runs out of stack. Any one of these used to roll back a whole batch on every
run, blocking every record after it. Here:

* text is repaired: NUL removed, lone surrogates replaced by U+FFFD, and the original
  string kept losslessly (backslash-escaped) under `_sanitised` in the payload;
* an id longer than `MAX_ID_BYTES` is replaced by a hash of itself (the payload keeps it);
* what cannot be repaired without guessing (a non-finite number, a field over
  `MAX_FIELD_CHARS`, nesting deeper than `MAX_DEPTH`) makes the record a reject that
  names the field, so it goes to quarantine and the rest of the batch lands.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import msgspec

from cfm.sources.base import RawRecord, RejectedRecord, canonical_json_and_hash

#: PostgreSQL's btree limit is ~2,700 bytes per entry; ids above this are hashed.
MAX_ID_BYTES = 200
#: A single text value longer than this is not feedback: quarantined, not stored in raw.
MAX_FIELD_CHARS = 100_000
#: Deeper payloads are quarantined (and stored cut at this depth).
MAX_DEPTH = 64
SANITISED_KEY = "_sanitised"

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_ENCODE = msgspec.json.Encoder(order="sorted").encode  # the canonical form of `plain_canonical(floatless=True)`


class Unstorable(ValueError):
    """A value that cannot be stored as it is; `field` is its path in the payload."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def clean_text(value: str) -> str:
    """The text with NUL removed and lone surrogates replaced by U+FFFD."""
    if (value.isascii() and "\x00" not in value) or not _BAD_TEXT.search(value):
        return value
    return _BAD_TEXT.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def escaped(value: str) -> str:
    """A lossless, storable spelling of any str (`codecs.decode(s, "unicode_escape")` reverses it)."""
    return value.encode("unicode_escape").decode("ascii")


def storable_id(value: str) -> str:
    """A record id PostgreSQL can index: cleaned, and hashed when longer than MAX_ID_BYTES."""
    text = clean_text(value)
    if len(text) > MAX_ID_BYTES // 4 and len(text.encode("utf-8")) > MAX_ID_BYTES:  # a char is at most 4 bytes
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return text


def clean_payload(payload: Any, *, strict: bool = True) -> tuple[Any, dict[str, str]]:
    """(cleaned copy, {path: escaped original} of each repaired string).

    With `strict`, a non-finite number, an oversize field or too deep nesting raises
    `Unstorable`; without it they are made storable (as text, or cut) for quarantine.
    """
    originals: dict[str, str] = {}

    def walk(value: Any, path: str, depth: int) -> Any:
        if depth > MAX_DEPTH:
            if strict:
                raise Unstorable(path or "payload", f"nested deeper than {MAX_DEPTH} levels")
            return f"<cut: nested deeper than {MAX_DEPTH} levels>"
        if isinstance(value, str):
            if len(value) > MAX_FIELD_CHARS:
                if strict:
                    raise Unstorable(path or "payload", f"{len(value)} characters, over the limit of {MAX_FIELD_CHARS}")
                return clean_text(value[:MAX_FIELD_CHARS]) + f"<cut at {MAX_FIELD_CHARS} of {len(value)} characters>"
            cleaned = clean_text(value)
            if cleaned != value:
                originals[path or "payload"] = escaped(value)
            return cleaned
        if isinstance(value, float) and not math.isfinite(value):
            if strict:
                raise Unstorable(path or "payload", f"{value!r} is not a number JSON can store")
            return str(value)
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                name = clean_text(str(key))
                child = f"{path}.{name}" if path else name
                if name != str(key):  # a repaired key: keep its original spelling too
                    originals[f"{child} (key)"] = escaped(str(key))
                out[name] = walk(item, child, depth + 1)
            return out
        if isinstance(value, list | tuple):
            return [walk(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
        return value

    return walk(payload, "", 0), originals


def storable(payload: Any) -> Any:
    """A payload that can always be stored (for quarantine): repaired, cut, never raises."""
    cleaned, originals = clean_payload(payload, strict=False)
    if originals and isinstance(cleaned, dict):
        cleaned[SANITISED_KEY] = originals
    return cleaned


def plain_json(payload: Any) -> tuple[str, bytes] | None:
    """The canonical JSON of a payload (`cfm.sources.base.canonical_json`, the text its hash is taken of)
    and its UTF-8 bytes, when that one serialisation shows nothing to repair or refuse: no NUL or lone
    surrogate (which UTF-8 cannot encode), no non-finite number, no text over MAX_FIELD_CHARS, fewer
    containers than MAX_DEPTH. None otherwise: conservative (None sends the payload through
    `clean_payload`), and it spares the walk over every value."""
    try:
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
        data = text.encode("utf-8")  # raises on a lone surrogate; a NUL is serialised as \u0000
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
    if len(text) <= MAX_FIELD_CHARS and text.count("{") + text.count("[") <= MAX_DEPTH and "\\u0000" not in text:
        return text, data
    return None


def plain_canonical(payload: Any, *, floatless: bool = False) -> tuple[str, str] | None:
    """(canonical JSON, hash) of a payload `plain_json` finds plain (`RawRecord.canonical`), else None.

    `floatless`: the caller knows the payload is parsed JSON or CSV (str keys; str, int, bool, None,
    lists and objects) without a float. msgspec then serialises it, several times faster and byte for
    byte what `json.dumps` writes (tests/unit/sources/test_sanitise.py): the stored hashes stay valid.
    Floats are left to `json.dumps`, whose repr formatting is the one the hashes were taken of.
    """
    if not floatless:
        plain = plain_json(payload)
        return None if plain is None else (plain[0], hashlib.sha256(plain[1]).hexdigest())
    try:
        data = _ENCODE(payload)  # raises on a lone surrogate, as the UTF-8 encode in plain_json does
    except (ValueError, TypeError, RecursionError, msgspec.EncodeError):
        return None
    # checked on the bytes (ASCII is the same there, and bytes are searched faster than wide text)
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH or b"\\u0000" in data:
        return None
    text = data.decode("utf-8")
    return (text, hashlib.sha256(data).hexdigest()) if len(text) <= MAX_FIELD_CHARS else None


def plainly_storable(payload: Any) -> bool:
    """True when `plain_json` finds nothing to repair or refuse in the payload."""
    return plain_json(payload) is not None


def admit(record: RawRecord) -> RawRecord | RejectedRecord:
    """The record made storable, or a reject naming the field that cannot be stored."""
    admitted = admit_serialised(record)
    return admitted if isinstance(admitted, RejectedRecord) else admitted[0]


def admit_serialised(record: RawRecord) -> tuple[RawRecord, str, str] | RejectedRecord:
    """`admit`, with the admitted payload's canonical JSON and hash (`canonical_json_and_hash`): a plain
    payload is serialised once, for the check, its JSON and its hash."""
    record_id = storable_id(record.source_record_id)
    if record_id and record_id == record.source_record_id:
        if record.canonical is not None:  # serialised (and found plain) by the source
            return record, *record.canonical
        plain = plain_json(record.payload)
        if plain is not None:
            return record, plain[0], hashlib.sha256(plain[1]).hexdigest()
    try:
        payload, originals = clean_payload(record.payload)
    except Unstorable as exc:
        return RejectedRecord(record.source, record.account, record_id, exc.field, exc.reason, storable(record.payload),
                              check="unstorable")
    if not record_id:
        return RejectedRecord(record.source, record.account, "(empty id)", "id", "the record id is empty once cleaned",
                          storable(record.payload))
    if originals:
        payload = {**payload, SANITISED_KEY: originals} if isinstance(payload, dict) else payload
    if record_id != record.source_record_id or originals:
        record = replace(record, source_record_id=record_id, payload=payload, canonical=None)
    return (record, *canonical_json_and_hash(record.payload))


def reject_storable(reject: RejectedRecord) -> RejectedRecord:
    """A reject whose every field PostgreSQL accepts (its ref is an indexed column: hashed when long)."""
    return replace(reject, account=clean_text(reject.account), record_ref=storable_id(reject.record_ref),
                   field=storable_id(reject.field), reason=clean_text(reject.reason[:2000]),
                   payload=storable(reject.payload))
