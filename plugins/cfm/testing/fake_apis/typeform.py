"""A fake Typeform Responses API: GET /forms/{id} and GET /forms/{id}/responses.

Speaks the documented protocol: bearer token (401 without it), `page_size` (max 1000),
inclusive `since`/`until` (ISO to the second or epoch seconds) on `submitted_at`, the
first page ordered by `sort=submitted_at,asc`, later pages by `after=<token>` in
processing order (400 when `after` is combined with `sort` or names an unknown token).
The dataset is plain dicts the test may mutate between syncs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response

TOKEN = "tf-fake-token"


@dataclass
class TypeformDataset:
    """Forms by id, and each form's responses in processing (insertion) order."""

    forms: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token: str = TOKEN

    def add(self, form_id: str, *items: dict[str, Any]) -> None:
        self.responses.setdefault(form_id, []).extend(items)

    def find(self, form_id: str, response_id: str) -> dict[str, Any]:
        return next(r for r in self.responses[form_id] if r.get("response_id") == response_id)


def _bound(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _submitted(item: dict[str, Any]) -> datetime | None:
    try:
        return _bound(item.get("submitted_at"))
    except (TypeError, ValueError):
        return None


def build_server(dataset: TypeformDataset) -> FakeApiServer:
    """A server (not started) answering from `dataset`."""
    server = FakeApiServer()

    def authorised(req: Request) -> bool:
        return req.headers.get("authorization") == f"Bearer {dataset.token}"

    unauthorised = Response(401, {"code": "AUTHENTICATION_FAILED", "description": "Authentication credentials not found"})

    @server.route("GET", r"/forms/(?P<form_id>[^/]+)")
    def form(req: Request) -> Response:
        if not authorised(req):
            return unauthorised
        definition = dataset.forms.get(req.match["form_id"])
        return Response(200, definition) if definition else Response(404, {"code": "FORM_NOT_FOUND"})

    @server.route("GET", r"/forms/(?P<form_id>[^/]+)/responses")
    def responses(req: Request) -> Response:
        if not authorised(req):
            return unauthorised
        form_id = req.match["form_id"]
        if form_id not in dataset.forms:
            return Response(404, {"code": "FORM_NOT_FOUND"})
        after, sort = req.arg("after"), req.arg("sort")
        if after and sort:
            return Response(400, {"code": "VALIDATION_ERROR", "description": "after cannot be used with sort"})
        page_size = min(int(req.arg("page_size") or 25), 1000)
        since, until = _bound(req.arg("since")), _bound(req.arg("until"))
        items = list(dataset.responses.get(form_id, []))
        if after:
            tokens = [i.get("token") for i in items]
            if after not in tokens:
                return Response(400, {"code": "VALIDATION_ERROR", "description": "invalid after token"})
            items = items[tokens.index(after) + 1:]
        elif sort:
            field_name, _, direction = sort.partition(",")
            items.sort(key=lambda i: (str(i.get(field_name) or ""), str(i.get("token"))), reverse=direction == "desc")
        else:
            items.sort(key=lambda i: str(i.get("submitted_at") or ""), reverse=True)

        def keep(item: dict[str, Any]) -> bool:
            when = _submitted(item)
            if when is None:  # malformed records are served as they are; the client must cope
                return True
            return (since is None or when >= since) and (until is None or when <= until)

        items = [i for i in items if keep(i)]
        page = items[:page_size]
        return Response(200, {"total_items": len(items), "page_count": -(-len(items) // page_size), "items": page})

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server loaded with the recorded demo payloads in sample_data/api/typeform/."""
    dataset = TypeformDataset()
    for path in sorted(sample_dir.glob("form_*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        dataset.forms[definition["id"]] = definition
        resp_path = sample_dir / f"responses_{definition['id']}.json"
        if resp_path.exists():
            dataset.add(definition["id"], *json.loads(resp_path.read_text(encoding="utf-8"))["items"])
    return build_server(dataset)


DEMO_FORMS = [
    {"id": "tfNPS01", "nps_field": "nps", "text_field": "why"},
    {"id": "tfCSAT02", "csat_field": "csat", "text_field": "comment"},
]


def demo_config(base_url: str) -> dict[str, Any]:
    """The `sources.typeform` section of cfm.yml for the demo server."""
    return {"enabled": True, "base_url": base_url, "forms": [dict(f) for f in DEMO_FORMS],
            "start_date": "2026-05-01T00:00:00Z", "lag_minutes": 0, "overlap_minutes": 60}


def demo_credentials() -> dict[str, str]:
    return {"CFM_TYPEFORM_TOKEN": TOKEN}
