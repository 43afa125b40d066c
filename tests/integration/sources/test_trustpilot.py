"""Trustpilot connector against the fake Trustpilot API over real HTTP, landing in real PostgreSQL."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.trustpilot import TrustpilotSource
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.trustpilot import API_KEY, build_server

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
UNIT = "bu0000000000000000000001"


@pytest.fixture
def warehouse(module_warehouse: str) -> str:
    """The module's database, emptied of everything this source writes, so each test starts clean."""
    with psycopg.connect(module_warehouse) as conn:
        conn.execute("truncate raw.trustpilot, ops.sync_state, quarantine.records")
    return module_warehouse


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def review(n: int, *, days_ago: float, stars: int = 4, **extra: Any) -> dict[str, Any]:
    created = NOW - timedelta(days=days_ago)
    return {"id": f"r{n}", "stars": stars, "title": f"title {n}", "text": f"text {n}", "language": "en",
            "createdAt": _ts(created), "updatedAt": None,
            "consumer": {"id": f"c{n}", "displayName": "Ann D.", "numberOfReviews": 1},
            "businessUnit": {"id": UNIT, "identifyingName": "example.com", "displayName": "Example"},
            "companyReply": None, "someNewField": {"kept": n}, **extra}


def dataset(count: int = 7) -> dict[str, list[dict[str, Any]]]:
    # r0 is the newest: created 1 hour ago; r6 six days and an hour ago.
    return {UNIT: [review(n, days_ago=n + 1 / 24) for n in range(count)]}


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_TRUSTPILOT_API_KEY", API_KEY)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def make_source(server: Any, sleeps: list[float] | None = None, clock: Clock | None = None, timeout: float = 5.0,
                attempts: int = 4, **config: Any) -> TrustpilotSource:
    cfg = {"base_url": f"{server.base_url}/v1", "business_units": [UNIT], "per_page": 3, "rescan_days": 2,
           "overlap_minutes": 60, "full_rescan_days": 7, **config}
    sink = sleeps if sleeps is not None else []
    return TrustpilotSource(cfg, sleep=sink.append, now=clock or Clock(),
                            policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, timeout=timeout))


def stored(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, account, payload, source_updated_at, run_id from raw.trustpilot").fetchall()
    return {r[0]: r[1:] for r in rows}


def saved_cursor(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("select cursor from ops.sync_state where source = 'trustpilot' and account = %s", (UNIT,)).fetchone()
    return row[0] if row else None


def pages_requested(server: Any) -> list[str | None]:
    return [r.arg("page") for r in server.requests]


def test_first_sync_reads_every_page_then_incremental_stops_at_the_rescan_window(warehouse: str, creds: None) -> None:
    data = dataset()
    with build_server(data) as server:
        first = sync_source(warehouse, make_source(server), run_id="r1")
        assert (first["inserted"], first["updated"], first["quarantined"]) == (7, 0, 0)
        assert pages_requested(server) == ["1", "2", "3"]
        req = server.requests[0]
        assert req.path == f"/v1/business-units/{UNIT}/reviews"
        assert (req.arg("perPage"), req.arg("orderBy"), req.arg("language")) == ("3", "createdat.desc", "all")
        assert req.headers["apikey"] == API_KEY

        rows = stored(warehouse)
        assert sorted(rows) == [f"r{n}" for n in range(7)]
        assert rows["r3"][0] == UNIT
        assert rows["r3"][1]["stars"] == 4 and rows["r3"][1]["someNewField"] == {"kept": 3}  # unknown fields kept
        assert rows["r3"][2] == NOW - timedelta(days=3, hours=1)
        assert saved_cursor(warehouse) == {"watermark": _ts(NOW - timedelta(hours=1)), "last_full_scan_at": "2026-10-31T12:00:00Z"}

        server.requests.clear()
        second = sync_source(warehouse, make_source(server), run_id="r2")
        # stop point = min(watermark - 1h, now - 2 days): page 1 already reaches back past it
        assert pages_requested(server) == ["1"]
        assert (second["received"], second["inserted"], second["updated"], second["unchanged"]) == (3, 0, 0, 3)
        assert stored(warehouse) == rows
        assert saved_cursor(warehouse) == {"watermark": _ts(NOW - timedelta(hours=1)), "last_full_scan_at": "2026-10-31T12:00:00Z"}


def test_edits_inside_the_rescan_window_update_and_old_edits_wait_for_the_full_rescan(warehouse: str, creds: None) -> None:
    data = dataset()
    clock = Clock()
    with build_server(data) as server:
        sync_source(warehouse, make_source(server, clock=clock), run_id="r1")
        recent, old = data[UNIT][1], data[UNIT][6]
        recent["companyReply"] = {"text": "Sorry about that", "createdAt": _ts(NOW - timedelta(minutes=5)), "updatedAt": None}
        old["text"], old["updatedAt"] = "edited much later", _ts(NOW - timedelta(minutes=1))
        data[UNIT].insert(0, review(7, days_ago=0.01))

        clock.now = NOW + timedelta(hours=1)
        second = sync_source(warehouse, make_source(server, clock=clock), run_id="r2")
        assert (second["inserted"], second["updated"]) == (1, 1)
        rows = stored(warehouse)
        assert len(rows) == 8
        assert rows["r1"][1]["companyReply"]["text"] == "Sorry about that" and rows["r1"][3] == "r2"
        assert rows["r1"][2] == NOW - timedelta(minutes=5)  # source_updated_at follows the reply
        assert rows["r6"][1]["text"] == "text 6"  # six days old: outside the 2-day rescan window
        assert saved_cursor(warehouse)["watermark"] == _ts(NOW - timedelta(days=0.01))

        clock.now = NOW + timedelta(days=7)  # the weekly full re-scan is due
        third = sync_source(warehouse, make_source(server, clock=clock), run_id="r3")
        assert (third["inserted"], third["updated"]) == (0, 1)
        rows = stored(warehouse)
        assert len(rows) == 8 and rows["r6"][1]["text"] == "edited much later" and rows["r6"][3] == "r3"
        assert saved_cursor(warehouse)["last_full_scan_at"] == "2026-11-07T12:00:00Z"


def test_rate_limit_server_error_and_timeout_are_retried(warehouse: str, creds: None) -> None:
    sleeps: list[float] = []
    with build_server(dataset()) as server:
        server.inject(Fault(status=429, headers={"Retry-After": "7"}, path="/reviews"), Fault(status=500))
        source = make_source(server, sleeps=sleeps, timeout=0.5)
        server_delay_after_page_1 = Fault(delay=1.5, status=200)

        original = source.batches

        def with_slow_page_2(account, cursor, *, since=None):  # type: ignore[no-untyped-def]
            for i, batch in enumerate(original(account, cursor, since=since)):
                if i == 0:
                    server.inject(server_delay_after_page_1)
                yield batch

        source.batches = with_slow_page_2  # type: ignore[method-assign]
        result = sync_source(warehouse, source, run_id="r1")
    assert result["inserted"] == 7
    assert sleeps[0] == 7.0 and len(sleeps) == 3  # Retry-After honoured, then backoff for the 500 and the timeout
    assert source.api().stats == {"requests": 6, "retries": 3, "rate_limited": 1}
    assert pages_requested(server) == ["1", "1", "1", "2", "2", "3"]
    assert sorted(stored(warehouse)) == [f"r{n}" for n in range(7)]


def test_malformed_reviews_go_to_quarantine_named_by_record_and_field(warehouse: str, creds: None) -> None:
    data = dataset(4)
    no_id = review(90, days_ago=0.5)
    del no_id["id"]
    bad_date = review(91, days_ago=0.6)
    bad_date["createdAt"] = "yesterday"
    no_stars = review(92, days_ago=0.7, stars=None)  # type: ignore[arg-type]
    data[UNIT] += [no_id, bad_date, no_stars]
    with build_server(data) as server:
        result = sync_source(warehouse, make_source(server), run_id="r1")
        again = sync_source(warehouse, make_source(server, full_rescan_days=0), run_id="r2")
    assert (result["inserted"], result["quarantined"]) == (4, 3)
    assert sorted(stored(warehouse)) == ["r0", "r1", "r2", "r3"]
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("select source, account, record_ref, field, reason, payload->>'title' from quarantine.records "
                            "order by field").fetchall()
    assert rows == [
        ("trustpilot", UNIT, "r91", "createdAt", f"source=trustpilot account={UNIT} record=r91 field=createdAt: "
         "field 'createdAt' is not an ISO 8601 timestamp: 'yesterday'", "title 91"),
        ("trustpilot", UNIT, "page 1 item 2", "id", f"source=trustpilot account={UNIT} record=page 1 item 2 field=id: "
         "required field 'id' is missing or empty", "title 90"),
        ("trustpilot", UNIT, "r92", "stars", f"source=trustpilot account={UNIT} record=r92 field=stars: "
         "required field 'stars' is missing", "title 92"),
    ]
    assert again["quarantined"] == 2  # the two on pages 1-2 are read again...
    with psycopg.connect(warehouse) as conn:  # ...and stored once (quarantine dedups on the payload hash)
        assert conn.execute("select count(*) from quarantine.records").fetchone()[0] == 3


def test_killed_mid_sync_resumes_from_the_saved_page_without_loss_or_duplicates(warehouse: str, creds: None) -> None:
    data = dataset()
    with build_server(data) as server:
        source = make_source(server, attempts=2)
        original = source.batches

        def server_dies_after_page_1(account, cursor, *, since=None):  # type: ignore[no-untyped-def]
            for batch in original(account, cursor, since=since):
                yield batch
                server.inject(Fault(status=503, times=100))

        source.batches = server_dies_after_page_1  # type: ignore[method-assign]
        with pytest.raises(SourceHTTPError, match=r"\[trustpilot\] GET .* HTTP 503"):
            sync_source(warehouse, source, run_id="r1")
        assert sorted(stored(warehouse)) == ["r0", "r1", "r2"]
        assert saved_cursor(warehouse) == {"watermark": None, "last_full_scan_at": None,
                                           "resume": {"at": 2, "per_page": 3, "high": _ts(NOW - timedelta(hours=1)), "stop_at": None,
                                                      "full": True}}

        server.faults.clear()
        server.requests.clear()
        data[UNIT].insert(0, review(7, days_ago=0.01))  # arrives while the sync is down: shifts the pages by one
        resumed = sync_source(warehouse, make_source(server), run_id="r2")
        assert pages_requested(server) == ["2", "3"]
        assert (resumed["inserted"], resumed["unchanged"]) == (4, 1)  # r2 is read again (page shift), not duplicated
        assert sorted(stored(warehouse)) == [f"r{n}" for n in range(7)]
        assert saved_cursor(warehouse) == {"watermark": _ts(NOW - timedelta(hours=1)), "last_full_scan_at": "2026-10-31T12:00:00Z"}

        third = sync_source(warehouse, make_source(server), run_id="r3")  # the next run picks up the newcomer
        assert third["inserted"] == 1 and len(stored(warehouse)) == 8
        assert saved_cursor(warehouse)["watermark"] == _ts(NOW - timedelta(days=0.01))


def test_refused_resume_page_restarts_the_scan_and_unreadable_cursor_means_full_rescan(warehouse: str, creds: None) -> None:
    with build_server(dataset(), max_page=3) as server:
        with psycopg.connect(warehouse) as conn:
            conn.execute("insert into ops.sync_state (source, account, cursor, run_id) values ('trustpilot', %s, %s, 'r0')",
                         (UNIT, '{"watermark": null, "resume": {"at": 9, "per_page": 3, "high": null, "stop_at": null, "full": true}}'))
        result = sync_source(warehouse, make_source(server), run_id="r1")
        assert pages_requested(server) == ["9", "1", "2", "3"]
        assert result["inserted"] == 7
        assert saved_cursor(warehouse) == {"watermark": _ts(NOW - timedelta(hours=1)), "last_full_scan_at": "2026-10-31T12:00:00Z"}

        with psycopg.connect(warehouse) as conn:
            conn.execute("update ops.sync_state set cursor = %s", ('{"watermark": "not a date"}',))
        server.requests.clear()
        again = sync_source(warehouse, make_source(server), run_id="r2")
        assert pages_requested(server) == ["1", "2", "3"]  # the whole history again, nothing duplicated
        assert (again["inserted"], again["unchanged"]) == (0, 7)
        assert len(stored(warehouse)) == 7

        with psycopg.connect(warehouse) as conn:  # saved with another page size: page 3 would skip reviews
            conn.execute("update ops.sync_state set cursor = %s",
                         ('{"watermark": null, "resume": {"at": 3, "per_page": 2, "full": true}}',))
        server.requests.clear()
        sync_source(warehouse, make_source(server), run_id="r3")
        assert pages_requested(server) == ["1", "2", "3"]

    with psycopg.connect(warehouse) as conn:
        conn.execute("delete from ops.sync_state")
    with build_server(dataset(), max_page=2) as server:  # a paging limit hit by a fresh scan fails loudly
        with pytest.raises(SourceHTTPError, match="HTTP 400"):
            sync_source(warehouse, make_source(server), run_id="r3")
        assert pages_requested(server) == ["1", "2", "3"]


def test_private_endpoint_needs_the_bearer_token_and_keeps_the_referral_email(
    warehouse: str, creds: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {UNIT: [review(0, days_ago=1, referralEmail="ann@example.com", referenceId="O-9")]}
    with build_server(data, access_token="tok-123") as server:
        monkeypatch.setenv("CFM_TRUSTPILOT_ACCESS_TOKEN", "wrong")
        with pytest.raises(SourceHTTPError) as failed:
            sync_source(warehouse, make_source(server, private=True), run_id="r1")
        assert failed.value.status == 401 and "wrong" not in str(failed.value)
        monkeypatch.setenv("CFM_TRUSTPILOT_ACCESS_TOKEN", "tok-123")
        sync_source(warehouse, make_source(server, private=True), run_id="r2")
        assert server.requests[-1].path == f"/v1/private/business-units/{UNIT}/reviews"
    assert stored(warehouse)["r0"][1]["referralEmail"] == "ann@example.com"


def test_backfill_since_rereads_down_to_that_date_whatever_the_cursor(warehouse: str, creds: None) -> None:
    data = dataset()
    with build_server(data) as server:
        sync_source(warehouse, make_source(server), run_id="r1")
        before = saved_cursor(warehouse)
        data[UNIT][4] = copy.deepcopy(data[UNIT][4]) | {"text": "edited"}
        server.requests.clear()
        result = sync_source(warehouse, make_source(server), run_id="r2", since=NOW - timedelta(days=4, hours=12))
        assert pages_requested(server) == ["1", "2"]
        assert result["updated"] == 1 and stored(warehouse)["r4"][1]["text"] == "edited"
        assert saved_cursor(warehouse) == before


def test_missing_api_key_fails_naming_the_credential_not_a_value(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CFM_TRUSTPILOT_API_KEY", raising=False)
    monkeypatch.setattr("cfm.sources.credentials._from_airflow", lambda source, key: None)  # no Airflow here: skip its slow import
    with build_server(dataset()) as server:
        with pytest.raises(Exception, match="CFM_TRUSTPILOT_API_KEY"):
            sync_source(warehouse, make_source(server), run_id="r1")
        assert server.requests == []
