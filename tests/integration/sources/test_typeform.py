"""Typeform connector against the fake Typeform API over real HTTP, landing in real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.typeform import TypeformSource
from cfm.testing.fake_api import FakeApiServer, Fault
from cfm.testing.fake_apis.typeform import TOKEN, TypeformDataset, build_server

FORM = "F1"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # with lag 30 min the window ends 11:30:00


def definition() -> dict[str, Any]:
    return {
        "id": FORM, "title": "Delivery survey", "settings": {"language": "en"},
        "fields": [
            {"id": "nps01", "ref": "nps", "title": "How likely are you to recommend us?", "type": "nps", "properties": {}},
            {"id": "txt01", "ref": "why", "title": "Why?", "type": "long_text"},
            {"id": "em01", "ref": "email", "title": "Your email", "type": "email"},
        ],
    }


def response(n: int, *, score: int = 7, text: str | None = None, day: int = 1) -> dict[str, Any]:
    token = f"tok{n:03d}"
    return {
        "landing_id": token, "token": token, "response_id": token, "response_type": "completed",
        "landed_at": f"2026-05-{day:02d}T10:{n:02d}:00Z", "submitted_at": f"2026-05-{day:02d}T10:{n:02d}:30Z",
        "metadata": {"platform": "other", "browser": "default"}, "hidden": {"customer_id": f"C-{n}"},
        "answers": [
            {"field": {"id": "nps01", "ref": "nps", "type": "nps"}, "type": "number", "number": score},
            {"field": {"id": "txt01", "ref": "why", "type": "long_text"}, "type": "text", "text": text or f"comment {n}"},
            {"field": {"id": "em01", "ref": "email", "type": "email"}, "type": "email", "email": f"user{n}@example.com"},
        ],
    }


@pytest.fixture
def dataset() -> TypeformDataset:
    data = TypeformDataset(forms={FORM: definition()})
    data.add(FORM, *(response(n, score=n % 11) for n in range(1, 6)))
    return data


@pytest.fixture
def server(dataset: TypeformDataset, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApiServer]:
    monkeypatch.setenv("CFM_TYPEFORM_TOKEN", TOKEN)
    with build_server(dataset) as srv:
        yield srv


def make_source(server: FakeApiServer, sleeps: list[float] | None = None, **config: Any) -> TypeformSource:
    cfg = {"base_url": server.base_url, "forms": [{"id": FORM, "nps_field": "nps", "text_field": "why"}], "page_size": 2,
           "lag_minutes": 30, "overlap_minutes": 60, **config}
    return TypeformSource(cfg, sleep=(sleeps if sleeps is not None else []).append,
                          policy=RetryPolicy(max_attempts=4, base_delay=0.01, timeout=0.5), clock=lambda: NOW)


def stored(url: str) -> dict[str, dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, payload, run_id, source_updated_at from raw.typeform").fetchall()
    return {r[0]: {"payload": r[1], "run_id": r[2], "updated_at": r[3]} for r in rows}


def saved_cursor(url: str) -> dict[str, Any] | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("select cursor from ops.sync_state where source = 'typeform' and account = %s", (FORM,)).fetchone()
    return row[0] if row else None


def response_requests(server: FakeApiServer) -> list[dict[str, list[str]]]:
    return [r.query for r in server.requests if r.path.endswith("/responses")]


def test_walks_every_page_and_maps_questions_through_the_definition(server: FakeApiServer, warehouse: str) -> None:
    counts = sync_source(warehouse, make_source(server), run_id="r1")

    assert (counts["inserted"], counts["quarantined"]) == (5, 0)
    rows = stored(warehouse)
    assert sorted(rows) == ["tok001", "tok002", "tok003", "tok004", "tok005"]
    first = rows["tok003"]["payload"]
    assert first["response"]["hidden"] == {"customer_id": "C-3"}
    assert first["form"]["fields"]["nps01"]["title"] == "How likely are you to recommend us?"
    mapping = first["mapping"]
    assert (mapping["rating_type"], mapping["rating_value"], mapping["rating_scale_min"], mapping["rating_scale_max"]) == (
        "nps", 3.0, 0, 10)
    assert (mapping["text"], mapping["customer_email"], mapping["language"]) == ("comment 3", "user3@example.com", "en")
    assert rows["tok003"]["updated_at"] == datetime(2026, 5, 1, 10, 3, 30, tzinfo=UTC)
    assert saved_cursor(warehouse) == {"watermark": "2026-06-01T11:30:00"}

    queries = response_requests(server)
    assert len(queries) == 3  # 2 + 2 + 1
    assert queries[0]["sort"] == ["submitted_at,asc"] and "after" not in queries[0] and "since" not in queries[0]
    assert queries[1]["after"] == ["tok002"] and "sort" not in queries[1]
    assert queries[2]["after"] == ["tok004"]
    assert all(q["until"] == ["2026-06-01T11:30:00"] for q in queries)
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests)


@pytest.mark.parametrize(
    "fault",
    [Fault(status=429, headers={"Retry-After": "1"}, path=r"/responses"), Fault(status=500, path=r"/responses"),
     Fault(delay=1.5, path=r"/responses")],
    ids=["429-retry-after", "500", "timeout"],
)
def test_retries_transient_failures_then_stores_everything(server: FakeApiServer, warehouse: str, fault: Fault) -> None:
    sleeps: list[float] = []
    server.inject(fault)
    counts = sync_source(warehouse, make_source(server, sleeps), run_id="r1")

    assert counts["inserted"] == 5
    assert len(stored(warehouse)) == 5
    assert len(sleeps) == 1
    if fault.status == 429:
        assert sleeps == [1.0]
    assert saved_cursor(warehouse) == {"watermark": "2026-06-01T11:30:00"}


def test_missing_token_fails_without_leaking_it(server: FakeApiServer, warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFM_TYPEFORM_TOKEN", "wrong-secret-value")
    with pytest.raises(SourceHTTPError) as err:
        sync_source(warehouse, make_source(server), run_id="r1")
    assert err.value.status == 401 and "wrong-secret-value" not in str(err.value)
    assert stored(warehouse) == {} and saved_cursor(warehouse) is None


def test_second_run_rereads_only_the_overlap_and_stores_each_response_once(
        server: FakeApiServer, dataset: TypeformDataset, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    dataset.add(FORM, response(40, score=10, day=31) | {"submitted_at": "2026-06-01T12:00:00Z"})
    later = make_source(server)
    later._clock = lambda: datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    counts = sync_source(warehouse, later, run_id="r2")

    assert (counts["received"], counts["inserted"], counts["updated"]) == (1, 1, 0)
    rows = stored(warehouse)
    assert len(rows) == 6 and rows["tok040"]["run_id"] == "r2" and rows["tok001"]["run_id"] == "r1"
    assert response_requests(server)[-1]["since"] == ["2026-06-01T10:30:00"]  # watermark 11:30 minus 60 min overlap
    assert saved_cursor(warehouse) == {"watermark": "2026-06-01T12:30:00"}

    again = sync_source(warehouse, later, run_id="r3")
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 1)
    assert len(stored(warehouse)) == 6


def test_late_edit_inside_the_overlap_updates_the_row(server: FakeApiServer, dataset: TypeformDataset, warehouse: str) -> None:
    dataset.add(FORM, response(50, score=2, text="late courier") | {"submitted_at": "2026-06-01T11:10:00Z"})
    sync_source(warehouse, make_source(server), run_id="r1")
    dataset.find(FORM, "tok050")["answers"][1]["text"] = "late courier, refund arrived"
    counts = sync_source(warehouse, make_source(server), run_id="r2")

    assert (counts["inserted"], counts["updated"]) == (0, 1)
    rows = stored(warehouse)
    assert len(rows) == 6
    assert rows["tok050"]["payload"]["mapping"]["text"] == "late courier, refund arrived" and rows["tok050"]["run_id"] == "r2"


def test_malformed_responses_go_to_quarantine_naming_record_and_field(
        server: FakeApiServer, dataset: TypeformDataset, warehouse: str) -> None:
    no_id = response(60)
    for key in ("token", "response_id", "landing_id"):
        no_id.pop(key)
    bad_date = response(61) | {"submitted_at": "yesterday"}
    dataset.add(FORM, no_id, bad_date)
    counts = sync_source(warehouse, make_source(server, page_size=10), run_id="r1")

    assert (counts["inserted"], counts["quarantined"]) == (5, 2)
    with psycopg.connect(warehouse) as conn:
        q = conn.execute("select source, account, record_ref, field, reason from quarantine.records order by field").fetchall()
    assert q[0][:4] == ("typeform", FORM, "item#5", "response_id")
    assert q[1][:4] == ("typeform", FORM, "tok061", "submitted_at") and "'yesterday'" in q[1][4]


def test_killed_mid_sync_resumes_after_the_last_stored_page(server: FakeApiServer, warehouse: str) -> None:
    class KilledAfterFirstPage(TypeformSource):
        def batches(self, account, cursor, *, since=None):
            for i, batch in enumerate(super().batches(account, cursor, since=since)):
                if i == 1:
                    raise RuntimeError("worker killed")
                yield batch

    killed = KilledAfterFirstPage(make_source(server).config, sleep=[].append, clock=lambda: NOW)
    with pytest.raises(RuntimeError):
        sync_source(warehouse, killed, run_id="r1")
    assert sorted(stored(warehouse)) == ["tok001", "tok002"]
    assert saved_cursor(warehouse) == {"watermark": None, "window": {"since": None, "until": "2026-06-01T11:30:00"},
                                       "resume_after": "tok002"}

    counts = sync_source(warehouse, make_source(server), run_id="r2")
    assert (counts["received"], counts["inserted"]) == (3, 3)
    assert sorted(stored(warehouse)) == [f"tok00{n}" for n in range(1, 6)]
    assert response_requests(server)[-2]["after"] == ["tok002"]
    assert saved_cursor(warehouse) == {"watermark": "2026-06-01T11:30:00"}


def test_rejected_page_token_restarts_the_window_from_the_watermark(server: FakeApiServer, warehouse: str) -> None:
    with psycopg.connect(warehouse) as conn:
        conn.execute("insert into ops.sync_state (source, account, cursor, run_id, updated_at) values "
                     "('typeform', %s, %s, 'r0', now())",
                     (FORM, '{"watermark": "2026-05-01T10:30:00", "window": {"since": "2026-05-01T09:30:00", '
                            '"until": "2026-05-02T00:00:00"}, "resume_after": "expired-token"}'))
    counts = sync_source(warehouse, make_source(server), run_id="r1")

    queries = response_requests(server)
    assert queries[0]["after"] == ["expired-token"]
    assert "after" not in queries[1] and queries[1]["since"] == ["2026-05-01T09:30:00"]
    assert counts["inserted"] == 5 and len(stored(warehouse)) == 5
    assert saved_cursor(warehouse) == {"watermark": "2026-05-02T00:00:00"}


def test_backfill_since_ignores_the_cursor(server: FakeApiServer, warehouse: str) -> None:
    sync_source(warehouse, make_source(server), run_id="r1")
    counts = sync_source(warehouse, make_source(server), run_id="r2", since=datetime(2026, 5, 1, 10, 3, tzinfo=UTC))
    assert response_requests(server)[-2]["since"] == ["2026-05-01T10:03:00"]
    assert (counts["received"], counts["unchanged"]) == (3, 3)
