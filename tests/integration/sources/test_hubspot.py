"""HubSpot CRM connector against the fake HubSpot v3 objects API over real HTTP, landing in real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.hubspot import HubSpotSource
from cfm.testing.fake_api import Fault
from cfm.testing.fake_apis.hubspot import RATE_LIMIT_BODY, TOKEN, build_server, rate_limited

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def warehouse(module_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CFM_HUBSPOT_TOKEN", TOKEN)
    with psycopg.connect(module_warehouse) as conn:
        conn.execute("truncate raw.hubspot, ops.sync_state, quarantine.records")
    return module_warehouse


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def contact(n: int, *, modified: datetime, plan: str = "basic", **extra: Any) -> dict[str, Any]:
    return {"id": str(100 + n), "createdAt": _iso(T0 - timedelta(days=30)), "updatedAt": _iso(modified), "archived": False,
            "properties": {"email": f"c{n}@example.com", "customer_id": f"C{n:05d}", "plan": plan, "region": "UAE",
                           "createdate": _iso(T0 - timedelta(days=30)), "lastmodifieddate": _iso(modified),
                           "hs_object_id": str(100 + n), "associatedcompanyid": "900", "not_requested": "x"}, **extra}


def company(modified: datetime) -> dict[str, Any]:
    return {"id": "900", "createdAt": _iso(T0 - timedelta(days=90)), "updatedAt": _iso(modified), "archived": False,
            "properties": {"name": "Acme", "domain": "acme.example", "tier": "gold", "hs_lastmodifieddate": _iso(modified),
                           "createdate": _iso(T0 - timedelta(days=90)), "hs_object_id": "900"}}


def dataset(count: int = 5) -> dict[str, list[dict[str, Any]]]:
    return {"contacts": [contact(n, modified=T0 + timedelta(hours=n)) for n in range(count)],
            "companies": [company(T0)]}


def make_source(server: Any, sleeps: list[float] | None = None, **config: Any) -> HubSpotSource:
    cfg = {"base_url": server.base_url, "page_size": 2, "overlap_minutes": 10, **config}
    return HubSpotSource(cfg, sleep=(sleeps if sleeps is not None else []).append,
                         policy=RetryPolicy(max_attempts=4, base_delay=0.01, timeout=5))


def stored(url: str, account: str = "contacts") -> dict[str, tuple]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select source_record_id, payload, source_updated_at, run_id from raw.hubspot where account = %s",
                            (account,)).fetchall()
    return {r[0]: r[1:] for r in rows}


def cursor(url: str, account: str = "contacts") -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        return conn.execute("select cursor from ops.sync_state where source = 'hubspot' and account = %s",
                            (account,)).fetchone()[0]


def calls(server: Any) -> list[tuple[str, str, str | None]]:
    out = []
    for r in server.requests:
        after = r.arg("after") if r.method == "GET" else (r.json() or {}).get("after")
        kind = "search" if r.path.endswith("/search") else ("archived" if r.arg("archived") == "true" else "list")
        out.append((r.path.split("/")[4], kind, after))
    return out


def test_first_sync_lists_every_page_then_searches_by_lastmodifieddate(warehouse: str) -> None:
    data = dataset()
    with build_server(data) as server:
        first = sync_source(warehouse, make_source(server), run_id="r1")
        assert (first["inserted"], first["quarantined"]) == (6, 0)
        assert calls(server) == [("contacts", "list", None), ("contacts", "list", "2"), ("contacts", "list", "4"),
                                 ("contacts", "archived", None), ("companies", "list", None), ("companies", "archived", None)]
        first_call = server.requests[0]
        assert first_call.headers["authorization"] == f"Bearer {TOKEN}"
        assert {"email", "plan", "customer_id", "associatedcompanyid"} <= set(first_call.arg("properties").split(","))
        rows = stored(warehouse)
        assert sorted(rows) == ["100", "101", "102", "103", "104"]
        assert rows["103"][0]["properties"]["plan"] == "basic" and "not_requested" not in rows["103"][0]["properties"]
        assert rows["103"][1] == T0 + timedelta(hours=3)
        assert stored(warehouse, "companies")["900"][0]["properties"]["tier"] == "gold"
        assert cursor(warehouse) == {"watermark": "2026-10-01T13:00:00Z", "archived_watermark": None}

        server.requests.clear()
        second = sync_source(warehouse, make_source(server), run_id="r2")  # running twice changes nothing
        assert (second["inserted"], second["updated"]) == (0, 0)
        search = server.requests[0]
        assert search.method == "POST" and search.path == "/crm/v3/objects/contacts/search"
        body = search.json()
        assert body["filterGroups"] == [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                                      "value": str(int((T0 + timedelta(hours=4, minutes=-10)).timestamp() * 1000))}]}]
        assert body["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
        company_search = [r for r in server.requests if r.path == "/crm/v3/objects/companies/search"][0].json()
        assert company_search["filterGroups"][0]["filters"][0]["propertyName"] == "hs_lastmodifieddate"
        assert second["received"] == 2  # only the overlap: contact 104 and the company
        assert stored(warehouse) == rows


def test_an_edit_updates_the_contact_and_an_archived_contact_is_stored_as_deleted(warehouse: str) -> None:
    data = dataset()
    with build_server(data) as server:
        sync_source(warehouse, make_source(server), run_id="r1")
        edited = data["contacts"][1]
        edited["properties"]["plan"] = "premium"
        edited["updatedAt"] = edited["properties"]["lastmodifieddate"] = _iso(T0 + timedelta(days=1))
        gone = data["contacts"][2]
        gone.update(archived=True, archivedAt=_iso(T0 + timedelta(days=1, hours=1)))

        server.requests.clear()
        second = sync_source(warehouse, make_source(server), run_id="r2")
        assert second["updated"] == 2 and second["inserted"] == 0
        rows = stored(warehouse)
        assert rows["101"][0]["properties"]["plan"] == "premium" and rows["101"][2] == "r2"
        assert rows["102"][0]["archived"] is True and rows["102"][1] == T0 + timedelta(days=1, hours=1)
        assert cursor(warehouse) == {"watermark": "2026-10-02T09:00:00Z", "archived_watermark": "2026-10-02T10:00:00Z"}

        third = sync_source(warehouse, make_source(server), run_id="r3")
        assert (third["inserted"], third["updated"]) == (0, 0)
        assert stored(warehouse) == rows


def test_429_waits_as_hubspot_rate_limit_headers_say(warehouse: str) -> None:
    sleeps: list[float] = []
    with build_server(dataset()) as server:
        server.inject(Fault(status=429, headers=rate_limited("interval"), body=RATE_LIMIT_BODY, path="/contacts"),
                      Fault(status=429, headers=rate_limited("secondly"), body=RATE_LIMIT_BODY, path="/contacts"),
                      Fault(status=502, path="/companies"))
        source = make_source(server, sleeps=sleeps)
        result = sync_source(warehouse, source, run_id="r1")
    assert result["inserted"] == 6
    assert sleeps[:2] == [10.0, 1.0] and len(sleeps) == 3  # the ten-second window, the secondly limit, then backoff
    assert source.api().stats["rate_limited"] == 2


def test_search_cap_restarts_the_query_from_the_newest_time_seen(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = dataset(7)
    with build_server(data) as server:
        sync_source(warehouse, make_source(server), run_id="r1")
        for n, c in enumerate(data["contacts"]):  # every contact edited since
            c["properties"]["plan"] = "premium"
            c["updatedAt"] = c["properties"]["lastmodifieddate"] = _iso(T0 + timedelta(days=2, hours=n))
        monkeypatch.setattr("cfm.sources.hubspot.SEARCH_RESULT_CAP", 4)  # HubSpot's is 10,000
        server.requests.clear()
        result = sync_source(warehouse, make_source(server), run_id="r2")
    searches = [r.json() for r in server.requests if r.path == "/crm/v3/objects/contacts/search"]
    assert [s.get("after") for s in searches] == [None, "2", None, "2"]
    assert searches[2]["filterGroups"][0]["filters"][0]["value"] == str(int((T0 + timedelta(days=2, hours=3)).timestamp() * 1000))
    assert result["updated"] == 7
    assert {r[0]["properties"]["plan"] for r in stored(warehouse).values()} == {"premium"}


def test_malformed_objects_go_to_quarantine_and_a_bad_token_names_no_secret(
    warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = dataset(2)
    data["contacts"].append({"id": "", "updatedAt": _iso(T0), "properties": {"email": "x@example.com"}})
    data["contacts"].append({"id": "555", "updatedAt": "yesterday", "properties": {}})
    with build_server(data) as server:
        result = sync_source(warehouse, make_source(server, objects=["contacts"]), run_id="r1")
        assert (result["inserted"], result["quarantined"]) == (2, 2)
        with psycopg.connect(warehouse) as conn:
            rows = conn.execute("select record_ref, field from quarantine.records order by field").fetchall()
        assert rows == [("list page 1 item 1", "id"), ("555", "updatedAt")]

        monkeypatch.setenv("CFM_HUBSPOT_TOKEN", "wrong-token")
        with pytest.raises(SourceHTTPError) as failed:
            sync_source(warehouse, make_source(server), run_id="r2")
        assert failed.value.status == 401 and "wrong-token" not in str(failed.value)


def test_interrupted_sync_resumes_from_the_saved_after_token(warehouse: str) -> None:
    with build_server(dataset()) as server:
        source = make_source(server, objects=["contacts"])
        source.policy = RetryPolicy(max_attempts=1, timeout=5)
        original = source.batches

        def dies_after_page_1(account, saved, *, since=None):  # type: ignore[no-untyped-def]
            for batch in original(account, saved, since=since):
                yield batch
                server.inject(Fault(status=503, times=100))

        source.batches = dies_after_page_1  # type: ignore[method-assign]
        with pytest.raises(SourceHTTPError, match="HTTP 503"):
            sync_source(warehouse, source, run_id="r1")
        assert sorted(stored(warehouse)) == ["100", "101"]
        assert cursor(warehouse)["resume"] == {"phase": "live", "mode": "list", "after": "2", "start": None,
                                               "high": "2026-10-01T10:00:00Z"}
        server.faults.clear()
        server.requests.clear()
        sync_source(warehouse, make_source(server, objects=["contacts"]), run_id="r2")
        assert calls(server)[0] == ("contacts", "list", "2")
        assert sorted(stored(warehouse)) == ["100", "101", "102", "103", "104"]
        assert cursor(warehouse) == {"watermark": "2026-10-01T13:00:00Z", "archived_watermark": None}
