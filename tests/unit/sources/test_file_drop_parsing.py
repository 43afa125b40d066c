from __future__ import annotations

import json

from cfm.sources.file_drop import FileDropSource


def parse(name: str, data: bytes):
    return FileDropSource({"dir": "."}).parse_file("drop", name, data)


def test_csv_with_bom_and_quoted_commas_and_newlines() -> None:
    data = '\ufeffid,submitted_at,text\nA1,2026-05-01T00:00:00Z,"late, again\nand broken"\n'.encode()
    records, rejects = parse("x.csv", data)
    assert rejects == []
    assert records[0].source_record_id == "A1"
    assert records[0].payload["text"] == "late, again\nand broken"


def test_csv_row_with_more_values_than_header_is_rejected_with_its_line() -> None:
    records, rejects = parse("x.csv", b"id,text\nA1,ok\nA2,too,many\n")
    assert [r.source_record_id for r in records] == ["A1"]
    assert rejects[0].record_ref == "x.csv:3" and rejects[0].field == "line"
    assert "more values" in rejects[0].reason
    assert "source=file_drop" in rejects[0].message() and "record=x.csv:3" in rejects[0].message()


def test_jsonl_keeps_types_and_rejects_non_objects_and_bad_json() -> None:
    lines = [json.dumps({"id": 7, "rating_value": 9, "extra": {"a": 1}}), "[1,2]", "{oops", ""]
    records, rejects = parse("x.jsonl", "\n".join(lines).encode())
    assert records[0].source_record_id == "7" and records[0].payload["extra"] == {"a": 1}
    assert [(r.record_ref, r.field) for r in rejects] == [("x.jsonl:2", "line"), ("x.jsonl:3", "line")]


def test_non_utf8_file_is_rejected_whole_with_a_reason() -> None:
    records, rejects = parse("x.csv", "id,text\nA1,caf\xe9\n".encode("latin-1"))
    assert records == [] and rejects[0].field == "file" and "not UTF-8" in rejects[0].reason


def test_record_from_quarantine_requires_an_id() -> None:
    import pytest

    from cfm.sources.base import SourceError

    src = FileDropSource({"dir": "."})
    rec = src.record_from_quarantine("drop", {"id": "NEW-1", "text": "hi", "_file": "a.csv", "_line": 3})
    assert rec.source_record_id == "NEW-1" and "_line" not in rec.payload
    with pytest.raises(SourceError, match="still has no 'id'"):
        src.record_from_quarantine("drop", {"id": "", "_file": "a.csv"})
