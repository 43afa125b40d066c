"""Google Forms connector against the fake Forms API (real HTTP, real googleapiclient, real PostgreSQL)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import requests
from sync_helpers import google_test_source, raw_rows, sync_cursor

from cfm.pipeline.ingest import sync_source
from cfm.sources.google_forms import GoogleFormsSource
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.google_forms import build_server

FORM = "1FAIpQLStest"


def _definition() -> dict[str, Any]:
    return {
        "formId": FORM, "revisionId": "00000021", "info": {"title": "After your order"},
        "items": [
            {"itemId": "i1", "title": "How likely are you to recommend us?",
             "questionItem": {"question": {"questionId": "q_nps", "required": True, "scaleQuestion": {"low": 0, "high": 10}}}},
            {"itemId": "i2", "title": "Why?", "questionItem": {"question": {"questionId": "q_why", "textQuestion": {"paragraph": True}}}},
        ],
    }


def _response(n: int, minute: int, score: str = "9", text: str | None = None) -> dict[str, Any]:
    stamp = f"2026-06-01T10:{minute:02d}:00.123456789Z"
    return {
        "responseId": f"r{n}", "createTime": stamp, "lastSubmittedTime": stamp, "respondentEmail": f"user{n}@example.com",
        "answers": {
            "q_nps": {"questionId": "q_nps", "textAnswers": {"answers": [{"value": score}]}},
            "q_why": {"questionId": "q_why", "textAnswers": {"answers": [{"value": text or f"answer {n}"}]}},
        },
    }


@pytest.fixture
def dataset() -> dict[str, Any]:
    return {"forms": {FORM: {"definition": _definition(), "responses": [_response(n, n) for n in range(1, 6)]}}}


@pytest.fixture
def server(dataset: dict[str, Any]):
    with build_server(dataset) as srv:
        yield srv


Source = google_test_source(GoogleFormsSource, lambda server: {"base_url": server.base_url + "/", "page_size": 2,
                  "forms": [{"id": FORM, "rating_question": "q_nps", "rating_type": "nps"}]})


def _rows(url: str) -> dict[str, tuple]:
    return raw_rows(url, "google_forms")


def _cursor(url: str) -> dict[str, Any] | None:
    return sync_cursor(url, "google_forms", FORM)


def _list_calls(server) -> list:
    return [r for r in server.requests if r.path.endswith("/responses")]


def test_lists_every_page_stores_each_response_once_and_saves_the_watermark(server, warehouse: str) -> None:
    first = sync_source(warehouse, Source(server), run_id="r1")
    assert (first["inserted"], first["updated"], first["quarantined"]) == (5, 0, 0)
    rows = _rows(warehouse)
    assert sorted(rows) == ["r1", "r2", "r3", "r4", "r5"]
    payload = rows["r3"][2]
    assert payload["response"]["answers"]["q_nps"]["textAnswers"]["answers"] == [{"value": "9"}]
    assert payload["form"]["questions"]["q_nps"] == {"title": "How likely are you to recommend us?", "kind": "scale", "low": 0, "high": 10}
    assert payload["mapping"] == {"rating": {"question_id": "q_nps", "type": "nps", "scale_min": 0, "scale_max": 10},
                                  "text_question_id": "q_why"}
    assert rows["r3"][3].isoformat() == "2026-06-01T10:03:00.123456+00:00"
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-01T10:05:00.123456Z"}
    calls = _list_calls(server)
    assert len(calls) == 3 and "filter" not in calls[0].query
    assert all(r.headers["authorization"] == "Bearer fake-token" for r in server.requests)

    server.requests.clear()
    second = sync_source(warehouse, Source(server), run_id="r2")
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, 5)
    assert _list_calls(server)[0].query["filter"] == ["timestamp >= 2026-06-01T09:05:00.123456Z"]
    assert {k: v[4] for k, v in _rows(warehouse).items()} == {f"r{n}": "r1" for n in range(1, 6)}


def test_fake_api_refuses_calls_without_a_bearer_token(server) -> None:
    assert requests.get(f"{server.base_url}/v1/forms/{FORM}/responses", timeout=5).status_code == 401


def test_rate_limit_server_error_and_timeout_are_retried(server, warehouse: str) -> None:
    server.inject(Fault(status=429, headers={"Retry-After": "7"}, path=r"/responses$"),
                  Fault(status=500, path=r"/responses$"),
                  Fault(status=200, delay=1.5, path=r"/responses$"))
    source = Source(server)
    counts = sync_source(warehouse, source, run_id="r1")
    assert counts["inserted"] == 5
    assert sorted(_rows(warehouse)) == ["r1", "r2", "r3", "r4", "r5"]
    assert source.sleeps[0] == 7.0 and len(source.sleeps) == 3
    assert len(_list_calls(server)) == 3 + 3
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-01T10:05:00.123456Z"}


def test_edited_response_updates_its_row(server, dataset, warehouse: str) -> None:
    sync_source(warehouse, Source(server), run_id="r1")
    edited = dataset["forms"][FORM]["responses"][1]
    edited["lastSubmittedTime"] = "2026-06-02T08:00:00Z"
    edited["answers"]["q_nps"]["textAnswers"]["answers"] = [{"value": "3"}]
    counts = sync_source(warehouse, Source(server), run_id="r2")
    assert (counts["inserted"], counts["updated"]) == (0, 1)
    rows = _rows(warehouse)
    assert len(rows) == 5
    assert rows["r2"][2]["response"]["answers"]["q_nps"]["textAnswers"]["answers"] == [{"value": "3"}]
    assert rows["r2"][4] == "r2" and rows["r1"][4] == "r1"
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-02T08:00:00.000000Z"}


def test_malformed_responses_go_to_quarantine_naming_record_and_field(server, dataset, warehouse: str) -> None:
    responses = dataset["forms"][FORM]["responses"]
    responses.append({"createTime": "2026-06-01T11:00:00Z", "lastSubmittedTime": "2026-06-01T11:00:00Z", "answers": {}})
    responses.append({"responseId": "r_bad_time", "createTime": "garbage", "lastSubmittedTime": "not a time"})
    counts = sync_source(warehouse, Source(server), run_id="r1")
    assert (counts["inserted"], counts["quarantined"]) == (5, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert q[0][:4] == ("google_forms", FORM, "r_bad_time", "lastSubmittedTime")
    assert q[1][:4] == ("google_forms", FORM, "position 1", "responseId") and "missing" in q[1][4]
    assert "r_bad_time" not in _rows(warehouse)


def test_killed_mid_listing_resumes_from_the_saved_page_token(server, warehouse: str) -> None:
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r1")
    assert sorted(_rows(warehouse)) == ["r1", "r2"]
    saved = _cursor(warehouse)
    assert saved["last_submitted_time"] is None and saved["listing"]["filter"] is None
    assert saved["listing"]["max_seen"] == "2026-06-01T10:02:00.123456Z" and saved["listing"]["page_token"]

    server.requests.clear()
    resumed = sync_source(warehouse, Source(server), run_id="r2")
    assert (resumed["inserted"], resumed["updated"]) == (3, 0)
    assert _list_calls(server)[0].query["pageToken"] == [saved["listing"]["page_token"]]
    assert sorted(_rows(warehouse)) == ["r1", "r2", "r3", "r4", "r5"]
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-01T10:05:00.123456Z"}


def test_rejected_page_token_restarts_the_listing_from_the_watermark(server, dataset, warehouse: str) -> None:
    with pytest.raises(RuntimeError):
        sync_source(warehouse, Source(server, crash_after=1), run_id="r1")
    dataset["token_epoch"] = 1
    server.requests.clear()
    resumed = sync_source(warehouse, Source(server), run_id="r2")
    assert (resumed["inserted"], resumed["unchanged"]) == (3, 2)
    calls = _list_calls(server)
    assert "pageToken" in calls[0].query and "pageToken" not in calls[1].query
    assert sorted(_rows(warehouse)) == ["r1", "r2", "r3", "r4", "r5"]
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-01T10:05:00.123456Z"}


def test_backfill_rereads_from_since_without_moving_the_watermark_back(server, warehouse: str) -> None:
    from datetime import UTC, datetime

    sync_source(warehouse, Source(server), run_id="r1")
    server.requests.clear()
    counts = sync_source(warehouse, Source(server), run_id="r2", since=datetime(2026, 5, 1, tzinfo=UTC))
    assert counts["unchanged"] == 5
    assert _list_calls(server)[0].query["filter"] == ["timestamp >= 2026-05-01T00:00:00.000000Z"]
    assert _cursor(warehouse) == {"last_submitted_time": "2026-06-01T10:05:00.123456Z"}
