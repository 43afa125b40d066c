"""Erasure picks its candidate rows in SQL: every payload the tombstone check would accept is a
candidate (however the email, phone or external id is written), and unrelated payloads stay in the
database, so erasing one customer does not read every raw row into Python."""

from __future__ import annotations

import psycopg
from psycopg import sql

from cfm.privacy.erasure import Identifiers, _naming
from cfm.privacy.tombstones import Tombstones
from cfm.sources.base import RawRecord
from cfm.warehouse.raw_loader import land_batch

KEY = b"k" * 32
NAMING = {
    "email-upper": {"text": "write to AMIRA@Example.com"},
    "email-fullwidth": {"contact": "ａｍｉｒａ@example.com"},
    "email-nested": {"meta": {"people": [{"mail": "amira@example.com"}]}},
    "phone-national": {"text": "ring 07700 900123"},
    "phone-dashes": {"customer_id": "07700-900-123"},
    "phone-arabic-digits": {"text": "رقمي ٠٧٧٠٠ ٩٠٠١٢٣"},
    "phone-international": {"text": "call +44 (0)7700 900123"},
    "external-id": {"user_id": 'A"1'},
    "external-id-key": {'A"1': "value"},
}
UNRELATED = {
    "other-email": {"text": "li.wei@example.com says hi"},
    "other-phone": {"text": "ring 07700 900999"},
    "order-number": {"text": "order 2345678901"},
    "id-in-prose": {"text": "plan A-1 is fine"},
}


def test_sql_candidates_cover_every_payload_the_check_accepts_and_leave_the_rest(warehouse: str) -> None:
    records = [RawRecord("file_drop", "drop", rid, payload) for rid, payload in {**NAMING, **UNRELATED}.items()]
    with psycopg.connect(warehouse) as conn:
        land_batch(conn, "file_drop", "drop", records, [], None, "r1")
        who = Identifiers("amira@example.com", 'A"1', "+44 7700 900123", KEY, "GB")
        naming, params = _naming(who, sql.SQL("payload::text"), json_text=True)
        candidates = {r for (r,) in conn.execute(
            sql.SQL("select source_record_id from raw.file_drop where {}").format(naming), params)}
        stones = Tombstones({"email": set(), "phone": set(), "id": set(), "record": set()}, KEY, "GB")
        for kind, digest in who.digests():
            stones.digests[kind].add(digest)
        accepted = {r.source_record_id for r in records if stones.blocks("file_drop", "drop", r.source_record_id, r.payload)}
    assert accepted == set(NAMING)
    assert candidates == set(NAMING)
