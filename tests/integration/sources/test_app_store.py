"""App Store Connect connector against the fake API over real HTTP (JWT checked), landing in real PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jwt
import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cfm.pipeline.ingest import sync_source
from cfm.sources.app_store import AppStoreSource
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.app_store import ISSUER_ID, KEY_ID, AppStoreDataset, build_server

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
APP = "1234567890"
OFFSETS = [-8, 8, -7, 4, 0, -3, 10]


@pytest.fixture
def warehouse(module_warehouse: str) -> str:
    """The module's database, emptied of everything this source writes, so each test starts clean."""
    with psycopg.connect(module_warehouse) as conn:
        conn.execute("truncate raw.app_store, ops.sync_state, quarantine.records")
    return module_warehouse


def _pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> ec.EllipticCurvePrivateKey:
    """A throwaway P-256 key for this test; its PEM goes in the environment like a real .p8."""
    private = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("CFM_APP_STORE_ISSUER_ID", ISSUER_ID)
    monkeypatch.setenv("CFM_APP_STORE_KEY_ID", KEY_ID)
    monkeypatch.setenv("CFM_APP_STORE_PRIVATE_KEY", _pem(private))
    return private


def created(n: int) -> datetime:
    return NOW - timedelta(days=n, hours=1)


def review(n: int, *, rating: int | None = 4, **attributes: Any) -> dict[str, Any]:
    local = created(n).astimezone(timezone(timedelta(hours=OFFSETS[n % len(OFFSETS)])))
    attrs = {"rating": rating, "title": f"title {n}", "body": f"body {n}", "reviewerNickname": f"nick{n}",
             "createdDate": local.isoformat(timespec="seconds"), "territory": "USA", **attributes}
    return {"type": "customerReviews", "id": f"rev-{n}", "attributes": attrs}


def response(n: int, body: str, modified: datetime) -> dict[str, Any]:
    return {"type": "customerReviewResponses", "id": f"resp-{n}",
            "attributes": {"responseBody": body, "lastModifiedDate": modified.astimezone(timezone(timedelta(hours=-7)))
                           .isoformat(timespec="seconds"), "state": "PUBLISHED"}}


def dataset(count: int = 7) -> AppStoreDataset:
    data = AppStoreDataset(reviews={APP: [review(n) for n in range(count)]})
    data.responses["rev-2"] = response(2, "Fixed in 4.2.1", created(2) + timedelta(hours=5))
    return data


def make_source(server: Any, *, sleeps: list[float] | None = None, now: datetime = NOW, timeout: float = 5.0,
                attempts: int = 4, clock: Any = time.time, **config: Any) -> AppStoreSource:
    cfg = {"base_url": f"{server.base_url}/v1", "apps": [APP], "page_size": 3, "rescan_days": 2,
           "overlap_minutes": 60, "full_rescan_days": 30, **config}
    sink = sleeps if sleeps is not None else []
    return AppStoreSource(cfg, sleep=sink.append, now=lambda: now, clock=clock,
                          policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, timeout=timeout))


def stored(url: str) -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, account, payload, source_updated_at, run_id from raw.app_store").fetchall()
    return {r[0]: r[1:] for r in rows}


def saved_cursor(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("select cursor from ops.sync_state where source = 'app_store' and account = %s", (APP,)).fetchone()
    return row[0] if row else None


def cursors_requested(server: Any) -> list[str | None]:
    return [r.arg("cursor") for r in server.requests]


def finished_cursor(newest: int = 0) -> dict[str, Any]:
    return {"watermark": created(newest).strftime("%Y-%m-%dT%H:%M:%SZ"), "last_full_scan_at": "2026-10-31T12:00:00Z"}


def test_pages_through_links_next_with_a_signed_token_and_normalises_offsets(
    warehouse: str, key: ec.EllipticCurvePrivateKey
) -> None:
    with build_server(dataset(), key.public_key()) as server:
        first = sync_source(warehouse, make_source(server), run_id="r1")
        assert (first["inserted"], first["quarantined"]) == (7, 0)
        assert len(server.requests) == 3 and cursors_requested(server)[0] is None
        assert all(c for c in cursors_requested(server)[1:])  # pages 2 and 3 follow the opaque cursor
        req = server.requests[0]
        assert req.path == f"/v1/apps/{APP}/customerReviews"
        assert (req.arg("sort"), req.arg("limit"), req.arg("include")) == ("-createdDate", "3", "response")

        token = req.headers["authorization"].removeprefix("Bearer ")
        assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": KEY_ID, "typ": "JWT"}
        claims = jwt.decode(token, key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1")
        assert claims["iss"] == ISSUER_ID and claims["exp"] - claims["iat"] == 900

        rows = stored(warehouse)
        assert sorted(rows) == [f"rev-{n}" for n in range(7)]
        rev0 = rows["rev-0"]
        assert rev0[0] == APP and rev0[1]["review"]["attributes"]["createdDate"] == "2026-10-31T03:00:00-08:00"
        assert rev0[2] == datetime(2026, 10, 31, 11, 0, tzinfo=UTC)  # -08:00 normalised to UTC
        assert rev0[1]["response"] is None
        rev2 = rows["rev-2"]
        assert rev2[1]["response"]["attributes"]["responseBody"] == "Fixed in 4.2.1"
        assert rev2[2] == created(2) + timedelta(hours=5)  # the response's lastModifiedDate, in UTC
        assert saved_cursor(warehouse) == finished_cursor()

        server.requests.clear()
        second = sync_source(warehouse, make_source(server), run_id="r2")
        assert len(server.requests) == 1  # page 1 already reaches back past now - 2 days
        assert (second["received"], second["inserted"], second["updated"]) == (3, 0, 0)
        assert stored(warehouse) == rows
        assert saved_cursor(warehouse) == finished_cursor()


def test_new_reviews_and_new_responses_are_upserted_not_duplicated(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    data = dataset()
    with build_server(data, key.public_key()) as server:
        sync_source(warehouse, make_source(server), run_id="r1")
        data.responses["rev-1"] = response(1, "Thanks, we are on it", NOW + timedelta(minutes=30))
        data.responses["rev-2"]["attributes"]["responseBody"] = "Fixed in 4.2.2"
        newcomer = review(0)
        newcomer["id"] = "rev-new"
        newcomer["attributes"]["createdDate"] = "2026-10-31T19:30:00+08:00"  # 11:30 UTC, newer than rev-0
        data.reviews[APP].insert(0, newcomer)

        result = sync_source(warehouse, make_source(server, now=NOW + timedelta(hours=1)), run_id="r2")
    assert (result["inserted"], result["updated"]) == (1, 2)
    rows = stored(warehouse)
    assert len(rows) == 8
    assert rows["rev-1"][1]["response"]["attributes"]["responseBody"] == "Thanks, we are on it" and rows["rev-1"][3] == "r2"
    assert rows["rev-2"][1]["response"]["attributes"]["responseBody"] == "Fixed in 4.2.2"
    assert rows["rev-0"][3] == "r1"
    assert saved_cursor(warehouse)["watermark"] == "2026-10-31T11:30:00Z"


def test_rate_limit_server_error_and_timeout_are_retried(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    sleeps: list[float] = []
    with build_server(dataset(), key.public_key()) as server:
        server.inject(
            Fault(status=429, headers={"Retry-After": "3"}, path="customerReviews",
                  body={"errors": [{"status": "429", "code": "RATE_LIMIT_EXCEEDED", "title": "The request rate limit has been reached."}]}),
            Fault(status=503),
            Fault(status=200, delay=1.5),
        )
        source = make_source(server, sleeps=sleeps, timeout=0.5)
        result = sync_source(warehouse, source, run_id="r1")
    assert result["inserted"] == 7
    assert sleeps[0] == 3.0 and len(sleeps) == 3
    assert source.api().stats == {"requests": 6, "retries": 3, "rate_limited": 1}
    assert source.rate_limit["user-hour-lim"] == 3600  # the quota header of the last page is kept
    assert sorted(stored(warehouse)) == [f"rev-{n}" for n in range(7)]


def test_malformed_reviews_go_to_quarantine_named_by_record_and_field(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    data = dataset(3)
    no_id = review(10)
    no_id["id"] = ""
    no_id["attributes"]["createdDate"] = NOW.isoformat()  # the newest: item 1 of page 1
    bad_date = review(11, createdDate="31/10/2026")
    no_rating = review(1, rating=None)
    no_rating["id"] = "rev-norating"
    data.reviews[APP] += [no_id, bad_date, no_rating]
    with build_server(data, key.public_key()) as server:
        result = sync_source(warehouse, make_source(server), run_id="r1")
    assert (result["inserted"], result["quarantined"]) == (3, 3)
    assert sorted(stored(warehouse)) == ["rev-0", "rev-1", "rev-2"]
    with psycopg.connect(warehouse) as conn:
        rows = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert rows == [
        ("app_store", APP, "rev-11", "attributes.createdDate",
         f"source=app_store account={APP} record=rev-11 field=attributes.createdDate: "
         "field 'attributes.createdDate' is not an ISO 8601 timestamp: '31/10/2026'"),
        ("app_store", APP, "rev-norating", "attributes.rating",
         f"source=app_store account={APP} record=rev-norating field=attributes.rating: required field 'attributes.rating' is missing"),
        ("app_store", APP, "page 1 item 1", "id",
         f"source=app_store account={APP} record=page 1 item 1 field=id: required field 'id' is missing or empty"),
    ]


def test_killed_mid_sync_resumes_from_the_saved_next_link(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    with build_server(dataset(), key.public_key()) as server:
        source = make_source(server, attempts=2)
        original = source.batches

        def server_dies_after_page_1(account, cursor, *, since=None):  # type: ignore[no-untyped-def]
            for batch in original(account, cursor, since=since):
                yield batch
                server.inject(Fault(status=500, times=100))

        source.batches = server_dies_after_page_1  # type: ignore[method-assign]
        with pytest.raises(SourceHTTPError, match=r"\[app_store\] GET .*customerReviews failed with HTTP 500"):
            sync_source(warehouse, source, run_id="r1")
        assert sorted(stored(warehouse)) == ["rev-0", "rev-1", "rev-2"]
        crashed = saved_cursor(warehouse)
        assert crashed["watermark"] is None and crashed["resume"]["full"] is True
        assert crashed["resume"]["at"].startswith(f"/v1/apps/{APP}/customerReviews?cursor=AQ.")
        assert "Bearer" not in str(crashed) and server.base_url not in str(crashed)

        server.faults.clear()
        server.requests.clear()
        resumed = sync_source(warehouse, make_source(server), run_id="r2")
        assert cursors_requested(server)[0] is not None  # went on from page 2, not from the top
        assert (resumed["received"], resumed["inserted"]) == (4, 4)
        assert sorted(stored(warehouse)) == [f"rev-{n}" for n in range(7)]
        assert saved_cursor(warehouse) == finished_cursor()


def test_expired_paging_cursor_restarts_from_the_newest_review(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    data = dataset()
    with build_server(data, key.public_key()) as server:
        source = make_source(server)
        original = source.batches

        def killed_after_page_1(account, cursor, *, since=None):  # type: ignore[no-untyped-def]
            yield next(original(account, cursor, since=since))
            raise RuntimeError("worker killed")

        source.batches = killed_after_page_1  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            sync_source(warehouse, source, run_id="r1")
        assert "resume" in saved_cursor(warehouse)

        data.expire_cursors()  # Apple's paging cursors do not live forever
        server.requests.clear()
        result = sync_source(warehouse, make_source(server), run_id="r2")
        assert [r.arg("cursor") is None for r in server.requests] == [False, True, False, False]
        assert server.requests[0].arg("cursor") not in cursors_requested(server)[2:]
        assert (result["inserted"], result["unchanged"]) == (4, 3)
        assert sorted(stored(warehouse)) == [f"rev-{n}" for n in range(7)]
        assert saved_cursor(warehouse) == finished_cursor()


def test_token_is_reminted_before_expiry_and_after_a_401(warehouse: str, key: ec.EllipticCurvePrivateKey) -> None:
    real = time.time()
    times = iter([real - 1300, real - 850])  # 1st token already expired; 2nd expires in ~50 s

    def clock() -> float:
        return next(times, time.time())

    with build_server(dataset(), key.public_key()) as server:
        source = make_source(server, clock=clock)
        result = sync_source(warehouse, source, run_id="r1")
    statuses_ok = len(server.tokens)  # type: ignore[attr-defined]
    assert result["inserted"] == 7
    assert len(server.requests) == 4 and statuses_ok == 3  # one 401, then three pages accepted
    first_sent = server.requests[0].headers["authorization"].removeprefix("Bearer ")
    assert first_sent not in server.tokens  # type: ignore[attr-defined]
    assert len(set(server.tokens)) == 2  # type: ignore[attr-defined]  # re-minted within a minute of expiry
    assert source.token.minted == 3


def test_a_key_apple_does_not_know_fails_with_401_and_never_shows_the_key(
    warehouse: str, key: ec.EllipticCurvePrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("CFM_APP_STORE_PRIVATE_KEY", _pem(other).replace("\n", "\\n"))  # escaped newlines accepted
    with build_server(dataset(), key.public_key()) as server:
        with pytest.raises(SourceHTTPError) as failed:
            sync_source(warehouse, make_source(server), run_id="r1")
    assert failed.value.status == 401 and "NOT_AUTHORIZED" in str(failed.value)
    assert "PRIVATE KEY" not in str(failed.value)
    assert len(server.requests) == 2  # one fresh token tried after the first 401, then give up
    assert stored(warehouse) == {}
