"""land_batch never fails a batch for one record: what cannot be stored is quarantined, the rest lands, the cursor moves."""

from __future__ import annotations

import psycopg

from cfm.sources.base import RawRecord
from cfm.warehouse.raw_loader import land_batch, load_cursor

SOURCE, ACCOUNT = "typeform", "form1"


def _rec(record_id: str, **payload) -> RawRecord:
    return RawRecord(SOURCE, ACCOUNT, record_id, {"id": record_id, **payload})


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_unstorable_records_are_quarantined_and_the_rest_land(warehouse: str) -> None:
    long_id = "x" * 12_000
    records = [
        _rec("good-1", text="fine"),
        _rec("nul", text="before\x00after"),
        _rec("emoji", text="broken \ud83d emoji"),
        _rec(long_id, text="a 12 kB id is hashed, not refused"),
        _rec("nan", score=float("nan")),
        _rec("inf", score=float("inf")),
        _rec("huge", text="y" * 1_000_000),
        _rec("deep", nested=_deep(5_000)),
        _rec("good-2", text="also fine"),
    ]
    with psycopg.connect(warehouse) as conn:
        result = land_batch(conn, SOURCE, ACCOUNT, records, [], {"page": 2}, "run-1")
        stored = dict(conn.execute("select source_record_id, payload->>'text' from raw.typeform").fetchall())
        held = {r[0]: r[1:] for r in conn.execute(
            "select record_ref, field, check_name, reason from quarantine.records order by record_ref").fetchall()}
        assert load_cursor(conn, SOURCE, ACCOUNT) == {"page": 2}

    assert result.received == 9 and result.quarantined == 4 and result.inserted == 5
    assert stored["nul"] == "beforeafter" and stored["emoji"] == "broken \ufffd emoji"
    hashed = [k for k in stored if k.startswith("sha256:")]
    assert len(hashed) == 1 and len(hashed[0]) < 100
    assert set(held) == {"nan", "inf", "huge", "deep"}
    assert held["nan"][:2] == ("score", "unstorable") and "not a number" in held["nan"][2]
    assert held["huge"][0] == "text" and "over the limit" in held["huge"][2]
    assert held["deep"][0].startswith("nested.a.a") and "nested deeper" in held["deep"][2]
    assert all("source=typeform account=form1" in h[2] for h in held.values())


def test_a_record_postgresql_refuses_is_quarantined_alone(warehouse: str) -> None:
    """Whatever else PostgreSQL refuses (here a constraint standing in for the unforeseen) costs one record, not the batch."""
    with psycopg.connect(warehouse) as conn:
        conn.execute("alter table raw.typeform add constraint no_poison check (payload->>'text' <> 'poison')")
        conn.commit()
        result = land_batch(conn, SOURCE, ACCOUNT, [_rec("a", text="ok"), _rec("b", text="poison"), _rec("c", text="ok")],
                            [], {"page": 1}, "run-1")
        ids = [r[0] for r in conn.execute("select source_record_id from raw.typeform order by 1")]
        reason = conn.execute("select reason from quarantine.records where record_ref = 'b'").fetchone()[0]
        assert load_cursor(conn, SOURCE, ACCOUNT) == {"page": 1}
    assert ids == ["a", "c"] and result.quarantined == 1 and result.inserted == 2 and result.unchanged == 0
    assert "PostgreSQL refused the record" in reason and "no_poison" in reason


def test_the_same_id_twice_in_one_delivery_is_flagged_with_the_winner(warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        land_batch(conn, SOURCE, ACCOUNT, [_rec("dup", text="first"), _rec("dup", text="second")], [], None, "run-1")
        text = conn.execute("select payload->>'text' from raw.typeform").fetchone()[0]
        check, reason, loser = conn.execute("select check_name, reason, payload->>'text' from quarantine.records").fetchone()
    assert text == "second" and (check, loser) == ("duplicate_id", "first")
    assert "was kept" in reason


def test_relanding_poisoned_records_is_idempotent(warehouse: str) -> None:
    records = [_rec("nul", text="a\x00b"), _rec("nan", score=float("nan"))]
    with psycopg.connect(warehouse) as conn:
        land_batch(conn, SOURCE, ACCOUNT, records, [], None, "run-1")
        again = land_batch(conn, SOURCE, ACCOUNT, records, [], None, "run-2")
        assert conn.execute("select count(*) from quarantine.records").fetchone()[0] == 1
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)


def test_a_batch_sent_in_several_statements_lands_once_and_relands_as_unchanged(warehouse: str, monkeypatch) -> None:
    """A batch larger than CHUNK_ROWS goes as several upserts in one transaction: counts, hashes and idempotence hold."""
    from cfm.sources.base import payload_hash
    from cfm.warehouse import raw_loader

    monkeypatch.setattr(raw_loader, "CHUNK_ROWS", 2)
    records = [_rec(f"r{i}", text=f"text {i} ✓", n=i / 3) for i in range(5)]
    with psycopg.connect(warehouse) as conn:
        first = land_batch(conn, SOURCE, ACCOUNT, records, [], {"page": 1}, "run-1")
        again = land_batch(conn, SOURCE, ACCOUNT, records, [], {"page": 1}, "run-2")
        changed = land_batch(conn, SOURCE, ACCOUNT, [*records[:4], _rec("r4", text="edited")], [], {"page": 2}, "run-3")
        rows = conn.execute("select source_record_id, payload, payload_hash, run_id from raw.typeform order by 1").fetchall()
        assert load_cursor(conn, SOURCE, ACCOUNT) == {"page": 2}
    assert (first.inserted, first.updated, first.unchanged) == (5, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 5)
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 1, 4)
    assert [r[3] for r in rows] == ["run-1"] * 4 + ["run-3"]  # an unchanged row keeps the run that stored it
    assert all(h == payload_hash(p) for _, p, h, _ in rows)  # the stored hash is the hash of the stored payload


def test_control_characters_in_ids_and_payloads_land_as_they_are(warehouse: str) -> None:
    """Payloads and hashes go to the server joined on U+001E: a record holding that character (escaped in its
    JSON) or any other control character lands whole, and so do the records around it."""
    records = [_rec("a\x1eb", text="x\x1ey\x1f\n"), _rec("plain", text="z"), _rec("c\x1f", text="\x1e")]
    with psycopg.connect(warehouse) as conn:
        result = land_batch(conn, SOURCE, ACCOUNT, records, [], None, "run-1")
        stored = dict(conn.execute("select source_record_id, payload->>'text' from raw.typeform").fetchall())
    assert (result.inserted, result.quarantined) == (3, 0)
    assert stored == {"a\x1eb": "x\x1ey\x1f\n", "plain": "z", "c\x1f": "\x1e"}


def test_source_updated_at_lands_when_some_or_none_of_a_batch_carry_one(warehouse: str) -> None:
    from datetime import UTC, datetime

    at = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    dated = [RawRecord(SOURCE, ACCOUNT, "d1", {"id": "d1"}, source_updated_at=at), _rec("d2")]
    with psycopg.connect(warehouse) as conn:
        land_batch(conn, SOURCE, ACCOUNT, dated, [], None, "run-1")
        land_batch(conn, SOURCE, ACCOUNT, [_rec("u1"), _rec("u2", text="x")], [], None, "run-1")
        stored = dict(conn.execute("select source_record_id, source_updated_at from raw.typeform").fetchall())
    assert stored == {"d1": at, "d2": None, "u1": None, "u2": None}


def test_new_records_are_copied_and_a_batch_with_a_stored_one_is_upserted(warehouse: str, monkeypatch) -> None:
    """A batch of records none of which is stored goes by COPY (backslashes, quotes, line breaks and COPY's own
    markers in the JSON land as they are); one holding a stored id, wherever it is in the batch, is upserted."""
    from cfm.sources.base import payload_hash
    from cfm.warehouse import raw_loader

    upserts: list[int] = []
    upsert = raw_loader._upsert
    monkeypatch.setattr(raw_loader, "_upsert", lambda conn, table, s, a, records, *args: upserts.append(len(records))
                        or upsert(conn, table, s, a, records, *args))
    texts = ["back\\slash", "line\nbreak\r", "tab\there", "\\N", "\\.", 'a "quote"', "\u2028 \x1e é 中 😀", "\\\\t"]
    first = [_rec(f"c{i}", text=t) for i, t in enumerate(texts)]
    with psycopg.connect(warehouse) as conn:
        landed = land_batch(conn, SOURCE, ACCOUNT, first, [], None, "run-1")
        copied_upserts = len(upserts)
        again = land_batch(conn, SOURCE, ACCOUNT, [_rec("new"), _rec("c7", text="changed"), *first[:7]], [], None, "run-2")
        tabbed = land_batch(conn, SOURCE, ACCOUNT, [_rec("tab\tid", text="t")], [], None, "run-3")
        rows = conn.execute("select source_record_id, payload, payload_hash, run_id from raw.typeform order by 1").fetchall()
    assert (landed.inserted, landed.updated, copied_upserts) == (8, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (1, 1, 7) and upserts[:1] == [9]
    assert tabbed.inserted == 1 and upserts[1:] == [1]
    stored = {r[0]: r for r in rows}
    assert [stored[f"c{i}"][1]["text"] for i in range(7)] == texts[:7] and stored["c7"][1]["text"] == "changed"
    assert all(h == payload_hash(p) for _, p, h, _ in rows)
    assert [stored[k][3] for k in ("c0", "c7", "new", "tab\tid")] == ["run-1", "run-2", "run-2", "run-3"]
