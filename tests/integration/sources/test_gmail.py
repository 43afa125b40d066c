"""Gmail source end to end: google-api-python-client over real HTTP to the fake Gmail API, real PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.base import SourceError
from cfm.sources.gmail import GmailSource
from cfm.testing.fake_api import FakeApiServer, Fault
from cfm.testing.fake_apis.gmail import DEMO_TOKEN, GmailDataset, build_server
from cfm.warehouse.raw_loader import save_cursor

INBOX = "support@acme-shop.example"


def _mail(body: Any, n: int, sender: str = "ann@example.com", **headers: str) -> bytes:
    body["From"] = sender
    body["To"] = INBOX
    body["Subject"] = headers.pop("Subject", f"Order {n}")
    body["Date"] = f"Wed, {n:02d} Jul 2026 10:00:00 +0000"
    body["Message-ID"] = f"<m{n}@example.com>"
    for key, value in headers.items():
        body[key] = value
    return body.as_bytes()


def _plain(n: int, text: str | None = None, charset: str = "utf-8", **kw: str) -> bytes:
    return _mail(MIMEText(text or f"Feedback number {n}", "plain", charset), n, **kw)


def _mixed_inbox(ds: GmailDataset) -> dict[str, str]:
    """Eight realistic messages; returns a name -> Gmail id map."""
    ids: dict[str, str] = {}
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("The app crashes at checkout.\n\n--\nAnn", "plain", "utf-8"))
    alt.attach(MIMEText("<p>The app crashes at checkout.</p>", "html", "utf-8"))
    ids["multipart"] = ds.add_message(INBOX, _mail(alt, 1))
    ids["html"] = ds.add_message(INBOX, _mail(MIMEText("<div>Love the <b>new</b> design!</div>", "html", "utf-8"), 2,
                                              sender="bo@example.org"))
    ids["arabic"] = ds.add_message(INBOX, _plain(3, "الطلب وصل متأخرا جدا", "windows-1256", sender="amal@example.ae"))
    ids["chinese"] = ds.add_message(INBOX, _plain(4, "退款还没有到账", "gb2312", sender="wei@example.cn"))
    ids["ack"] = ds.add_message(INBOX, _plain(5, "We got your message.", sender=INBOX, **{"Auto-Submitted": "auto-replied",
                                                                                         "In-Reply-To": "<m1@example.com>"}))
    ids["reply"] = ds.add_message(INBOX, _plain(6, "Sorry Ann, a fix ships today.", sender="Agent <agent@acme-shop.example>",
                                                **{"In-Reply-To": "<m1@example.com>"}), labels=("SENT",))
    ids["followup"] = ds.add_message(INBOX, _plain(
        7, "Still crashing.\n\nOn Mon, 6 Jul 2026, Agent <agent@acme-shop.example> wrote:\n> Sorry Ann, a fix ships today.",
        **{"In-Reply-To": "<m6@example.com>"}))
    ids["newsletter"] = ds.add_message(INBOX, _plain(8, "Weekly deals", sender="news@shop.example",
                                                     **{"List-Unsubscribe": "<mailto:u@shop.example>"}))
    return ids


@pytest.fixture
def dataset() -> GmailDataset:
    return GmailDataset()


@pytest.fixture
def server(dataset: GmailDataset, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    monkeypatch.setenv("CFM_GMAIL_TOKEN", DEMO_TOKEN)
    with build_server(dataset) as srv:
        yield srv


@pytest.fixture
def sleeps() -> list[float]:
    return []


def _source(server: FakeApiServer, sleeps: list[float], **extra: Any) -> GmailSource:
    config = {"base_url": server.base_url, "inboxes": [INBOX], "start_date": "2026-05-01",
              "company_domains": ["acme-shop.example"], "page_size": 3, **extra}
    return GmailSource(config, sleep=sleeps.append)


def _rows(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select source_record_id, payload->'parsed'->>'role', payload->'parsed'->>'exclusion_reason', "
            "payload->'parsed'->>'text', payload->'message'->>'threadId', payload->'message'->'labelIds', run_id "
            "from raw.gmail order by source_record_id"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _cursor(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        return conn.execute("select cursor from ops.sync_state where source = 'gmail' and account = %s", (INBOX,)).fetchone()[0]


def _last_ms(ds: GmailDataset) -> int:
    return max(m.internal_date_ms for m in ds.mailbox(INBOX).messages.values())


def _history_cursor(ds: GmailDataset, last_ms: int | None = None) -> dict[str, Any]:
    return {"phase": "history", "history_id": str(ds.mailbox(INBOX).history_id),
            "last_internal_date_ms": _last_ms(ds) if last_ms is None else last_ms}


def _list_requests(server: FakeApiServer) -> list:
    return [r for r in server.requests if r.path.endswith("/messages")]


def test_first_sync_pages_classifies_and_a_second_run_stores_nothing_new(warehouse, dataset, server, sleeps) -> None:
    ids = _mixed_inbox(dataset)
    start_history = dataset.mailbox(INBOX).history_id

    first = sync_source(warehouse, _source(server, sleeps), run_id="r1")

    assert (first["inserted"], first["updated"], first["quarantined"]) == (8, 0, 0)
    rows = _rows(warehouse)
    assert set(rows) == set(ids.values())
    by_name = {name: rows[mid] for name, mid in ids.items()}
    assert by_name["multipart"][:3] == ("feedback", None, "The app crashes at checkout.")
    assert by_name["html"][:3] == ("feedback", None, "Love the new design!")
    assert by_name["arabic"][:3] == ("feedback", None, "الطلب وصل متأخرا جدا")
    assert by_name["chinese"][:3] == ("feedback", None, "退款还没有到账")
    assert by_name["ack"][:2] == ("excluded", "auto_reply")
    assert by_name["reply"][:3] == ("company_reply", None, "Sorry Ann, a fix ships today.")
    assert by_name["followup"][:3] == ("feedback", None, "Still crashing.")
    assert by_name["newsletter"][:2] == ("excluded", "bulk")
    # Replies and follow-ups are linked to the first message's thread.
    assert by_name["reply"][3] == by_name["followup"][3] == by_name["multipart"][3] == ids["multipart"]
    # 8 messages at 3 per page: three list pages, the 2nd and 3rd asked for by page token.
    assert [r.arg("pageToken") for r in _list_requests(server)] == [None, "pg-3", "pg-6"]
    assert all("after:1777593600" in (r.arg("q") or "") for r in _list_requests(server))
    assert _cursor(warehouse) == {"phase": "history", "history_id": str(start_history), "last_internal_date_ms": _last_ms(dataset)}

    server.requests.clear()
    second = sync_source(warehouse, _source(server, sleeps), run_id="r2")
    assert (second["received"], second["inserted"], second["updated"]) == (0, 0, 0)
    assert [r.arg("startHistoryId") for r in server.requests if r.path.endswith("/history")] == [str(start_history)]
    assert _rows(warehouse) == rows


def test_history_sync_adds_new_mail_and_updates_a_relabelled_message(warehouse, dataset, server, sleeps) -> None:
    first_id = dataset.add_message(INBOX, _plain(1))
    sync_source(warehouse, _source(server, sleeps), run_id="r1")
    assert _rows(warehouse)[first_id][4] == ["INBOX", "UNREAD"]

    dataset.modify_labels(INBOX, first_id, add=("Label_complaint",), remove=("UNREAD",))
    new_ids = [dataset.add_message(INBOX, _plain(n)) for n in (2, 3, 4, 5)]
    second = sync_source(warehouse, _source(server, sleeps), run_id="r2")

    assert (second["inserted"], second["updated"]) == (4, 1)
    rows = _rows(warehouse)
    assert sorted(rows) == sorted([first_id, *new_ids])
    assert rows[first_id][4] == ["INBOX", "Label_complaint"] and rows[first_id][5] == "r2"
    assert rows[new_ids[0]][2] == "Feedback number 2"
    # 6 history records at 3 per page: two pages; the last one's historyId becomes the cursor.
    assert len([r for r in server.requests if r.path.endswith("/history")]) == 2
    assert _cursor(warehouse) == {"phase": "history", "history_id": str(dataset.mailbox(INBOX).history_id),
                                  "last_internal_date_ms": _last_ms(dataset)}


def test_label_filter_applies_to_listing_and_history(warehouse, dataset, server, sleeps) -> None:
    inbox_msg = dataset.add_message(INBOX, _plain(1))
    dataset.add_message(INBOX, _plain(2), labels=("Label_archive",))
    source = _source(server, sleeps, inboxes=[{"address": INBOX, "label_ids": ["INBOX"], "query": ""}])
    sync_source(warehouse, source, run_id="r1")
    assert _list_requests(server)[0].query["labelIds"] == ["INBOX"]
    assert _list_requests(server)[0].arg("q") == "after:1777593600"
    later = dataset.add_message(INBOX, _plain(3))
    dataset.add_message(INBOX, _plain(4), labels=("SENT",))
    result = sync_source(warehouse, source, run_id="r2")
    assert (result["received"], source.stats["skipped"]) == (1, 1)
    assert sorted(_rows(warehouse)) == sorted([inbox_msg, later])
    assert _cursor(warehouse) == _history_cursor(dataset, dataset.mailbox(INBOX).messages[later].internal_date_ms)


@pytest.mark.parametrize("fetch_batch_size", [1, 50], ids=["per-message", "http-batch"])
def test_rate_limit_and_server_errors_are_retried_on_list_and_message_paths(
    warehouse, dataset, server, sleeps, fetch_batch_size
) -> None:
    ids = [dataset.add_message(INBOX, _plain(n)) for n in range(1, 5)]
    server.inject(
        Fault(status=429, headers={"Retry-After": "7"}, path=r"/messages$",
              body={"error": {"code": 429, "message": "Too many requests", "errors": [{"reason": "rateLimitExceeded"}]}}),
        Fault(status=500, path=r"/messages/[0-9a-f]+$"),
        Fault(status=503, path=r"/messages/[0-9a-f]+$"),
        Fault(status=403, path=r"/profile$",
              body={"error": {"code": 403, "message": "quota", "errors": [{"reason": "userRateLimitExceeded"}]}}),
    )
    source = _source(server, sleeps, fetch_batch_size=fetch_batch_size)
    result = sync_source(warehouse, source, run_id="r1")

    assert result["inserted"] == 4 and sorted(_rows(warehouse)) == sorted(ids)
    assert 7.0 in sleeps  # Retry-After honoured
    assert all(0 <= s <= 60 for s in sleeps)
    assert server.faults == []
    gets = [r for r in server.requests if re.search(r"/messages/[0-9a-f]+$", r.path)]
    assert len(gets) == 6  # 4 messages + the 2 that failed once
    batches = [r for r in server.requests if r.path.startswith("/batch")]
    if fetch_batch_size == 1:
        # profile, list, and each failed message retried on its own
        assert source.stats["retries"] == len(sleeps) == 4 and batches == []
    else:
        # page 1 (3 ids) fails 2 inner calls: only those 2 go in the retry batch; page 2 has 1 id
        assert source.stats["retries"] == len(sleeps) == 3 and len(batches) == 3
        assert all(r.path == "/batch/gmail/v1" and r.method == "POST" for r in batches)
    assert _cursor(warehouse) == _history_cursor(dataset)


def test_a_timed_out_call_is_retried(warehouse, dataset, server, sleeps) -> None:
    mid = dataset.add_message(INBOX, _plain(1))
    server.inject(Fault(status=200, delay=1.5, path=r"/messages/[0-9a-f]+$"))
    source = _source(server, sleeps, timeout_seconds=0.5)
    result = sync_source(warehouse, source, run_id="r1")
    assert result["inserted"] == 1 and list(_rows(warehouse)) == [mid]
    assert source.stats["retries"] == 1 and len(sleeps) == 1
    assert _cursor(warehouse) == _history_cursor(dataset)


def test_expired_history_id_falls_back_to_a_bounded_relist(warehouse, dataset, server, sleeps) -> None:
    old = [dataset.add_message(INBOX, _plain(n)) for n in (1, 2)]
    sync_source(warehouse, _source(server, sleeps), run_id="r1")
    watermark = _last_ms(dataset)
    new = dataset.add_message(INBOX, _plain(20))
    dataset.expire_history(INBOX)
    server.requests.clear()

    source = _source(server, sleeps)
    second = sync_source(warehouse, source, run_id="r2")

    kinds = [r.path.rsplit("/", 1)[1] for r in server.requests if r.path.endswith(("/history", "/profile", "/messages"))]
    assert kinds == ["history", "profile", "messages"]
    list_q = _list_requests(server)[0].arg("q")
    assert f"after:{watermark // 1000 - 3600}" in list_q  # bounded: newest stored message minus the overlap
    assert (second["inserted"], second["updated"], second["unchanged"]) == (1, 0, 1)  # message 2 re-read, unchanged
    assert sorted(_rows(warehouse)) == sorted([*old, new])
    assert source.stats["relists"] == 1
    assert _cursor(warehouse) == {"phase": "history", "history_id": str(dataset.mailbox(INBOX).history_id),
                                  "last_internal_date_ms": _last_ms(dataset)}


def test_rejected_list_page_token_restarts_the_listing(warehouse, dataset, server, sleeps) -> None:
    ids = [dataset.add_message(INBOX, _plain(n)) for n in (1, 2)]
    with psycopg.connect(warehouse) as conn:
        save_cursor(conn, "gmail", INBOX, {"phase": "listing", "history_id": "1001", "list_after": 1777593600,
                                           "page_token": "expired-token", "last_internal_date_ms": 0}, "r0")
        conn.commit()
    result = sync_source(warehouse, _source(server, sleeps), run_id="r1")
    assert result["inserted"] == 2 and sorted(_rows(warehouse)) == sorted(ids)
    assert [r.arg("pageToken") for r in _list_requests(server)] == ["expired-token", None]
    assert _cursor(warehouse) == {"phase": "history", "history_id": "1001", "last_internal_date_ms": _last_ms(dataset)}


def test_malformed_messages_go_to_quarantine_naming_source_record_and_field(warehouse, dataset, server, sleeps) -> None:
    good = dataset.add_message(INBOX, _plain(1))
    no_date = dataset.add_message(INBOX, _plain(2), drop_fields=("internalDate",))
    no_raw = dataset.add_message(INBOX, _plain(3), drop_fields=("raw",))
    result = sync_source(warehouse, _source(server, sleeps), run_id="r1")

    assert (result["inserted"], result["quarantined"]) == (1, 2)
    assert list(_rows(warehouse)) == [good]
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, check_name, reason, payload->'message'->>'id' "
                         "from quarantine.records order by field").fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in q] == [
        ("gmail", INBOX, no_date, "internalDate", "source_parse", no_date),
        ("gmail", INBOX, no_raw, "raw", "source_parse", no_raw),
    ]
    assert "internalDate" in q[0][5] and "raw" in q[1][5]
    # The watermark only counts stored messages.
    assert _cursor(warehouse) == _history_cursor(dataset, dataset.mailbox(INBOX).messages[good].internal_date_ms)


def test_killed_mid_sync_resumes_from_the_saved_page_without_loss_or_duplicates(warehouse, dataset, server, sleeps) -> None:
    ids = [dataset.add_message(INBOX, _plain(n)) for n in range(1, 8)]
    start_history = dataset.mailbox(INBOX).history_id

    class KilledAfterFirstPage(GmailSource):
        def batches(self, account, cursor, *, since=None):
            for i, batch in enumerate(super().batches(account, cursor, since=since)):
                if i == 1:
                    raise RuntimeError("worker killed")
                yield batch

    crashing = KilledAfterFirstPage(_source(server, sleeps).config, sleep=sleeps.append)
    with pytest.raises(RuntimeError, match="worker killed"):
        sync_source(warehouse, crashing, run_id="r1")
    assert len(_rows(warehouse)) == 3  # newest three, page 1
    assert _cursor(warehouse) == {"phase": "listing", "history_id": str(start_history), "list_after": 1777593600,
                                  "page_token": "pg-3", "last_internal_date_ms": _last_ms(dataset)}

    server.requests.clear()
    resumed = sync_source(warehouse, _source(server, sleeps), run_id="r2")
    assert resumed["inserted"] == 4 and resumed["updated"] == 0
    assert [r.arg("pageToken") for r in _list_requests(server)] == ["pg-3", "pg-6"]
    assert sorted(_rows(warehouse)) == sorted(ids)
    assert _cursor(warehouse)["phase"] == "history" and _cursor(warehouse)["history_id"] == str(start_history)

    again = sync_source(warehouse, _source(server, sleeps), run_id="r3")
    assert again["inserted"] == 0 and len(_rows(warehouse)) == 7


def test_backfill_relists_from_since_and_deleted_messages_are_skipped(warehouse, dataset, server, sleeps) -> None:
    ids = [dataset.add_message(INBOX, _plain(n)) for n in (1, 10, 20)]
    source = _source(server, sleeps)
    sync_source(warehouse, source, run_id="r1")
    dataset.delete_message(INBOX, ids[0])
    server.requests.clear()
    result = sync_source(warehouse, source, run_id="r2", since=datetime(2026, 7, 5, tzinfo=UTC))
    assert (result["received"], result["inserted"]) == (2, 0)
    assert "after:1783209599" in _list_requests(server)[0].arg("q")  # exclusive: since's own second is read
    assert len(_rows(warehouse)) == 3  # a backfill never deletes what was stored
    assert _cursor(warehouse) == _history_cursor(dataset)


def test_a_non_retryable_error_fails_the_sync_with_the_source_and_reason(warehouse, dataset, server, sleeps) -> None:
    dataset.add_message(INBOX, _plain(1))
    server.inject(Fault(status=403, path=r"/profile$", body={"error": {"code": 403, "message": "Delegation denied",
                                                                       "errors": [{"reason": "domainPolicy"}]}}))
    with pytest.raises(SourceError, match=r"\[gmail\] users.getProfile failed with HTTP 403: .*domainPolicy"):
        sync_source(warehouse, _source(server, sleeps), run_id="r1")
    assert sleeps == []  # not retried
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from ops.sync_state").fetchone()[0] == 0


def test_bad_credentials_fail_with_the_source_named_and_no_secret(warehouse, dataset, server, sleeps, monkeypatch) -> None:
    dataset.add_message(INBOX, _plain(1))
    monkeypatch.setenv("CFM_GMAIL_TOKEN", "wrong-token-value")
    with pytest.raises(SourceError) as err:
        sync_source(warehouse, _source(server, sleeps), run_id="r1")
    assert "[gmail]" in str(err.value) and "401" in str(err.value) and "wrong-token-value" not in str(err.value)
    monkeypatch.delenv("CFM_GMAIL_TOKEN")
    with pytest.raises(SourceError, match="CFM_GMAIL_TOKEN"):
        sync_source(warehouse, _source(server, sleeps), run_id="r1")
