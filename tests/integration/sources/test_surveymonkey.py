"""SurveyMonkey connector against the fake SurveyMonkey API over real HTTP, landing in real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.http import RetryPolicy
from cfm.sources.surveymonkey import SurveyMonkeySource
from cfm.testing.fake_api import FakeApiServer, Fault
from cfm.testing.fake_apis.surveymonkey import TOKEN, SurveyMonkeyDataset, build_server

SURVEY = "S1"
CSAT_TEXTS = ["Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied"]


def details() -> dict[str, Any]:
    return {
        "id": SURVEY, "title": "After delivery", "language": "en",
        "pages": [{"id": "p1", "questions": [
            {"id": "Q1", "family": "matrix", "subtype": "rating", "headings": [{"heading": "<b>How likely</b> are you to recommend us?"}],
             "answers": {"rows": [{"id": "row1", "text": ""}],
                         "choices": [{"id": f"n{i}", "text": str(i), "position": i + 1} for i in range(11)]}},
            {"id": "Q2", "family": "single_choice", "subtype": "vertical", "headings": [{"heading": "How satisfied are you?"}],
             "answers": {"choices": [{"id": f"c{i}", "text": t, "position": i + 1} for i, t in enumerate(CSAT_TEXTS)],
                         "other": {"id": "oth", "text": "Other"}}},
            {"id": "Q3", "family": "open_ended", "subtype": "essay", "headings": [{"heading": "Anything else?"}]},
        ]}],
    }


def response(n: int, *, nps: int = 8, csat: int = 1, text: str | None = None, modified: str | None = None) -> dict[str, Any]:
    return {
        "id": f"R{n:03d}", "survey_id": SURVEY, "collector_id": "col1", "response_status": "completed",
        "custom_value": f"C-{n}", "email_address": f"Person{n}@Example.com", "language": "en", "total_time": 60,
        "date_created": f"2026-05-02T09:{n:02d}:00+00:00", "date_modified": modified or f"2026-05-02T10:{n:02d}:00+00:00",
        "custom_variables": {"order": f"O-{n}"}, "metadata": {"contact": {}},
        "pages": [{"id": "p1", "questions": [
            {"id": "Q1", "answers": [{"choice_id": f"n{nps}", "row_id": "row1"}]},
            {"id": "Q2", "answers": [{"choice_id": f"c{csat - 1}"}]},
            {"id": "Q3", "answers": [{"text": text or f"note {n}", "tag_data": []}]},
        ]}],
    }


@pytest.fixture
def dataset() -> SurveyMonkeyDataset:
    data = SurveyMonkeyDataset(details={SURVEY: details()})
    data.add(SURVEY, *(response(n, nps=n) for n in (5, 1, 4, 2, 3)))  # stored out of date order on purpose
    return data


@pytest.fixture
def server(dataset: SurveyMonkeyDataset, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    monkeypatch.setenv("CFM_SURVEYMONKEY_TOKEN", TOKEN)
    with build_server(dataset) as srv:
        yield srv


def make_source(server: FakeApiServer, sleeps: list[float] | None = None, **config: Any) -> SurveyMonkeySource:
    cfg = {"base_url": server.base_url + "/v3", "surveys": [{"id": SURVEY, "csat_question": "Q2", "csat_reverse": True}],
           "per_page": 2, "overlap_minutes": 60, **config}
    return SurveyMonkeySource(cfg, sleep=(sleeps if sleeps is not None else []).append,
                              policy=RetryPolicy(max_attempts=4, base_delay=0.01, timeout=0.5))


def stored(url: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, payload, run_id from raw.surveymonkey").fetchall()
    return {r[0]: {"payload": r[1], "run_id": r[2]} for r in rows}


def saved_cursor(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("select cursor from ops.sync_state where source = 'surveymonkey' and account = %s", (SURVEY,)).fetchone()
    return row[0] if row else None


def bulk_queries(server: FakeApiServer) -> list[dict[str, list[str]]]:
    return [r.query for r in server.requests if r.path.endswith("/responses/bulk")]


def test_follows_links_next_and_turns_choice_ids_into_scores(server: FakeApiServer, warehouse: str) -> None:
    counts = sync_source(warehouse, make_source(server), run_id="r1")

    assert (counts["inserted"], counts["quarantined"]) == (5, 0)
    rows = stored(warehouse)
    assert sorted(rows) == ["R001", "R002", "R003", "R004", "R005"]
    p = rows["R004"]["payload"]
    assert p["response"]["custom_variables"] == {"order": "O-4"}
    assert p["survey"]["questions"]["Q1"]["heading"] == "How likely are you to recommend us?"
    m = p["mapping"]
    # csat_question is configured, so it is the main rating; "Very satisfied" is listed first (csat_reverse)
    assert (m["rating_type"], m["rating_question_id"], m["rating_value"], m["rating_value_raw"]) == (
        "csat", "Q2", 5.0, "Very satisfied")
    assert (m["rating_scale_min"], m["rating_scale_max"]) == (1.0, 5.0)
    nps_answer = next(a for a in m["answers"] if a["question_id"] == "Q1")
    assert (nps_answer["answer_value"], nps_answer["answer_number"]) == ("4", 4.0)
    assert (m["text"], m["customer_email"], m["customer_external_id"]) == ("note 4", "Person4@Example.com", "C-4")
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T10:05:00+00:00"}

    queries = bulk_queries(server)
    assert [q["page"][0] if "page" in q else "1" for q in queries] == ["1", "2", "3"]
    assert queries[0]["sort_by"] == ["date_modified"] and queries[0]["sort_order"] == ["ASC"]
    assert "start_modified_at" not in queries[0]


def test_without_config_the_nps_subtype_is_the_rating(server: FakeApiServer, dataset: SurveyMonkeyDataset, warehouse: str) -> None:
    dataset.details[SURVEY]["pages"][0]["questions"][0]["subtype"] = "nps"
    sync_source(warehouse, make_source(server, surveys=[SURVEY]), run_id="r1")
    m = stored(warehouse)["R003"]["payload"]["mapping"]
    assert (m["rating_type"], m["rating_value"], m["rating_scale_max"]) == ("nps", 3.0, 10)


@pytest.mark.parametrize(
    "fault",
    [Fault(status=429, headers={"Retry-After": "2"}, path=r"/bulk"), Fault(status=503, path=r"/bulk"),
     Fault(delay=1.5, path=r"/bulk")],
    ids=["429-retry-after", "503", "timeout"],
)
def test_retries_transient_failures_then_stores_everything(server: FakeApiServer, warehouse: str, fault: Fault) -> None:
    sleeps: list[float] = []
    server.inject(fault)
    counts = sync_source(warehouse, make_source(server, sleeps), run_id="r1")
    assert counts["inserted"] == 5 and len(stored(warehouse)) == 5
    assert len(sleeps) == 1 and (fault.status != 429 or sleeps == [2.0])
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T10:05:00+00:00"}


def test_spent_minute_quota_pauses_until_the_reset(server: FakeApiServer, dataset: SurveyMonkeyDataset, warehouse: str) -> None:
    dataset.minute_remaining = 0
    sleeps: list[float] = []
    sync_source(warehouse, make_source(server, sleeps), run_id="r1")
    assert sleeps == [7.0] * 4  # details + 3 pages, each answered with Minute-Remaining: 0 and Reset: 7


def test_edit_after_first_sync_updates_the_row_and_second_run_stores_nothing_twice(
        server: FakeApiServer, dataset: SurveyMonkeyDataset, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    same = sync_source(warehouse, make_source(server), run_id="r2")
    assert (same["inserted"], same["updated"]) == (0, 0) and same["unchanged"] == 5  # all within the 60 min overlap
    assert bulk_queries(server)[-1]["start_modified_at"] == ["2026-05-02T09:05:00"]

    edited = dataset.find(SURVEY, "R002")
    edited["date_modified"] = "2026-05-03T08:00:00+00:00"
    edited["pages"][0]["questions"][2]["answers"][0]["text"] = "changed my mind: great"
    counts = sync_source(warehouse, make_source(server), run_id="r3")
    assert (counts["inserted"], counts["updated"]) == (0, 1)
    rows = stored(warehouse)
    assert len(rows) == 5
    assert rows["R002"]["payload"]["mapping"]["text"] == "changed my mind: great" and rows["R002"]["run_id"] == "r3"
    assert rows["R001"]["run_id"] == "r1"
    assert saved_cursor(warehouse) == {"watermark": "2026-05-03T08:00:00+00:00"}


def test_malformed_responses_go_to_quarantine(server: FakeApiServer, dataset: SurveyMonkeyDataset, warehouse: str) -> None:
    no_id = response(7)
    del no_id["id"]
    no_date = response(8)
    del no_date["date_modified"], no_date["date_created"]
    dataset.add(SURVEY, no_id, no_date)
    counts = sync_source(warehouse, make_source(server, per_page=100), run_id="r1")
    assert (counts["inserted"], counts["quarantined"]) == (5, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert [r[:4] for r in q] == [("surveymonkey", SURVEY, "R008", "date_modified"), ("surveymonkey", SURVEY, "item#6", "id")]


def test_killed_after_the_first_page_loses_and_duplicates_nothing(server: FakeApiServer, warehouse: str) -> None:
    class FailAfterFirstPage(SurveyMonkeySource):
        def batches(self, account, cursor, *, since=None):
            for batch in super().batches(account, cursor, since=since):
                yield batch
                server.inject(Fault(status=500, path=r"/bulk", times=99))  # the API goes down for good

    broken = FailAfterFirstPage(make_source(server).config, sleep=[].append,
                                policy=RetryPolicy(max_attempts=2, base_delay=0.01, timeout=0.5))
    with pytest.raises(Exception, match="HTTP 500"):
        sync_source(warehouse, broken, run_id="r1")
    assert sorted(stored(warehouse)) == ["R001", "R002"]
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T10:02:00+00:00"}

    server.faults.clear()
    counts = sync_source(warehouse, make_source(server), run_id="r2")
    assert counts["inserted"] == 3
    assert sorted(stored(warehouse)) == ["R001", "R002", "R003", "R004", "R005"]
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T10:05:00+00:00"}


def test_unreadable_saved_watermark_rereads_from_start_date(server: FakeApiServer, warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        conn.execute("insert into ops.sync_state (source, account, cursor, run_id, updated_at) "
                     "values ('surveymonkey', %s, %s, 'r0', now())", (SURVEY, '{"watermark": "garbage"}'))
    counts = sync_source(warehouse, make_source(server, start_date="2026-05-02T10:03:00Z"), run_id="r1")
    assert bulk_queries(server)[0]["start_modified_at"] == ["2026-05-02T10:03:00"]
    assert counts["inserted"] == 3 and sorted(stored(warehouse)) == ["R003", "R004", "R005"]
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T10:05:00+00:00"}
