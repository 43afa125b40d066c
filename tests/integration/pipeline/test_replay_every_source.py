"""Parser rejects of API sources are replayed from their stored payload, through the source's own mapping.

For every API source, each through its fake (Typeform, SurveyMonkey, Qualtrics, Google Forms, Trustpilot,
App Store, Google Play, Google Business Profile, HubSpot and Gmail): one item of the recorded sample is
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
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.pipeline.replay import replay
from cfm.pipeline.staging_views import build_staging_views
from cfm.sources.registry import build_source, customer_source_names
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


def _break_json(
    path: Path, pick: Callable[[Any], dict[str, Any]], keys: tuple[str, ...], bad: Any = "yesterday-ish"
):
    """Overwrite `keys` of the item `pick` finds in the JSON file at `path`; returns (item, originals)."""
    body = json.loads(path.read_text(encoding="utf-8"))
    item = pick(body)
    original = {k: item[k] for k in keys}
    item.update(dict.fromkeys(keys, bad))
    path.write_text(json.dumps(body), encoding="utf-8")
    return item, original


def _break_surveymonkey(folder: Path):
    item, original = _break_json(
        sorted(folder.glob("responses_*.json"))[0], lambda b: b["data"][0], ("date_modified", "date_created")
    )
    return str(item["id"]), "date_modified", lambda p: {"response": {**p["response"], **original}}


def _break_qualtrics(folder: Path):
    item, original = _break_json(
        sorted(folder.glob("responses_*.json"))[0], lambda b: b["responses"][0]["values"], ("recordedDate",)
    )
    rid = json.loads(sorted(folder.glob("responses_*.json"))[0].read_text(encoding="utf-8"))["responses"][0]
    return (
        rid["responseId"],
        "values.recordedDate",
        lambda p: {"response": {**p["response"], "values": {**p["response"]["values"], **original}}},
    )


def _first_of(key: str) -> Callable[[Any], dict[str, Any]]:
    return lambda b: next(iter(b[key].values()))[0]


def _break_google_business(folder: Path):
    item, original = _break_json(
        folder / "dataset.json", _first_of("locations"), ("updateTime", "createTime")
    )
    return item["reviewId"], "updateTime", lambda p: {**p, **original}


def _break_google_play(folder: Path):
    # (the fake orders reviews by lastModified, so a broken time would break the listing, not the record)
    item, original = _break_json(folder / "dataset.json", _first_of("apps"), ("reviewId",), bad="")
    return original["reviewId"], "reviewId", lambda p: {**p, **original}


def _break_google_forms(folder: Path):
    def pick(body: Any) -> dict[str, Any]:
        return next(iter(body["forms"].values()))["responses"][0]

    item, original = _break_json(folder / "dataset.json", pick, ("lastSubmittedTime", "createTime"))
    return item["responseId"], "lastSubmittedTime", lambda p: {**p, "response": {**p["response"], **original}}


def _break_hubspot(folder: Path):
    item, original = _break_json(folder / "objects.json", lambda b: b["contacts"][0], ("updatedAt",))
    return item["id"], "updatedAt", lambda p: {**p, **original}


def _server(name: str, folder: Path) -> tuple[Any, str | None]:
    """The source's fake API on `folder`; for Gmail, the newest message of the first inbox comes back
    without its threadId (the fake's `drop_fields`). Returns (server, the broken record id or None)."""
    fake = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    if name == "app_store":  # its payloads hold the server's own URL: the backfill below reuses this server
        from cryptography.hazmat.primitives import serialization

        _APP_STORE[name] = dataset = fake.load_dataset(folder)
        key = serialization.load_pem_private_key(fake.demo_private_key_pem().encode(), password=None)
        return fake.build_server(dataset, key.public_key()), None
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


_APP_STORE: dict[str, Any] = {}


def _unbroken(name: str, server: Any) -> AbstractContextManager[Any]:
    """A fake serving the unbroken sample: the App Store's own server with its data put back, else a new one."""
    fake = importlib.import_module(f"cfm.testing.fake_apis.{name}")
    if name in _APP_STORE:
        fresh = fake.load_dataset(SAMPLE_API / name)
        _APP_STORE[name].reviews, _APP_STORE[name].responses = fresh.reviews, fresh.responses
        return nullcontext(server)
    return fake.demo_server(SAMPLE_API / name)


def _break_app_store(folder: Path):
    path = sorted(folder.glob("customer_reviews_*.json"))[0]
    body = json.loads(path.read_text(encoding="utf-8"))
    review = body["data"][0]
    original = dict(review["attributes"])
    review["attributes"]["createdDate"] = "yesterday-ish"
    path.write_text(json.dumps(body), encoding="utf-8")
    return (
        review["id"],
        "attributes.createdDate",
        lambda p: {**p, "review": {**p["review"], "attributes": original}},
    )


BREAKERS = {
    "app_store": _break_app_store,
    "typeform": _break_typeform,
    "trustpilot": _break_trustpilot,
    "gmail": _break_gmail,
    "surveymonkey": _break_surveymonkey,
    "qualtrics": _break_qualtrics,
    "google_business": _break_google_business,
    "google_play": _break_google_play,
    "google_forms": _break_google_forms,
    "hubspot": _break_hubspot,
}


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
        assert status == "replayed" and replayed[1] == "replay-1"
        if name not in customer_source_names():  # customer attributes are not validated as feedback
            assert validated == (True,)

        # A backfill of the unbroken sample maps the same item to the very payload replay stored.
        with _unbroken(name, server) as unbroken:
            config = {"sources": {name: fake.demo_config(unbroken.base_url)}}
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
