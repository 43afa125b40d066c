"""Parser rejects of API sources are replayed from their stored payload, through the source's own mapping.

For Typeform, Trustpilot and Gmail (each through its fake API): one item of the recorded sample is
broken, so the sync quarantines it. Replaying it as stored fails with the field named and leaves it
open; after `cfm quarantine edit` corrects it, replay lands exactly the record a clean sync stores
(a backfill of the unbroken sample then finds it unchanged).
"""

from __future__ import annotations

import email
import importlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.pipeline.replay import replay
from cfm.pipeline.staging_views import build_staging_views
from cfm.sources.registry import build_source
from cfm.warehouse import quarantine

SAMPLE_API = PROJECT_ROOT / "sample_data" / "api"


def _break_typeform(folder: Path) -> tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]:
    path = folder / "responses_tfNPS01.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    item = body["items"][0]
    original = item.pop("submitted_at")
    path.write_text(json.dumps(body), encoding="utf-8")
    return (
        item["response_id"],
        "submitted_at",
        lambda p: {"response": {**p["response"], "submitted_at": original}},
    )


def _break_trustpilot(folder: Path) -> tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]:
    path = sorted(folder.glob("reviews_*.json"))[0]
    body = json.loads(path.read_text(encoding="utf-8"))
    review = body["reviews"][0]
    original, review["createdAt"] = review["createdAt"], "yesterday-ish"
    path.write_text(json.dumps(body), encoding="utf-8")
    return review["id"], "createdAt", lambda p: {"createdAt": original}


def _break_gmail(folder: Path) -> tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]]]:
    return (
        "",
        "threadId",
        lambda p: {"message": {**p["message"], "threadId": _GMAIL_THREAD[p["message"]["id"]]}},
    )


_GMAIL_THREAD: dict[str, str] = {}


def _server(name: str, folder: Path) -> tuple[Any, str | None]:
    """The source's fake API on `folder`; for Gmail, the newest message of the first inbox comes back
    without its threadId (the fake's `drop_fields`). Returns (server, the broken record id or None)."""
    fake = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    if name != "gmail":
        return fake.demo_server(folder), None
    dataset = fake.demo_dataset(folder)
    box = dataset.mailbox(fake.DEMO_INBOXES[0])
    customers = [
        m
        for m in box.messages.values()  # a customer's message (staged as feedback), not the company's reply
        if "acme-shop.example" not in str(email.message_from_bytes(m.raw).get("From", ""))
    ]
    message = max(customers, key=lambda m: m.internal_date_ms)
    message.drop_fields = ("threadId",)
    _GMAIL_THREAD[message.id] = message.thread_id
    return fake.build_server(dataset), message.id


BREAKERS = {"typeform": _break_typeform, "trustpilot": _break_trustpilot, "gmail": _break_gmail}


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_a_parser_reject_is_replayed_from_its_stored_payload(
    name: str, warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    for key, value in fake.demo_credentials().items():
        monkeypatch.setenv(key, value)
    broken = tmp_path / name
    shutil.copytree(SAMPLE_API / name, broken)
    record_id, field, fix = BREAKERS[name](broken)
    server, broken_id = _server(name, broken)
    record_id = broken_id or record_id

    with server:
        config = {"sources": {name: fake.demo_config(server.base_url)}}
        sync_source(warehouse, build_source(name, config), run_id="r1", config=config)
        build_staging_views(warehouse)
        [entry] = [r for r in quarantine.list_records(warehouse, source=name) if r["field"] == field]
        with psycopg.connect(warehouse) as conn:
            stored = conn.execute(
                f"select count(*) from raw.{name} where source_record_id = %s", (record_id,)
            ).fetchone()[0]
        assert stored == 0

        # As stored, the source's mapping still rejects it: named, and left open.
        result = replay(warehouse, config, "replay-0", ids=[entry["quarantine_id"]])
        assert result["relanded"] == 0 and result["errors"] == 1
        assert field in result["error_messages"][0] and f"[{name}]" in result["error_messages"][0]
        assert entry["quarantine_id"] in [
            r["quarantine_id"] for r in quarantine.list_records(warehouse, source=name)
        ]

        with psycopg.connect(warehouse) as conn:
            payload = conn.execute(
                "select payload from quarantine.records where quarantine_id = %s", (entry["quarantine_id"],)
            ).fetchone()[0]
        quarantine.edit_payload(warehouse, entry["quarantine_id"], fix(payload))
        result = replay(warehouse, config, "replay-1", ids=[entry["quarantine_id"]])
        assert (result["relanded"], result["errors"]) == (1, 0)

    with psycopg.connect(warehouse) as conn:
        status = conn.execute(
            "select status from quarantine.records where quarantine_id = %s", (entry["quarantine_id"],)
        ).fetchone()[0]
        replayed = conn.execute(
            f"select payload_hash, run_id from raw.{name} where source_record_id = %s", (record_id,)
        ).fetchone()
        validated = conn.execute(
            "select passed from ops.validated_records where source = %s and source_record_id = %s",
            (name, record_id),
        ).fetchone()
    assert status == "replayed" and replayed[1] == "replay-1" and validated == (True,)

    # A backfill of the unbroken sample maps the same item to the very payload replay stored.
    with fake.demo_server(SAMPLE_API / name) as server:
        config = {"sources": {name: fake.demo_config(server.base_url)}}
        counts = sync_source(
            warehouse,
            build_source(name, config),
            run_id="r2",
            config=config,
            since=datetime(2000, 1, 1, tzinfo=UTC),
        )
    with psycopg.connect(warehouse) as conn:
        after = conn.execute(
            f"select payload_hash, run_id from raw.{name} where source_record_id = %s", (record_id,)
        ).fetchone()
    assert after == replayed, "the backfill changed the replayed record: replay mapped it differently"
    assert counts["inserted"] == 0 and counts["updated"] == 0
