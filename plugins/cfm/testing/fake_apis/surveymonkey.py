"""A fake SurveyMonkey API v3: GET /v3/surveys/{id}/details and GET /v3/surveys/{id}/responses/bulk.

Speaks the documented protocol: bearer token (401 without it), `page`/`per_page` (max
100, 400 above), `start_modified_at`/`end_modified_at` (`YYYY-MM-DDTHH:MM:SS`, UTC,
inclusive), `sort_by=date_modified` with `sort_order`, the `{data, per_page, page,
total, links{self, next, last}}` envelope, and the rate-limit headers on every answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cfm.testing.fake_api import FakeApiServer, Request, Response, parse_when

TOKEN = "sm-fake-token"


@dataclass
class SurveyMonkeyDataset:
    """Survey details by id and each survey's responses; `minute_remaining` feeds the rate-limit headers."""

    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token: str = TOKEN
    minute_remaining: int = 119

    def add(self, survey_id: str, *items: dict[str, Any]) -> None:
        self.responses.setdefault(survey_id, []).extend(items)

    def find(self, survey_id: str, response_id: str) -> dict[str, Any]:
        return next(r for r in self.responses[survey_id] if r.get("id") == response_id)


def build_server(dataset: SurveyMonkeyDataset) -> FakeApiServer:
    """A server (not started) answering from `dataset`; the API lives under /v3."""
    server = FakeApiServer()

    def limits() -> dict[str, str]:
        return {"X-Ratelimit-App-Global-Minute-Limit": "120",
                "X-Ratelimit-App-Global-Minute-Remaining": str(dataset.minute_remaining),
                "X-Ratelimit-App-Global-Minute-Reset": "7",
                "X-Ratelimit-App-Global-Day-Limit": "500", "X-Ratelimit-App-Global-Day-Remaining": "400",
                "X-Ratelimit-App-Global-Day-Reset": "3600"}

    def denied(req: Request) -> Response | None:
        if req.headers.get("authorization") != f"Bearer {dataset.token}":
            return Response(401, {"error": {"id": "1011", "name": "Authorization Error",
                                            "message": "The authorization token was not provided.", "http_status_code": 401}})
        return None

    @server.route("GET", r"/v3/surveys/(?P<sid>[^/]+)/details")
    def details(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        found = dataset.details.get(req.match["sid"])
        return Response(200, found, limits()) if found else Response(404, {"error": {"id": "1020", "name": "Resource Not Found"}})

    @server.route("GET", r"/v3/surveys/(?P<sid>[^/]+)/responses/bulk")
    def bulk(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        sid = req.match["sid"]
        if sid not in dataset.details:
            return Response(404, {"error": {"id": "1020", "name": "Resource Not Found"}})
        page, per_page = int(req.arg("page") or 1), int(req.arg("per_page") or 50)
        if per_page > 100 or page < 1:
            return Response(400, {"error": {"id": "1002", "name": "Bad Request", "message": "per_page must be 1..100"}})
        start, end = parse_when(req.arg("start_modified_at") or ""), parse_when(req.arg("end_modified_at") or "")
        items = [r for r in dataset.responses.get(sid, [])
                 if (parse_when(r.get("date_modified")) is None)
                 or ((start is None or parse_when(r["date_modified"]) >= start) and (end is None or parse_when(r["date_modified"]) <= end))]
        if req.arg("sort_by") == "date_modified":
            items.sort(key=lambda r: (str(r.get("date_modified") or ""), str(r.get("id"))), reverse=req.arg("sort_order") == "DESC")
        # `_hidden` responses (deleted after the page count was taken) keep their place but are not served.
        chunk = [r for r in items[(page - 1) * per_page: page * per_page] if not r.get("_hidden")]
        host = req.headers.get("host", "127.0.0.1")

        def link(p: int) -> str:
            query = {k: v[0] for k, v in req.query.items()} | {"page": p, "per_page": per_page}
            return f"http://{host}{req.path}?{urlencode(query)}"

        last = max(1, -(-len(items) // per_page))
        links = {"self": link(page), "last": link(last)}
        if page < last:
            links["next"] = link(page + 1)
        return Response(200, {"data": chunk, "per_page": per_page, "page": page, "total": len(items), "links": links}, limits())

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server loaded with the recorded demo payloads in sample_data/api/surveymonkey/."""
    dataset = SurveyMonkeyDataset()
    for path in sorted(sample_dir.glob("details_*.json")):
        details = json.loads(path.read_text(encoding="utf-8"))
        dataset.details[str(details["id"])] = details
        resp_path = sample_dir / f"responses_{details['id']}.json"
        if resp_path.exists():
            dataset.add(str(details["id"]), *json.loads(resp_path.read_text(encoding="utf-8"))["data"])
    return build_server(dataset)


DEMO_SURVEYS = [
    {"id": "506487016", "nps_question": "73575767", "text_question": "73575770"},
    {"id": "506487017", "ces_question": "83575771", "text_question": "83575773"},
]


def demo_config(base_url: str) -> dict[str, Any]:
    """The `sources.surveymonkey` section of cfm.yml for the demo server (`base_url` without /v3)."""
    return {"enabled": True, "base_url": base_url.rstrip("/") + "/v3", "surveys": [dict(s) for s in DEMO_SURVEYS],
            "start_date": "2026-05-01T00:00:00Z", "overlap_minutes": 60}


def demo_credentials() -> dict[str, str]:
    return {"CFM_SURVEYMONKEY_TOKEN": TOKEN}
