"""Keying, rejecting and classifying messages.get(format=raw) responses (no HTTP)."""

from __future__ import annotations

import base64
from email.mime.text import MIMEText

import pytest

from cfm.sources.base import RawRecord, RejectedRecord, SourceError
from cfm.sources.gmail import GmailSource, _history_message_ids

INBOX = "support@acme-shop.example"


def _resource(sender: str = "ann@example.com", labels: list[str] | None = None, **overrides) -> dict:
    msg = MIMEText("Where is my parcel?", "plain", "utf-8")
    msg["From"] = sender
    msg["Subject"] = "Parcel"
    resource = {"id": "18c1", "threadId": "18c0", "labelIds": labels or ["INBOX"], "internalDate": "1782900000000",
                "raw": base64.urlsafe_b64encode(msg.as_bytes()).decode().rstrip("="), "futureField": {"kept": True}}
    resource.update(overrides)
    return resource


@pytest.fixture
def source() -> GmailSource:
    return GmailSource({"inboxes": [INBOX], "company_domains": ["acme-shop.example"],
                        "company_addresses": ["help@partner.example"]})


def test_a_customer_message_is_keyed_parsed_and_kept_as_received(source: GmailSource) -> None:
    resource = _resource()
    record = source.to_record(INBOX, resource, ref="18c1")
    assert isinstance(record, RawRecord)
    assert (record.source, record.account, record.source_record_id) == ("gmail", INBOX, "18c1")
    assert record.payload["message"] == resource  # unknown fields and the raw message untouched
    assert record.payload["parsed"]["role"] == "feedback"
    assert record.payload["parsed"]["text"] == "Where is my parcel?"
    assert record.payload["parsed"]["received_at"] == "2026-07-01T10:00:00Z"
    assert record.source_updated_at.isoformat() == "2026-07-01T10:00:00+00:00"


@pytest.mark.parametrize(
    ("sender", "labels", "role"),
    [
        ("agent@acme-shop.example", ["INBOX"], "company_reply"),
        ("help@partner.example", ["INBOX"], "company_reply"),
        (INBOX, ["INBOX"], "company_reply"),
        ("ann@example.com", ["SENT"], "company_reply"),
        ("ann@notacme-shop.example", ["INBOX"], "feedback"),
    ],
)
def test_company_replies_are_recognised(source: GmailSource, sender: str, labels: list[str], role: str) -> None:
    record = source.to_record(INBOX, _resource(sender, labels), ref="18c1")
    assert record.payload["parsed"]["role"] == role


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id": ""}, "id"),
        ({"raw": None}, "raw"),
        ({"raw": "@@@@QUJD"}, "raw"),
        ({"internalDate": "yesterday"}, "internalDate"),
        ({"threadId": None}, "threadId"),
    ],
)
def test_malformed_messages_are_rejected_naming_the_field(source: GmailSource, overrides: dict, field: str) -> None:
    rejected = source.to_record(INBOX, _resource(**overrides), ref="list page 1 item 0")
    assert isinstance(rejected, RejectedRecord)
    assert rejected.field == field
    assert rejected.message().startswith(f"source=gmail account={INBOX} record=")
    assert field in rejected.reason


def test_drafts_spam_and_chats_are_not_stored(source: GmailSource) -> None:
    for label in ("DRAFT", "SPAM", "TRASH", "CHAT"):
        assert source.to_record(INBOX, _resource(labels=[label]), ref="x") is None
    assert source.stats["skipped"] == 4


def test_history_ids_come_from_typed_arrays_once_each() -> None:
    entries = [
        {"id": "10", "messages": [{"id": "a"}], "messagesAdded": [{"message": {"id": "a"}}]},
        {"id": "11", "labelsAdded": [{"message": {"id": "b"}, "labelIds": ["X"]}]},
        {"id": "12", "messagesAdded": [{"message": {"id": "a"}}], "messagesDeleted": [{"message": {"id": "c"}}]},
        {"id": "13", "messages": [{"id": "d"}]},
    ]
    assert _history_message_ids(entries, with_label_changes=True) == ["a", "b"]
    assert _history_message_ids(entries, with_label_changes=False) == ["a"]


def test_config_errors_name_the_source() -> None:
    with pytest.raises(SourceError, match=r"\[gmail\].*inboxes"):
        GmailSource({}).accounts()
    assert GmailSource({"inboxes": ["Support@Acme-Shop.example", {"address": "vip@acme-shop.example"}]}).accounts() == [
        INBOX, "vip@acme-shop.example"]
