"""Google Business Profile reviews connector against the fake v4 API (real HTTP via ApiClient, real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import requests
from google.oauth2.credentials import Credentials
from sync_helpers import google_test_source, raw_rows, sync_cursor

from cfm.pipeline.ingest import sync_source
from cfm.sources.google_business import GoogleBusinessSource
from cfm.sources.http import RetryPolicy
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.google_business import build_server

LOC = "accounts/123/locations/456"
STARS = ["ONE", "TWO", "THREE", "FOUR", "FIVE"]


def _review(n: int, hour: int) -> dict[str, Any]:
    return {
        "name": f"{LOC}/reviews/AbF{n}", "reviewId": f"AbF{n}",
        "reviewer": {"displayName": f"Guest {n}", "isAnonymous": False, "profilePhotoUrl": "https://lh3.example/x"},
        "starRating": STARS[n % 5], "comment": f"Visit number {n}", "createTime": f"2026-07-01T{hour:02d}:00:00.5Z",
        "updateTime": f"2026-07-01T{hour:02d}:00:00.5Z",
    }


@pytest.fixture
def dataset() -> dict[str, Any]:
    return {"locations": {LOC: [_review(n, n) for n in range(1, 8)]}}


@pytest.fixture
def server(dataset: dict[str, Any]):
    with build_server(dataset) as srv:
        yield srv


Source = google_test_source(GoogleBusinessSource, lambda server: {"base_url": server.base_url + "/v4/", "page_size": 3, "locations": [LOC]})


def _rows(url: str) -> dict[str, tuple]:
    return raw_rows(url, "google_business")


def _cursor(url: str) -> dict[str, Any] | None:
    return sync_cursor(url, "google_business", LOC)


NEWEST = "2026-07-01T07:00:00.500000Z"
ALL = [f"AbF{n}" for n in range(1, 8)]


def test_pages_newest_first_and_stops_at_the_watermark_on_the_next_run(server, warehouse: str) -> None:
    first = sync_source(warehouse, Source(server), run_id="r1")
    assert (first["inserted"], first["quarantined"]) == (7, 0)
    rows = _rows(warehouse)
    assert sorted(rows) == ALL
    assert rows["AbF3"][1] == LOC and rows["AbF3"][2]["starRating"] == "FOUR" and rows["AbF3"][2]["comment"] == "Visit number 3"
    assert rows["AbF3"][3].isoformat() == "2026-07-01T03:00:00.500000+00:00"
    assert _cursor(warehouse) == {"update_time": NEWEST}
    assert len(server.requests) == 3
    assert server.requests[0].path == f"/v4/{LOC}/reviews"
    assert server.requests[0].query == {"pageSize": ["3"], "orderBy": ["updateTime desc"]}
    assert all(r.headers["authorization"] == "Bearer fake-token" for r in server.requests)

    server.requests.clear()
    second = sync_source(warehouse, Source(server), run_id="r2")
    assert (second["received"], second["inserted"], second["updated"]) == (6, 0, 0)
    assert len(server.requests) == 2
    assert _cursor(warehouse) == {"update_time": NEWEST}


def test_fake_api_refuses_calls_without_a_bearer_token(server) -> None:
    assert requests.get(f"{server.base_url}/v4/{LOC}/reviews", timeout=5).status_code == 401


def test_rate_limit_server_error_and_timeout_are_retried(server, warehouse: str) -> None:
    server.inject(Fault(status=429, headers={"Retry-After": "2"}), Fault(status=500), Fault(status=200, delay=1.5))
    source = Source(server)
    assert sync_source(warehouse, source, run_id="r1")["inserted"] == 7
    assert sorted(_rows(warehouse)) == ALL
    assert source.sleeps[0] == 2.0 and len(source.sleeps) == 3
    assert len(server.requests) == 3 + 3
    assert _cursor(warehouse) == {"update_time": NEWEST}


def test_edited_review_and_new_reply_update_rows_not_duplicate(server, dataset, warehouse: str) -> None:
    sync_source(warehouse, Source(server), run_id="r1")
    review = dataset["locations"][LOC][1]
    review.update(starRating="ONE", comment="Changed my mind", updateTime="2026-07-02T09:30:00Z",
                  reviewReply={"comment": "Sorry to hear that", "updateTime": "2026-07-02T10:00:00Z"})
    counts = sync_source(warehouse, Source(server), run_id="r2")
    assert (counts["inserted"], counts["updated"]) == (0, 1)
    rows = _rows(warehouse)
    assert sorted(rows) == ALL
    assert rows["AbF2"][2]["starRating"] == "ONE" and rows["AbF2"][2]["reviewReply"]["comment"] == "Sorry to hear that"
    assert rows["AbF2"][4] == "r2" and rows["AbF1"][4] == "r1"
    assert _cursor(warehouse) == {"update_time": "2026-07-02T09:30:00.000000Z"}


def test_malformed_reviews_go_to_quarantine_naming_record_and_field(server, dataset, warehouse: str) -> None:
    dataset["locations"][LOC].append({"starRating": "FIVE", "updateTime": "2026-07-01T08:00:00Z"})
    dataset["locations"][LOC].append({"reviewId": "AbFbad", "starRating": "FIVE", "updateTime": "yesterday"})
    counts = sync_source(warehouse, Source(server), run_id="r1")
    assert (counts["inserted"], counts["quarantined"]) == (7, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert [row[:4] for row in q] == [("google_business", LOC, "position 0", "reviewId"),
                                      ("google_business", LOC, "AbFbad", "updateTime")]
    assert sorted(_rows(warehouse)) == ALL


def test_killed_mid_listing_resumes_from_the_saved_token_then_a_rejected_token_restarts(server, dataset, warehouse: str) -> None:
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r1")
    assert sorted(_rows(warehouse)) == ["AbF5", "AbF6", "AbF7"]
    saved = _cursor(warehouse)
    assert saved["update_time"] is None and saved["listing"]["max_seen"] == NEWEST and saved["listing"]["page_token"]

    server.requests.clear()
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r2")
    assert server.requests[0].query["pageToken"] == [saved["listing"]["page_token"]]
    assert sorted(_rows(warehouse)) == ["AbF2", "AbF3", "AbF4", "AbF5", "AbF6", "AbF7"]

    dataset["token_epoch"] = 1
    server.requests.clear()
    resumed = sync_source(warehouse, Source(server), run_id="r3")
    assert (resumed["inserted"], resumed["updated"]) == (1, 0)
    assert "pageToken" in server.requests[0].query and "pageToken" not in server.requests[1].query
    assert sorted(_rows(warehouse)) == ALL
    assert _cursor(warehouse) == {"update_time": NEWEST}


class _RefreshingCredentials(Credentials):
    """OAuth user credentials whose refresh hands out a new token without calling Google."""

    def refresh(self, request) -> None:
        self.token = "fresh-token"


def test_a_401_refreshes_the_token_once_and_retries(server, warehouse: str) -> None:
    server.inject(Fault(status=401, body={"error": {"code": 401, "status": "UNAUTHENTICATED"}}))
    source = GoogleBusinessSource({"base_url": server.base_url + "/v4/", "page_size": 50, "locations": [LOC]},
                                  credentials=_RefreshingCredentials("stale-token", refresh_token="rt"),
                                  policy=RetryPolicy(max_attempts=2, timeout=0.5, base_delay=0.01), sleep=lambda s: None)
    assert sync_source(warehouse, source, run_id="r1")["inserted"] == 7
    assert [r.headers["authorization"] for r in server.requests] == ["Bearer stale-token", "Bearer fresh-token"]
