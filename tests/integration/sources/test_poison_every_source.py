"""A NUL or a broken emoji in one record never blocks a source: every source, through its fake API.

Each source's recorded sample is synced twice into the same warehouse: as recorded, then
with a NUL and a lone surrogate put into every free-text string. The poisoned sync must
store exactly the records the clean one stored, quarantine nothing more, and keep the
original text losslessly (escaped) beside the cleaned text.
"""

from __future__ import annotations

import base64
import codecs
import email
import importlib
import json
import shutil
from email import encoders
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.sources.registry import build_source, source_names
from cfm.sources.sanitise import SANITISED_KEY

SAMPLE_API = PROJECT_ROOT / "sample_data" / "api"
POISON = "\x00\ud83d"
FAKED = [n for n in source_names() if (SAMPLE_API / n).is_dir()]


def _poison_mime(raw: str) -> str:
    """A Gmail `raw` message (base64url) with a NUL byte in the middle of every text part."""
    message = email.message_from_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        data = part.get_payload(decode=True) or b""
        cte = str(part.get("Content-Transfer-Encoding") or "").lower()
        del part["Content-Transfer-Encoding"]
        part.set_payload(data[: len(data) // 2] + b"\x00" + data[len(data) // 2:])
        (encoders.encode_quopri if cte == "quoted-printable" else encoders.encode_base64)(part)
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii")


def _texty(value: str, loose: bool) -> bool:
    """Free text (four or more spaces); with `loose`, any plain word (a sample with no free text)."""
    return (value.isalpha() and len(value) > 3) if loose else (value.count(" ") >= 4 and "://" not in value)


def _poison(value: Any, loose: bool = False) -> Any:
    """Put POISON into the middle of every string that reads like free text."""
    if isinstance(value, dict) and isinstance(value.get("raw"), str):
        return {**_poison({k: v for k, v in value.items() if k != "raw"}, loose), "raw": _poison_mime(value["raw"])}
    if isinstance(value, str) and _texty(value, loose):
        half = len(value) // 2
        return value[:half] + POISON + value[half:]
    if isinstance(value, dict):
        return {k: _poison(v, loose) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, loose) for v in value]
    return value


def _poisoned_copy(src: Path, dst: Path) -> int:
    """Copy a sample folder, poisoning its JSON and JSONL files; return how many files changed."""
    shutil.copytree(src, dst)
    count = 0
    for path in dst.iterdir():
        if path.suffix == ".json":
            before = path.read_text(encoding="utf-8")
            poisoned = json.dumps(_poison(json.loads(before)))  # ascii: surrogates as \ud83d
            if "\\u0000" not in poisoned:
                poisoned = json.dumps(_poison(json.loads(before), loose=True))
            path.write_text(poisoned, encoding="utf-8")
        elif path.suffix == ".jsonl":
            before = path.read_text(encoding="utf-8")
            lines = [json.dumps(_poison(json.loads(line))) for line in before.splitlines() if line.strip()]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        else:
            continue
        count += path.read_text(encoding="utf-8") != before
    return count


def _sync(url: str, name: str, sample_dir: Path, monkeypatch: pytest.MonkeyPatch, run_id: str) -> dict[str, Any]:
    module = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    for key, value in module.demo_credentials().items():
        monkeypatch.setenv(key, value)
    with module.demo_server(sample_dir) as server:
        config = {**module.demo_config(server.base_url), "max_attempts": 2, "backoff_base_seconds": 0.01}
        return sync_source(url, build_source(name, {"sources": {name: config}}), run_id=run_id)


def _stored(url: str, name: str) -> tuple[int, int, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(f"select count(*), string_agg(payload::text, '') from raw.{name}").fetchone()
        quarantined = conn.execute("select count(*) from quarantine.records where source = %s", (name,)).fetchone()[0]
    return rows[0], quarantined, rows[1] or ""


@pytest.mark.parametrize("name", FAKED)
def test_poisoned_text_lands_every_record(name: str, warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_counts = _sync(warehouse, name, SAMPLE_API / name, monkeypatch, "clean")
    clean_rows, clean_quarantined, _ = _stored(warehouse, name)
    assert clean_rows > 0
    with psycopg.connect(warehouse) as conn:
        conn.execute(f"truncate raw.{name}")
        conn.execute("delete from quarantine.records where source = %s", (name,))
        conn.execute("delete from ops.sync_state where source = %s", (name,))

    poisoned = _poisoned_copy(SAMPLE_API / name, tmp_path / name)
    assert poisoned > 0, "the sample has no free text to poison"
    counts = _sync(warehouse, name, tmp_path / name, monkeypatch, "poisoned")

    rows, quarantined, payloads = _stored(warehouse, name)
    assert (rows, quarantined) == (clean_rows, clean_quarantined)
    assert counts["received"] == clean_counts["received"]
    assert "\\u0000" not in payloads
    if name != "gmail":  # MIME bytes carry the NUL, not the surrogate (no UTF-8 spelling of one exists)
        assert "\ufffd" in payloads
    with psycopg.connect(warehouse) as conn:
        originals = [v for (kept,) in conn.execute(f"select payload->'{SANITISED_KEY}' from raw.{name}") if kept
                     for v in kept.values()]
    assert originals, "the original text must be kept beside the cleaned text"
    assert any("\x00" in codecs.decode(v, "unicode_escape") for v in originals)
