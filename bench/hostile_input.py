"""Hostile input, end to end: what is lost, duplicated, quarantined (with its reason) or crashes.

Two corpora go through the real stages (landing, dbt staging views, Great Expectations
validation) into a fresh PostgreSQL database:

* a file drop of hostile files, each holding hostile lines beside good rows whose ids say
  what must happen to them (`G-*` must land and pass validation);
* every source's recorded API sample with a NUL and a lone surrogate put into every
  free-text string, served by its fake API, against the same sample served clean.

"lost" counts inputs neither stored nor quarantined; "duplicated" counts inputs stored more
than once; "crashes" counts a source or stage that failed.

Run: CFM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
     PYTHONPATH=plugins python bench/hostile_input.py  -> bench/results/hostile_input.md
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.pipeline.prepare import prepare_warehouse
from cfm.pipeline.staging_views import build_staging_views
from cfm.quality.validation import validate_new_records
from cfm.sources.file_drop import FileDropSource
from cfm.sources.registry import build_source, source_names

HERE = Path(__file__).parent
OK = "2026-05-01T10:00:00Z"
HEADER = "id,submitted_at,channel,text\n"


def good(case: str, n: int = 1) -> str:
    return "".join(f"G-{case}-{i},{OK},survey,a fine row\n" for i in range(n))


def corpus(folder: Path) -> dict[str, tuple[bytes, int]]:
    """{file: (bytes, hostile inputs in it)}: every file also carries good rows G-<case>-<n>."""
    deep = "[" * 100_000 + "]" * 100_000
    cases: dict[str, tuple[bytes, int]] = {
        "nul_in_text.csv": ((HEADER + f"H-nul,{OK},survey,before\x00after\n" + good("nul")).encode(), 1),
        "nul_in_id.csv": ((HEADER + f"H-nul\x00id,{OK},survey,text\n" + good("nulid")).encode(), 1),
        "lone_surrogate.jsonl": ((json.dumps({"id": "H-sur", "submitted_at": OK, "channel": "survey",
                                              "text": "broken \ud83d emoji"}) + "\n" + _jsonl_good("sur")).encode(), 1),
        "id_12kB.csv": ((HEADER + "L" * 12_000 + f",{OK},survey,long id\n" + good("longid")).encode(), 1),
        "cell_1MB.csv": ((HEADER + f"H-big,{OK},survey," + "y" * 1_000_000 + "\n" + good("big")).encode(), 1),
        "nan.jsonl": ((f'{{"id": "H-nan", "submitted_at": "{OK}", "rating_value": NaN}}\n' + _jsonl_good("nan")).encode(), 1),
        "infinity.jsonl": ((f'{{"id": "H-inf", "submitted_at": "{OK}", "rating_value": -Infinity}}\n'
                            + _jsonl_good("inf")).encode(), 1),
        "deep_100k.jsonl": (('{"id": "H-deep", "x": ' + deep + "}\n" + _jsonl_good("deep")).encode(), 1),
        "bad_utf8_byte.csv": (HEADER.encode() + f"H-byte,{OK},survey,caf".encode() + b"\xe9\n" + good("byte").encode(), 1),
        "utf16_bom.csv": ((HEADER + good("utf16", 3)).encode("utf-16"), 0),
        "utf8_bom.csv": (b"\xef\xbb\xbf" + (HEADER + good("bom", 2)).encode(), 0),
        "crlf.csv": ((HEADER + good("crlf", 2)).replace("\n", "\r\n").encode(), 0),
        "unclosed_quote.csv": ((HEADER + f'H-quote,{OK},survey,"never closed\n' + good("quote", 3)).encode(), 1),
        "extra_columns.csv": ((HEADER + f"H-extra,{OK},survey,text,one,two\n" + good("extra")).encode(), 1),
        "id_true.jsonl": ((json.dumps({"id": True, "submitted_at": OK, "channel": "survey", "text": "x"}) + "\n"
                           + _jsonl_good("true")).encode(), 1),
        "id_object.jsonl": ((json.dumps({"id": {"a": 1}, "submitted_at": OK, "channel": "survey", "text": "x"}) + "\n"
                             + _jsonl_good("obj")).encode(), 1),
        "id_zero.jsonl": ((json.dumps({"id": 0, "submitted_at": OK, "channel": "survey", "text": "zero is an id"}) + "\n"
                           + _jsonl_good("zero")).encode(), 0),
        "id_missing.csv": ((HEADER + f",{OK},survey,no id\n" + good("noid")).encode(), 1),
        "dup_in_file.csv": ((HEADER + f"H-dup,{OK},survey,first\nH-dup,{OK},survey,second\n" + good("dup")).encode(), 1),
        "dup_across_a.csv": ((HEADER + f"H-dupx,{OK},survey,in a\n" + good("dupa")).encode(), 1),
        "dup_across_b.csv": ((HEADER + f"H-dupx,{OK},survey,in b\n" + good("dupb")).encode(), 0),
        "not_json.jsonl": (("{oops\n" + _jsonl_good("notjson")).encode(), 1),
        "json_array.jsonl": (("[1, 2]\n" + _jsonl_good("array")).encode(), 1),
        "ts_bc.csv": ((HEADER + "H-bc,2026-11-20T10:00:00Z BC,survey,text\n" + good("bc")).encode(), 1),
        "ts_9999.csv": ((HEADER + "H-9999,9999-12-31T23:59:59-05:00,survey,text\n" + good("y9999")).encode(), 1),
        "ts_0001.csv": ((HEADER + "H-0001,0001-01-01T00:00:00Z,survey,text\n" + good("y0001")).encode(), 1),
        "ts_future.csv": ((HEADER + "H-future,2099-01-01T00:00:00Z,survey,text\n" + good("future")).encode(), 1),
        "xss.csv": ((HEADER + f'G-xss-h,{OK},survey,"<script>alert(1)</script><img src=x onerror=alert(2)>"\n'
                     + good("xss")).encode(), 0),
        "sql_text.csv": ((HEADER + f"G-sql-h,{OK},survey,\"'); drop table raw.file_drop; --\"\n" + good("sql")).encode(), 0),
        "header_only.csv": (HEADER.encode(), 0),
        "empty.jsonl": (b"", 0),
        "blank_lines.jsonl": (("\n\n" + _jsonl_good("blank") + "\n\n").encode(), 0),
    }
    for name, (data, _) in cases.items():
        (folder / name).write_bytes(data)
    outside = folder.parent / "outside.csv"
    outside.write_text(HEADER + f"H-secret,{OK},survey,must not be read\n")
    (folder / "symlink_out.csv").symlink_to(outside)
    cases["symlink_out.csv"] = (b"", 1)
    return cases


def _jsonl_good(case: str) -> str:
    return json.dumps({"id": f"G-{case}-0", "submitted_at": OK, "channel": "survey", "text": "a fine row"}) + "\n"


def fresh_database(admin_url: str) -> str:
    name = f"cfm_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    return url


def drop_database(admin_url: str, url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{urlsplit(url).path.lstrip("/")}" with (force)')


def file_drop_rows(admin_url: str) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp())
    folder = tmp / "drop"
    folder.mkdir()
    cases = corpus(folder)
    url = fresh_database(admin_url)
    crashes: list[str] = []
    try:
        try:
            sync_source(url, FileDropSource({"dir": str(folder)}), run_id="bench")
            build_staging_views(url)
            validate_new_records(url, "bench")
        except Exception as exc:  # counted, never hidden
            crashes.append(f"{type(exc).__name__}: {exc}"[:200])
        with psycopg.connect(url) as conn:
            stored = conn.execute("select source_record_id, payload->>'_file' from raw.file_drop").fetchall()
            passed = {r[0] for r in conn.execute("select source_record_id from ops.validated_records where passed")}
            held = conn.execute("select coalesce(payload->>'_file', split_part(record_ref, ':', 1)), check_name, reason "
                                "from quarantine.records where status = 'open'").fetchall()
    finally:
        drop_database(admin_url, url)
        shutil.rmtree(tmp)
    rows = []
    for name, (data, hostile) in cases.items():
        expected_good = {line.split(",")[0] for line in _text(data).splitlines() if line.startswith("G-")} | \
            {json.loads(line)["id"] for line in _text(data).splitlines() if line.startswith('{"id": "G-')}
        stored_here = [rid for rid, f in stored if f == name]
        q = [(check, reason) for f, check, reason in held if f == name or f.startswith(name)]
        lost_good = len(expected_good - {rid for rid in stored_here if rid in passed})
        lost_hostile = max(0, hostile - len(q) - len([r for r in stored_here if not r.startswith("G-")]))
        rows.append({
            "input": name, "inputs": len(expected_good) + hostile, "lost": lost_good + lost_hostile,
            "duplicated": sum(c - 1 for c in Counter(stored_here).values()),
            "quarantined": "; ".join(sorted({f"{c}: {_short(r)}" for c, r in q})) or "-",
            "crashes": len(crashes),
        })
    return rows


def _text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8", "replace")


def _short(reason: str) -> str:
    text = reason.split(": ", 1)[-1] if reason.startswith("source=") else reason
    return text.replace("|", "/")[:90]


def _poison(value: Any, loose: bool = False) -> Any:
    """NUL + lone surrogate into free text (4+ spaces); `loose`: into any plain word (samples without free text)."""
    texty = isinstance(value, str) and ((value.isalpha() and len(value) > 3) if loose
                                        else (value.count(" ") >= 4 and "://" not in value))
    if texty:
        return value[: len(value) // 2] + "\x00\ud83d" + value[len(value) // 2:]
    if isinstance(value, dict):
        return {k: _poison(v, loose) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, loose) for v in value]
    return value


def api_rows(admin_url: str) -> list[dict[str, Any]]:
    rows = []
    sample = PROJECT_ROOT / "sample_data" / "api"
    for name in source_names():
        if not (sample / name).is_dir() or name == "gmail":  # Gmail's text is inside base64 MIME: covered by the tests
            continue
        module = importlib.import_module(f"cfm.testing.fake_apis.{name}")
        for key, value in module.demo_credentials().items():
            os.environ[key] = value
        tmp = Path(tempfile.mkdtemp())
        shutil.copytree(sample / name, tmp / name)
        poisoned = 0
        for path in (tmp / name).iterdir():
            if path.suffix in (".json", ".jsonl"):
                lines = [path.read_text(encoding="utf-8")] if path.suffix == ".json" else \
                    [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
                out = [json.dumps(_poison(json.loads(x))) for x in lines]
                if not any("\\u0000" in x for x in out):
                    out = [json.dumps(_poison(json.loads(x), loose=True)) for x in lines]
                poisoned += sum(x.count("\\u0000") for x in out)
                path.write_text("\n".join(out) + "\n", encoding="utf-8")
        counts = {}
        crashes = 0
        for label, folder in (("clean", sample / name), ("poisoned", tmp / name)):
            url = fresh_database(admin_url)
            try:
                with module.demo_server(folder) as server:
                    config = {**module.demo_config(server.base_url), "max_attempts": 2, "backoff_base_seconds": 0.01}
                    sync_source(url, build_source(name, {"sources": {name: config}}), run_id=label)
            except Exception:
                crashes += 1
            with psycopg.connect(url) as conn:
                counts[label] = (conn.execute(f"select count(*) from raw.{name}").fetchone()[0],
                                 conn.execute("select count(*) from quarantine.records").fetchone()[0])
            drop_database(admin_url, url)
        shutil.rmtree(tmp)
        rows.append({"input": f"{name} API sample, NUL + lone surrogate in {poisoned} texts",
                     "inputs": counts["clean"][0] + counts["clean"][1],
                     "lost": max(0, sum(counts["clean"]) - sum(counts["poisoned"])),
                     "duplicated": max(0, counts["poisoned"][0] - counts["clean"][0]),
                     "quarantined": f"{counts['poisoned'][1]} (clean sample: {counts['clean'][1]})", "crashes": crashes})
    return rows


def main() -> None:
    admin_url = os.environ.get("CFM_TEST_DATABASE_URL") or sys.exit("set CFM_TEST_DATABASE_URL to a PostgreSQL server")
    rows = file_drop_rows(admin_url) + api_rows(admin_url)
    total = {k: sum(r[k] for r in rows) for k in ("inputs", "lost", "duplicated", "crashes")}
    lines = [
        "# Hostile input: nothing lost, nothing duplicated, nothing blocked",
        "",
        "Produced by `bench/hostile_input.py` (real PostgreSQL, landing, dbt staging views, Great Expectations",
        "validation; API sources through their fake servers). `inputs`: records in the case (good and hostile);",
        "`lost`: neither stored nor quarantined (good rows: not stored and validated); `duplicated`: stored twice.",
        "",
        f"Totals: {len(rows)} cases, {total['inputs']} inputs, lost {total['lost']}, duplicated {total['duplicated']}, "
        f"crashes {total['crashes']}.",
        "",
        "| input | inputs | lost | duplicated | quarantined (check: reason) | crashes |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
        *(f"| {r['input']} | {r['inputs']} | {r['lost']} | {r['duplicated']} | {r['quarantined']} | {r['crashes']} |"
          for r in rows),
    ]
    out = HERE / "results" / "hostile_input.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
