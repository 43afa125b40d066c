"""Qualtrics connector against the fake Qualtrics export API over real HTTP, landing in real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.base import SourceError
from cfm.sources.http import RetryPolicy
from cfm.sources.qualtrics import QualtricsSource
from cfm.testing.fake_api import FakeApiServer, Fault
from cfm.testing.fake_apis.qualtrics import TOKEN, QualtricsDataset, build_server

SURVEY = "SV_1"


def definition() -> dict[str, Any]:
    return {"SurveyID": SURVEY, "SurveyName": "Relationship NPS", "Questions": {
        "QID2": {"QuestionText": "How likely are you to <b>recommend</b> us?", "QuestionType": "MC", "Selector": "NPS",
                 "Choices": {str(i): {"Display": str(i)} for i in range(11)}},
        "QID3": {"QuestionText": "What is the main reason?", "QuestionType": "TE", "Selector": "ESTB"},
        "QID6": {"QuestionText": "Which areas?", "QuestionType": "MC", "Selector": "MAVR",
                 "Choices": {"1": {"Display": "Price"}, "2": {"Display": "Speed"}, "3": {"Display": "Support"}}},
    }}


def response(n: int, *, score: int = 9, text: str | None = None) -> dict[str, Any]:
    rid = f"R_{n:04d}"
    group = 1 if score <= 6 else 2 if score <= 8 else 3
    return {"responseId": rid, "values": {
        "startDate": f"2026-05-03T08:{n:02d}:00Z", "endDate": f"2026-05-03T08:{n:02d}:40Z", "status": 0, "progress": 100,
        "duration": 40, "finished": 1, "recordedDate": f"2026-05-03T08:{n:02d}:41.123Z", "_recordId": rid,
        "distributionChannel": "email", "userLanguage": "EN", "recipientEmail": f"r{n}@example.com",
        "externalDataReference": f"C-{n}", "QID2": score, "QID2_NPS_GROUP": group,
        "QID3_TEXT": text or f"reason {n}", "QID6": [1, 3], "customer_tier": "gold"},
        "labels": {"finished": "True", "QID2": str(score), "QID2_NPS_GROUP": ["Detractor", "Passive", "Promoter"][group - 1],
                   "QID6": ["Price", "Support"]},
        "displayedFields": ["QID2", "QID3_TEXT", "QID6"], "displayedValues": {}}


@pytest.fixture
def dataset() -> QualtricsDataset:
    data = QualtricsDataset(definitions={SURVEY: definition()})
    data.add(SURVEY, *(response(n, score=n + 4) for n in range(1, 6)))
    return data


@pytest.fixture
def server(dataset: QualtricsDataset, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    monkeypatch.setenv("CFM_QUALTRICS_TOKEN", TOKEN)
    with build_server(dataset) as srv:
        yield srv


def make_source(server: FakeApiServer, sleeps: list[float] | None = None, **config: Any) -> QualtricsSource:
    cfg = {"base_url": server.base_url + "/API/v3", "surveys": [SURVEY], "poll_interval_seconds": 0.5, "batch_size": 2,
           **config}
    return QualtricsSource(cfg, sleep=(sleeps if sleeps is not None else []).append,
                           policy=RetryPolicy(max_attempts=4, base_delay=0.01, timeout=0.5))


def stored(url: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, payload, run_id, source_updated_at from raw.qualtrics").fetchall()
    return {r[0]: {"payload": r[1], "run_id": r[2], "updated_at": r[3]} for r in rows}


def saved_cursor(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("select cursor from ops.sync_state where source = 'qualtrics' and account = %s", (SURVEY,)).fetchone()
    return row[0] if row else None


def export_bodies(server: FakeApiServer) -> list[dict[str, Any]]:
    return [r.json() for r in server.requests if r.method == "POST"]


def test_export_job_is_started_polled_downloaded_and_decoded(server: FakeApiServer, warehouse: str) -> None:
    sleeps: list[float] = []
    counts = sync_source(warehouse, make_source(server, sleeps), run_id="r1")

    assert (counts["inserted"], counts["quarantined"]) == (5, 0)
    rows = stored(warehouse)
    assert sorted(rows) == [f"R_000{n}" for n in range(1, 6)]
    r = rows["R_0002"]
    assert r["payload"]["response"]["values"]["customer_tier"] == "gold"
    assert r["payload"]["survey"]["questions"]["QID2"]["text"] == "How likely are you to recommend us?"
    m = r["payload"]["mapping"]
    assert (m["rating_type"], m["rating_question_id"], m["rating_value"], m["nps_group"]) == ("nps", "QID2", 6.0, "detractor")
    assert (m["text"], m["customer_email"], m["customer_external_id"], m["language"]) == ("reason 2", "r2@example.com", "C-2", "en")
    assert next(a for a in m["answers"] if a["question_id"] == "QID6")["answer_value"] == "Price, Support"
    assert rows["R_0005"]["payload"]["mapping"]["nps_group"] == "promoter"
    assert r["updated_at"] == datetime(2026, 5, 3, 8, 2, 41, 123000, tzinfo=UTC)
    assert saved_cursor(warehouse) == {"continuation_token": "CT_ES_000001", "watermark": "2026-05-03T08:05:41.123000+00:00"}

    assert export_bodies(server) == [{"format": "json", "compress": True, "useLabels": False, "allowContinuation": True}]
    assert sleeps == [0.5]  # one inProgress poll, then complete
    assert all(req.headers["x-api-token"] == TOKEN for req in server.requests)


def test_next_run_passes_the_continuation_token_and_gets_only_new_responses(
        server: FakeApiServer, dataset: QualtricsDataset, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    dataset.add(SURVEY, response(9, score=10, text="新的回复很好"))
    counts = sync_source(warehouse, make_source(server), run_id="r2")

    assert export_bodies(server)[-1]["continuationToken"] == "CT_ES_000001"
    assert (counts["received"], counts["inserted"]) == (1, 1)
    rows = stored(warehouse)
    assert len(rows) == 6 and rows["R_0009"]["payload"]["mapping"]["text"] == "新的回复很好"
    assert saved_cursor(warehouse) == {"continuation_token": "CT_ES_000002", "watermark": "2026-05-03T08:09:41.123000+00:00"}

    again = sync_source(warehouse, make_source(server), run_id="r3")
    assert again["received"] == 0 and len(stored(warehouse)) == 6


def test_rejected_continuation_token_falls_back_to_the_watermark_window(
        server: FakeApiServer, dataset: QualtricsDataset, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    dataset.issued_tokens.clear()  # the token expired on the Qualtrics side
    counts = sync_source(warehouse, make_source(server, overlap_minutes=2), run_id="r2")

    bodies = export_bodies(server)
    assert bodies[1]["continuationToken"] == "CT_ES_000001"
    assert "continuationToken" not in bodies[2] and bodies[2]["startDate"] == "2026-05-03T08:03:41Z"
    # R_0003 (08:03:41.123) is re-read too: the bound is truncated to the second, never rounded up
    assert (counts["received"], counts["unchanged"], counts["inserted"]) == (3, 3, 0)
    assert saved_cursor(warehouse)["continuation_token"] == "CT_ES_000002"


@pytest.mark.parametrize(
    "fault",
    [Fault(status=429, headers={"Retry-After": "1"}, path=r"/export-responses/ES_\d+\Z"),
     Fault(status=500, path=r"/file"), Fault(delay=1.5, path=r"/export-responses\Z")],
    ids=["429-on-poll", "500-on-download", "timeout-on-start"],
)
def test_retries_transient_failures_then_stores_everything(server: FakeApiServer, warehouse: str, fault: Fault) -> None:
    sleeps: list[float] = []
    server.inject(fault)
    counts = sync_source(warehouse, make_source(server, sleeps), run_id="r1")
    assert counts["inserted"] == 5 and len(stored(warehouse)) == 5
    assert len(sleeps) == 2  # the retry and the one inProgress poll
    assert fault.status != 429 or 1.0 in sleeps
    assert saved_cursor(warehouse)["continuation_token"] == "CT_ES_000001"


def test_failed_export_job_is_restarted(server: FakeApiServer, dataset: QualtricsDataset, warehouse: str) -> None:
    dataset.fail_next_jobs = 1
    counts = sync_source(warehouse, make_source(server), run_id="r1")
    assert counts["inserted"] == 5 and len(export_bodies(server)) == 2
    assert saved_cursor(warehouse)["continuation_token"] == "CT_ES_000002"

    dataset.fail_next_jobs = 5
    with pytest.raises(SourceError, match="export failed 2 times"):
        sync_source(warehouse, make_source(server), run_id="r2")
    assert saved_cursor(warehouse)["continuation_token"] == "CT_ES_000002"


def test_malformed_responses_go_to_quarantine(server: FakeApiServer, dataset: QualtricsDataset, warehouse: str) -> None:
    no_id = response(7)
    del no_id["responseId"], no_id["values"]["_recordId"]
    no_date = response(8)
    no_date["values"]["recordedDate"] = "not a date"
    dataset.add(SURVEY, no_id, no_date)
    counts = sync_source(warehouse, make_source(server), run_id="r1")
    assert (counts["inserted"], counts["quarantined"]) == (5, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by record_ref").fetchall()
    assert [r[:4] for r in q] == [("qualtrics", SURVEY, "R_0008", "values.recordedDate"),
                                  ("qualtrics", SURVEY, "item#5", "responseId")]
    assert "'not a date'" in q[0][4]


def test_killed_mid_export_keeps_the_old_cursor_and_the_rerun_duplicates_nothing(
        server: FakeApiServer, warehouse: str) -> None:
    class KilledAfterFirstBatch(QualtricsSource):
        def batches(self, account, cursor, *, since=None):
            for i, batch in enumerate(super().batches(account, cursor, since=since)):
                if i == 1:
                    raise RuntimeError("worker killed")
                yield batch

    with pytest.raises(RuntimeError):
        sync_source(warehouse, KilledAfterFirstBatch(make_source(server).config, sleep=[].append), run_id="r1")
    assert sorted(stored(warehouse)) == ["R_0001", "R_0002"]
    assert saved_cursor(warehouse) is None  # the export's token is saved only with its last batch

    counts = sync_source(warehouse, make_source(server), run_id="r2")
    assert (counts["received"], counts["inserted"], counts["unchanged"]) == (5, 3, 2)
    assert sorted(stored(warehouse)) == [f"R_000{n}" for n in range(1, 6)]
    assert saved_cursor(warehouse) == {"continuation_token": "CT_ES_000002", "watermark": "2026-05-03T08:05:41.123000+00:00"}


def test_backfill_rereads_an_edited_response_and_updates_it(
        server: FakeApiServer, dataset: QualtricsDataset, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    dataset.find(SURVEY, "R_0003")["values"]["QID3_TEXT"] = "edited by the survey owner"
    counts = sync_source(warehouse, make_source(server), run_id="r2", since=datetime(2026, 5, 3, 8, 0, tzinfo=UTC))

    assert "continuationToken" not in export_bodies(server)[-1]
    assert export_bodies(server)[-1]["startDate"] == "2026-05-03T08:00:00Z"
    assert (counts["inserted"], counts["updated"], counts["unchanged"]) == (0, 1, 4)
    rows = stored(warehouse)
    assert len(rows) == 5 and rows["R_0003"]["payload"]["mapping"]["text"] == "edited by the survey owner"
    assert rows["R_0003"]["run_id"] == "r2" and rows["R_0001"]["run_id"] == "r1"
