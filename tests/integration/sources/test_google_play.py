"""Google Play reviews connector against the fake androidpublisher API (real HTTP, googleapiclient, PostgreSQL)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import requests
from sync_helpers import google_test_source, raw_rows, sync_cursor

from cfm.pipeline.ingest import sync_source
from cfm.sources.google_play import GooglePlaySource
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.google_play import build_server

APP = "com.example.shop"
BASE = 1_780_000_000  # 2026-05-28T20:26:40Z


def _review(n: int, hours: int, stars: int = 4, text: str | None = None) -> dict[str, Any]:
    return {
        "reviewId": f"gp:{n}", "authorName": f"User {n}",
        "comments": [{"userComment": {
            "text": text or f"Title {n}\tBody of review {n}", "lastModified": {"seconds": str(BASE + hours * 3600), "nanos": 250000000},
            "starRating": stars, "reviewerLanguage": "en", "appVersionName": "4.2.1", "appVersionCode": 4021,
            "deviceMetadata": {"productName": "Pixel 8", "manufacturer": "Google"}, "someNewField": {"kept": True},
        }}],
    }


@pytest.fixture
def dataset() -> dict[str, Any]:
    return {"apps": {APP: [_review(n, n) for n in range(1, 8)]}}


@pytest.fixture
def server(dataset: dict[str, Any]):
    with build_server(dataset) as srv:
        yield srv


Source = google_test_source(GooglePlaySource, lambda server: {"base_url": server.base_url + "/", "page_size": 3, "apps": [APP]})


def _rows(url: str) -> dict[str, tuple]:
    return raw_rows(url, "google_play")


def _cursor(url: str) -> dict[str, Any] | None:
    return sync_cursor(url, "google_play", APP)


NEWEST = "2026-05-29T03:26:40.250000Z"  # review 7
ALL = [f"gp:{n}" for n in range(1, 8)]


def test_pages_newest_first_and_stops_at_the_watermark_on_the_next_run(server, warehouse: str) -> None:
    first = sync_source(warehouse, Source(server), run_id="r1")
    assert (first["inserted"], first["quarantined"]) == (7, 0)
    rows = _rows(warehouse)
    assert sorted(rows) == ALL
    comment = rows["gp:3"][2]["comments"][0]["userComment"]
    assert comment["starRating"] == 4 and comment["someNewField"] == {"kept": True}
    assert rows["gp:3"][3].isoformat() == "2026-05-28T23:26:40.250000+00:00"
    assert _cursor(warehouse) == {"last_modified": NEWEST}
    assert len(server.requests) == 3 and server.requests[0].query["maxResults"] == ["3"]
    assert all(r.headers["authorization"] == "Bearer fake-token" for r in server.requests)

    server.requests.clear()
    second = sync_source(warehouse, Source(server), run_id="r2")
    # page 1 (7, 6, 5) reaches the overlap; page 2 (4, 3, 2) is wholly older, so page 3 is never asked for
    assert (second["received"], second["inserted"], second["updated"]) == (6, 0, 0)
    assert len(server.requests) == 2
    assert _cursor(warehouse) == {"last_modified": NEWEST}


def test_fake_api_refuses_calls_without_a_bearer_token(server) -> None:
    assert requests.get(f"{server.base_url}/androidpublisher/v3/applications/{APP}/reviews", timeout=5).status_code == 401


def test_rate_limit_server_error_and_timeout_are_retried(server, warehouse: str) -> None:
    server.inject(Fault(status=429, headers={"Retry-After": "3"}), Fault(status=503), Fault(status=200, delay=1.5))
    source = Source(server)
    assert sync_source(warehouse, source, run_id="r1")["inserted"] == 7
    assert sorted(_rows(warehouse)) == ALL
    assert source.sleeps[0] == 3.0 and len(source.sleeps) == 3
    assert len(server.requests) == 3 + 3
    assert _cursor(warehouse) == {"last_modified": NEWEST}


def test_edited_review_and_developer_reply_update_rows_not_duplicate(server, dataset, warehouse: str) -> None:
    sync_source(warehouse, Source(server), run_id="r1")
    reviews = {r["reviewId"]: r for r in dataset["apps"][APP]}
    edited = reviews["gp:2"]["comments"][0]["userComment"]
    edited.update(starRating=1, text="Now it crashes", lastModified={"seconds": str(BASE + 30 * 3600), "nanos": 0})
    reviews["gp:3"]["comments"].append({"developerComment": {"text": "Thanks!", "lastModified": {"seconds": str(BASE + 29 * 3600), "nanos": 0}}})
    counts = sync_source(warehouse, Source(server), run_id="r2")
    assert (counts["inserted"], counts["updated"]) == (0, 2)
    rows = _rows(warehouse)
    assert sorted(rows) == ALL
    assert rows["gp:2"][2]["comments"][0]["userComment"]["starRating"] == 1 and rows["gp:2"][4] == "r2"
    assert rows["gp:3"][2]["comments"][1]["developerComment"]["text"] == "Thanks!"
    assert rows["gp:3"][3].isoformat() == "2026-05-30T01:26:40+00:00"
    assert rows["gp:4"][4] == "r1"
    assert _cursor(warehouse) == {"last_modified": "2026-05-30T02:26:40.000000Z"}


def test_malformed_reviews_go_to_quarantine_naming_record_and_field(server, dataset, warehouse: str) -> None:
    dataset["apps"][APP].insert(0, {"authorName": "No id", "comments": [{"userComment": {"text": "x", "lastModified": {"seconds": str(BASE + 9 * 3600)}, "starRating": 5}}]})
    dataset["apps"][APP].append({"reviewId": "gp:nodate", "comments": [{"developerComment": {"text": "hi", "lastModified": {"seconds": str(BASE)}}}]})
    counts = sync_source(warehouse, Source(server), run_id="r1")
    assert (counts["inserted"], counts["quarantined"]) == (7, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert q[0][:4] == ("google_play", APP, "gp:nodate", "comments.userComment.lastModified")
    assert q[1][:4] == ("google_play", APP, "position 0", "reviewId") and "missing" in q[1][4]
    assert sorted(_rows(warehouse)) == ALL


def test_killed_mid_listing_resumes_from_the_saved_token_then_a_rejected_token_restarts(server, dataset, warehouse: str) -> None:
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r1")
    assert sorted(_rows(warehouse)) == ["gp:5", "gp:6", "gp:7"]
    saved = _cursor(warehouse)
    assert saved["last_modified"] is None and saved["listing"]["max_seen"] == NEWEST and saved["listing"]["page_token"]

    server.requests.clear()
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r2")  # resumes at page 2, dies before page 3
    assert server.requests[0].query["token"] == [saved["listing"]["page_token"]]
    assert sorted(_rows(warehouse)) == ["gp:2", "gp:3", "gp:4", "gp:5", "gp:6", "gp:7"]

    dataset["token_epoch"] = 1  # the saved token has expired
    server.requests.clear()
    resumed = sync_source(warehouse, Source(server), run_id="r3")
    assert (resumed["inserted"], resumed["updated"]) == (1, 0)
    assert "token" in server.requests[0].query and "token" not in server.requests[1].query
    assert sorted(_rows(warehouse)) == ALL
    assert _cursor(warehouse) == {"last_modified": NEWEST}


def test_reviews_outside_the_api_window_are_simply_not_returned(server, dataset, warehouse: str) -> None:
    dataset["window_start"] = BASE + 4 * 3600
    counts = sync_source(warehouse, Source(server), run_id="r1")
    assert counts["inserted"] == 4
    assert sorted(_rows(warehouse)) == ["gp:4", "gp:5", "gp:6", "gp:7"]
