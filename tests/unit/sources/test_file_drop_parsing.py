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


def test_a_bad_byte_quarantines_its_line_not_the_file() -> None:
    data = b"id,text\nA1,ok\nA2,caf\xe9\nA3,fine\n"
    records, rejects = parse("x.csv", data)
    assert [r.source_record_id for r in records] == ["A1", "A3"]
    assert [(r.record_ref, r.field) for r in rejects] == [("x.csv:3", "text")]
    assert "0xE9" in rejects[0].reason and rejects[0].payload["raw"] == "A2,caf\\xe9\n"


def test_jsonl_bad_bytes_nan_and_deep_nesting_are_quarantined_per_line() -> None:
    lines = [b'{"id": "J1", "text": "ok"}', b'{"id": "J2", "text": "\xff"}', b'{"id": "J3", "score": NaN}',
             b'{"id": "J4", "score": Infinity}', b'{"id": "J5", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
             b'{"id": "J6", "text": "still read"}']
    records, rejects = parse("x.jsonl", b"\n".join(lines))
    assert [r.source_record_id for r in records] == ["J1", "J6"]
    reasons = {r.record_ref: r.reason for r in rejects}
    assert set(reasons) == {"x.jsonl:2", "x.jsonl:3", "x.jsonl:4", "x.jsonl:5"}
    assert "0xFF" in reasons["x.jsonl:2"] and "NaN" in reasons["x.jsonl:3"] and "Infinity" in reasons["x.jsonl:4"]
    assert "nested" in reasons["x.jsonl:5"]


def test_utf16_with_a_bom_is_read() -> None:
    records, rejects = parse("x.csv", "id,text\nU1,مرحبا 你好\n".encode("utf-16"))
    assert rejects == [] and records[0].payload["text"] == "مرحبا 你好"


def test_unclosed_quote_does_not_swallow_the_next_rows() -> None:
    records, rejects = parse("x.csv", b'id,text\nA1,ok\nA2,"never closed\nA3,good\nA4,good too\n')
    assert [r.source_record_id for r in records] == ["A1", "A3", "A4"]
    assert [r.record_ref for r in rejects] == ["x.csv:3"] and "CSV syntax" in rejects[0].reason


def test_oversize_cells_are_quarantined_with_their_column() -> None:
    records, rejects = parse("x.csv", b"id,text\nA1," + b"y" * 1_000_000 + b"\nA2,ok\n")
    assert [r.source_record_id for r in records] == ["A2"]
    assert (rejects[0].record_ref, rejects[0].field) == ("x.csv:2", "text") and "over the limit" in rejects[0].reason


def test_ids_must_be_strings_or_numbers_and_zero_is_an_id() -> None:
    lines = [{"id": 0}, {"id": True}, {"id": {"a": 1}}, {"id": [1]}, {"id": 12.0}, {"id": "  "}, {"id": None}]
    records, rejects = parse("x.jsonl", "\n".join(json.dumps(line) for line in lines).encode())
    assert [r.source_record_id for r in records] == ["0", "12"]
    assert [r.record_ref for r in rejects] == [f"x.jsonl:{n}" for n in (2, 3, 4, 6, 7)]
    assert "got true" in rejects[0].reason and 'got {"a": 1}' in rejects[1].reason


def test_the_same_id_twice_keeps_the_later_row_and_flags_the_earlier() -> None:
    records, rejects = parse("x.csv", b"id,text\nD1,first\nD2,other\nD1,second\n")
    assert [(r.source_record_id, r.payload["text"]) for r in records] == [("D1", "second"), ("D2", "other")]
    assert rejects[0].check == "duplicate_id" and rejects[0].record_ref == "x.csv:2"
    assert "later row (line 4) was kept" in rejects[0].reason


def test_record_from_quarantine_requires_an_id() -> None:
    import pytest

    from cfm.sources.base import SourceError

    src = FileDropSource({"dir": "."})
    rec = src.record_from_quarantine("drop", {"id": "NEW-1", "text": "hi", "_file": "a.csv", "_line": 3})
    assert rec.source_record_id == "NEW-1" and "_line" not in rec.payload
    with pytest.raises(SourceError, match="'id' is missing"):
        src.record_from_quarantine("drop", {"id": "", "_file": "a.csv"})


def test_each_record_carries_its_canonical_json_and_hash() -> None:
    """The source serialises each payload once (the loader reuses it): the same text and hash as
    canonical_json_and_hash, floats included, so re-landing a file stored by an earlier version changes nothing."""
    from cfm.sources.base import canonical_json_and_hash

    csv_records, _ = parse("x.csv", 'id,text,n\nA1,"q ""x"" \\ ✓ 😀 مرحبا",1.50\nA2,\x7f\x1f,\nA3\n'.encode())
    lines = [{"id": 1, "n": 1e16, "f": 0.1, "i": 10**30, "l": [True, None, {"z": 1, "a": -0.0}]},
             {"id": "2", "t": "\x1f\t\x7f"}, {"id": 3, "x": 1e-7}]
    jsonl_records, _ = parse("x.jsonl", "\n".join(json.dumps(d, ensure_ascii=False) for d in lines).encode())
    assert len(csv_records) == 3 and len(jsonl_records) == 3
    for rec in csv_records + jsonl_records:
        assert rec.canonical == canonical_json_and_hash(rec.payload)


def test_a_record_with_something_to_repair_carries_no_serialisation() -> None:
    records, rejects = parse("x.csv", b"id,text\nA1,a\\u0000b\nA2,ok\n")
    assert rejects == [] and records[1].canonical is not None
    records, _ = parse("x.jsonl", b'{"id": "A1", "text": "a\\u0000b"}\n')
    assert records[0].canonical is None  # the loader repairs it (cfm.sources.sanitise.admit_serialised)


def test_a_malformed_row_in_a_big_file_is_quarantined_with_its_line_and_field() -> None:
    rows = [f"R{i},fine {i}" for i in range(1, 20_001)]
    rows[9_999] = "R10000,\"broken"  # an unclosed quote at line 10,001 (the header is line 1)
    rows[14_999] = "R15000," + "z" * 100_001  # a field over the limit at line 15,001
    records, rejects = parse("big.csv", ("id,text\n" + "\n".join(rows) + "\n").encode())
    assert len(records) == 19_998
    assert [(r.record_ref, r.field) for r in rejects] == [("big.csv:10001", "line"), ("big.csv:15001", "text")]
    assert "CSV syntax" in rejects[0].reason and rejects[1].check == "unstorable"
    assert {r.source_record_id for r in records} == {f"R{i}" for i in range(1, 20_001)} - {"R10000", "R15000"}

    lines = [json.dumps({"id": f"J{i}", "n": i}) for i in range(1, 20_001)]
    lines[4_999] = '{"id": "J5000", "n": NaN}'
    lines[11_999] = '{"id": "J12000", "n": 1e999}'
    records, rejects = parse("big.jsonl", "\n".join(lines).encode())
    assert len(records) == 19_998
    assert [(r.record_ref, r.field) for r in rejects] == [("big.jsonl:5000", "line"), ("big.jsonl:12000", "n")]


def test_a_json_line_starting_with_a_bom_is_rejected_as_json_loads_would() -> None:
    records, rejects = parse("x.jsonl", '{"id": "1"}\n\ufeff{"id": "2"}\n'.encode())
    assert [r.source_record_id for r in records] == ["1"]
    assert rejects[0].record_ref == "x.jsonl:2" and "BOM" in rejects[0].reason


def test_the_garbage_collector_is_back_on_after_each_file(tmp_path) -> None:
    import gc

    (tmp_path / "a.csv").write_bytes(b"id,text\nA1,ok\n")
    (tmp_path / "b.jsonl").write_bytes(b'{"id": "B1"}\n')
    source = FileDropSource({"dir": str(tmp_path)})
    assert gc.isenabled()
    for _ in source.batches("drop", None):
        assert gc.isenabled()  # paused only while a file is parsed
    assert gc.isenabled()


SEPARATORS = "\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85"  # str.splitlines breaks lines on these too


def test_unicode_line_separators_inside_a_json_string_do_not_break_the_line() -> None:
    lines = [json.dumps({"id": "J1", "text": f"a{SEPARATORS}b"}, ensure_ascii=False), json.dumps({"id": "J2", "text": "next"})]
    records, rejects = parse("x.jsonl", "\n".join(lines).encode())
    assert rejects == []
    assert [(r.source_record_id, r.payload["text"]) for r in records] == [("J1", f"a{SEPARATORS}b"), ("J2", "next")]


def test_unicode_line_separators_inside_a_csv_field_do_not_cut_the_row() -> None:
    data = f"id,text,n\nA1,a\u2028b{SEPARATORS}c,1\r\nA2,\"q{SEPARATORS}\",2\nA3,end\u2029,3".encode()
    records, rejects = parse("x.csv", data)
    assert rejects == []
    assert [(r.source_record_id, r.payload["text"], r.payload["n"]) for r in records] == [
        ("A1", f"a\u2028b{SEPARATORS}c", "1"), ("A2", f"q{SEPARATORS}", "2"), ("A3", "end\u2029", "3")]


def test_line_numbers_count_only_real_line_breaks() -> None:
    _, rejects = parse("x.csv", 'id,text\nA1,one\u2028two\nA2,"open\n'.encode())
    assert [r.record_ref for r in rejects] == ["x.csv:3"]
    _, rejects = parse("x.jsonl", '{"id": "1", "t": "\u2028"}\r\n{oops\n'.encode())
    assert [r.record_ref for r in rejects] == ["x.jsonl:2"]


def test_lines_split_as_before_on_cr_lf_and_crlf_only() -> None:
    import itertools
    import re

    from cfm.sources.file_drop import _lines

    def reference(text: str, keepends: bool) -> list[str]:
        lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z", text)
        return lines if keepends else [line.rstrip("\r\n") for line in lines]

    for size in range(6):
        for chars in itertools.product(["a", "\n", "\r", "\u2028", "\x0c", "\x85"], repeat=size):
            text = "".join(chars)
            for keepends in (True, False):
                assert _lines(text, keepends) == reference(text, keepends), (text, keepends)


def test_json_lines_read_to_the_values_and_verdicts_of_the_json_module() -> None:
    """msgspec reads the lines it accepts; the json module the rest, so values, floats and errors stay as json gives them."""
    from cfm.sources.file_drop import _jsonl_rows, _reject_constant

    lines = ['{"id": "f", "a": 4.5, "b": {"c": [1, -0.0]}}', '{"id": "e", "a": 1E2, "t": 1.5e-400}', '{"id": "h", "a": 1e400}',
             '{"id": "big", "n": 123456789012345678901234567890, "m": -18446744073709551616}',
             '{"id": "twice", "t": "first", "t": "second"}', '{"id": "nan", "a": NaN}', '{"id": "sur", "t": "x\\ud83d"}',
             '{"id": "nul", "t": "a\\u0000b"}', '{"id": "trail"} x', '{"id": "ctrl", "t": "a\tb"}', '"text"', "[1]",
             '{"id": "deep", "x": ' + "[" * 3000 + "]" * 3000 + "}", '{"id": "int", "n": 3, "t": "caf\\u00e9 \u4e2d"}']
    got = list(_jsonl_rows("\n".join(lines), float_lines=(floats := set())))
    expected, expected_floats = [], set()
    for line_no, line in enumerate(lines, start=1):
        try:
            row = json.loads(line, parse_constant=_reject_constant, parse_float=lambda s, n=line_no: expected_floats.add(n) or float(s))
        except (ValueError, RecursionError):
            expected.append((line_no, "error"))
            continue
        expected.append((line_no, repr(row) if isinstance(row, dict) else "error"))
    assert [(n, repr(row) if error is None else "error") for n, row, error, _ in got] == expected
    assert floats == expected_floats == {1, 2, 3}


def test_a_csv_row_carries_the_serialisation_plain_canonical_gives() -> None:
    """The same text and hash; None only where the loader's walk repairs or refuses (a NUL, a lone surrogate,
    a field over the limit): a row plain_canonical leaves to the walk only for its braces gets the text the
    walk would give it."""
    from cfm.sources.base import canonical_json_and_hash
    from cfm.sources.file_drop import _flat_canonical
    from cfm.sources.sanitise import plain_canonical

    rows = [{"id": "1", "t": "x", "_file": "a.csv"}, {"id": "2", "t": None, "z": "{[" * 40}, {"id": "3", "t": "a\x00b"},
            {"id": "4", "t": "half \ud83d"}, {"id": "5", "t": "é" * 60_000}, {"id": "6", "t": "y" * 100_001},
            {"id": "7", "t": "\u2028 \x1e \\u0000 \"q\""}, {"b": "", "a": "\x7f"}]
    for row in rows:
        flat, plain = _flat_canonical(row), plain_canonical(row, floatless=True)
        assert plain is None or flat == plain
        assert flat is None or flat == canonical_json_and_hash(row)
    assert [_flat_canonical(row) is None for row in rows] == [False, False, True, True, False, True, True, False]
