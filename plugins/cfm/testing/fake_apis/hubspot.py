"""A fake HubSpot CRM v3 objects API (contacts, companies) for tests and the demo.

Speaks what the connector uses, as HubSpot documents it:

* `GET /crm/v3/objects/{type}?limit=&after=&properties=&archived=`: objects by id, `limit` 1..100,
  `paging.next.after` while more remain; `archived=true` lists archived objects only (with `archivedAt`).
* `POST /crm/v3/objects/{type}/search` with `filterGroups` (operators GTE, GT, LTE, LT, EQ on a property,
  values as epoch milliseconds or ISO), `sorts`, `properties`, `limit` 1..200 and `after`; archived
  objects are never returned; paging past 10,000 results is refused with 400, like HubSpot.
* Private-app auth (`Authorization: Bearer <token>`): a wrong token gets 401 with category
  INVALID_AUTHENTICATION. Every response carries the X-HubSpot-RateLimit-* headers.

Only requested properties are returned (plus `hs_object_id`, `createdate` and the last-modified
property, as HubSpot does). The dataset `{type: [object, ...]}` can be edited while the server runs.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response

TOKEN = "demo-hubspot-private-app-token-not-secret"
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}
SEARCH_RESULT_CAP = 10_000
RATE_HEADERS = {"X-HubSpot-RateLimit-Daily": "250000", "X-HubSpot-RateLimit-Daily-Remaining": "249000",
                "X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Max": "100",
                "X-HubSpot-RateLimit-Remaining": "99", "X-HubSpot-RateLimit-Secondly": "10",
                "X-HubSpot-RateLimit-Secondly-Remaining": "9"}


def rate_limited(window: str = "interval") -> dict[str, str]:
    """The headers of a 429 from HubSpot: the ten-second window (or the per-second one) spent."""
    headers = dict(RATE_HEADERS)
    if window == "secondly":
        headers["X-HubSpot-RateLimit-Secondly-Remaining"] = "0"
    else:
        headers["X-HubSpot-RateLimit-Remaining"] = "0"
    return headers


RATE_LIMIT_BODY = {"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                   "errorType": "RATE_LIMIT", "correlationId": "00000000-0000-0000-0000-000000000000",
                   "policyName": "TEN_SECONDLY_ROLLING"}


def _error(status: int, message: str, category: str) -> Response:
    return Response(status, {"status": "error", "message": message, "category": category,
                             "correlationId": "00000000-0000-0000-0000-000000000000"}, dict(RATE_HEADERS))


def _ms(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value)
    if text.lstrip("-").isdigit():
        return float(text)
    try:
        return datetime.fromisoformat(text).astimezone(UTC).timestamp() * 1000
    except ValueError:
        return None


def _view(obj: dict[str, Any], object_type: str, wanted: list[str]) -> dict[str, Any]:
    keep = {*wanted, "hs_object_id", "createdate", MODIFIED_PROPERTY[object_type]}
    props = {k: v for k, v in (obj.get("properties") or {}).items() if k in keep}
    out = {k: v for k, v in obj.items() if k != "properties"}
    out["properties"] = props
    return out


def build_server(dataset: dict[str, list[dict[str, Any]]], *, token: str = TOKEN) -> FakeApiServer:
    """A server over `dataset` (not started; use it as a context manager). Its API base is `base_url`."""
    server = FakeApiServer()

    def check(req: Request) -> Response | None:
        if req.headers.get("authorization") != f"Bearer {token}":
            return _error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        if req.match["type"] not in dataset:
            return _error(404, f"Unable to infer object type from: {req.match['type']}", "OBJECT_NOT_FOUND")
        return None

    def page(items: list[dict[str, Any]], after: str | None, limit: int, object_type: str,
             wanted: list[str]) -> tuple[dict[str, Any], int]:
        start = int(after or 0)
        chunk = items[start:start + limit]
        body: dict[str, Any] = {"results": [_view(o, object_type, wanted) for o in chunk]}
        if start + limit < len(items):
            body["paging"] = {"next": {"after": str(start + limit),
                                       "link": f"{server.base_url}/crm/v3/objects/{object_type}?after={start + limit}"}}
        return body, start

    def list_objects(req: Request) -> Response:
        if (refused := check(req)) is not None:
            return refused
        object_type = req.match["type"]
        try:
            limit = int(req.arg("limit", "10"))
        except ValueError:
            return _error(400, "limit must be an integer", "VALIDATION_ERROR")
        if not 1 <= limit <= 100:
            return _error(400, "limit must be between 1 and 100", "VALIDATION_ERROR")
        archived = req.arg("archived", "false") == "true"
        items = sorted((o for o in dataset[object_type] if bool(o.get("archived")) == archived), key=lambda o: str(o.get("id")).zfill(20))
        wanted = [p for p in (req.arg("properties") or "").split(",") if p]
        body, _ = page(items, req.arg("after"), limit, object_type, wanted)
        return Response(200, body, dict(RATE_HEADERS))

    def search(req: Request) -> Response:
        if (refused := check(req)) is not None:
            return refused
        object_type = req.match["type"]
        query = req.json() or {}
        limit = int(query.get("limit", 10))
        if not 1 <= limit <= 200:
            return _error(400, "limit must be between 1 and 200", "VALIDATION_ERROR")
        after = query.get("after")
        if after is not None and int(after) >= SEARCH_RESULT_CAP:
            return _error(400, f"Cannot page past {SEARCH_RESULT_CAP} results", "VALIDATION_ERROR")
        items = [o for o in dataset[object_type] if not o.get("archived")]
        groups = query.get("filterGroups") or []
        if groups:
            items = [o for o in items if any(all(_matches(o, f) for f in g.get("filters") or []) for g in groups)]
        for sort in reversed(query.get("sorts") or []):
            prop = sort["propertyName"]
            items.sort(key=lambda o, p=prop: (_ms((o.get("properties") or {}).get(p)) or 0, str(o.get("id")).zfill(20)),
                       reverse=sort.get("direction") == "DESCENDING")
        body, _ = page(items, after, limit, object_type, list(query.get("properties") or []))
        body["total"] = len(items)
        return Response(200, body, dict(RATE_HEADERS))

    server.route("GET", r"/crm/v3/objects/(?P<type>[a-z_]+)")(list_objects)
    server.route("POST", r"/crm/v3/objects/(?P<type>[a-z_]+)/search")(search)
    return server


def _matches(obj: dict[str, Any], flt: dict[str, Any]) -> bool:
    value = (obj.get("properties") or {}).get(flt["propertyName"])
    op = flt["operator"]
    if op == "EQ":
        return str(value) == str(flt["value"])
    left, right = _ms(value), _ms(flt["value"])
    if left is None or right is None:
        return False
    return {"GTE": left >= right, "GT": left > right, "LTE": left <= right, "LT": left < right}[op]


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server over the recorded sample objects in `sample_dir` (sample_data/api/hubspot/objects.json)."""
    return build_server(json.loads((Path(sample_dir) / "objects.json").read_text(encoding="utf-8")))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.hubspot` section for the demo server at `base_url`."""
    return {"enabled": True, "base_url": base_url}


def demo_credentials() -> dict[str, str]:
    """Environment variables the demo needs (an obviously fake token)."""
    return {"CFM_HUBSPOT_TOKEN": TOKEN}
