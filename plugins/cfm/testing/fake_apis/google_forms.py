"""A fake Google Forms API v1: forms.get and forms.responses.list over a mutable in-memory dataset.

Dataset: {"forms": {formId: {"definition": {...forms.get body...}, "responses": [...]}}}.
Responses are served in createTime order; `filter` accepts `timestamp > T` / `timestamp >= T`
and compares against lastSubmittedTime (the assumption the connector makes). Page tokens are
opaque, bound to the form and filter; a token for another filter, or one issued before
`dataset["token_epoch"]` was raised (an expired token), answers 400 INVALID_ARGUMENT.
Every call needs `Authorization: Bearer ...` (401 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import (
    FakeApiServer,
    Request,
    Response,
    google_error,
    recorded_dataset,
    scoped_page_offset,
    scoped_page_token,
)


def _ts(value: str | None) -> datetime | None:
    from cfm.sources.timestamps import parse_utc

    return parse_utc(value)



def _authorized(req: Request) -> bool:
    return req.headers.get("authorization", "").startswith("Bearer ")


def build_server(dataset: dict[str, Any]) -> FakeApiServer:
    """A server answering for the forms in `dataset` (mutate it between syncs to add or edit responses)."""
    server = FakeApiServer()

    @server.route("GET", r"/v1/forms/(?P<form_id>[^/]+)")
    def get_form(req: Request) -> Response:
        if not _authorized(req):
            return google_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        form = dataset["forms"].get(req.match["form_id"])
        if form is None:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        return Response(200, form["definition"])

    @server.route("GET", r"/v1/forms/(?P<form_id>[^/]+)/responses")
    def list_responses(req: Request) -> Response:
        if not _authorized(req):
            return google_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        form_id = req.match["form_id"]
        form = dataset["forms"].get(form_id)
        if form is None:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        filter_ = req.arg("filter") or ""
        rows = sorted(form["responses"], key=lambda r: str(r.get("createTime") or ""))
        if filter_:
            op, _, value = filter_.removeprefix("timestamp").strip().partition(" ")
            bound = _ts(value.strip())
            if op not in (">", ">=") or bound is None:
                return google_error(400, "INVALID_ARGUMENT", f"Invalid filter: {filter_}")
            rows = [r for r in rows if (t := _ts(r.get("lastSubmittedTime"))) is None
                    or (t > bound if op == ">" else t >= bound)]
        offset = scoped_page_offset(req.arg("pageToken"), dataset, form=form_id, filter=filter_)
        if offset is None:
            return google_error(400, "INVALID_ARGUMENT", "Invalid page token.")
        size = int(req.arg("pageSize") or 0) or 5000
        page = rows[offset:offset + size]
        body: dict[str, Any] = {}
        if page:
            body["responses"] = page
        if offset + size < len(rows):
            body["nextPageToken"] = scoped_page_token(dataset, offset + size, form=form_id, filter=filter_)
        return Response(200, body)

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """The fake loaded with the recorded sample payloads; `sample_dir` is sample_data/api or its google_forms/ folder."""
    return build_server(recorded_dataset(sample_dir, "google_forms"))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.google_forms` section for the demo server."""
    return {
        "enabled": True,
        "base_url": base_url.rstrip("/") + "/",
        "overlap_minutes": 60,
        "page_size": 50,
        "forms": [
            {"id": "1FAIpQLSdemoNpsPostPurchase", "rating_question": "4a1b2c3d", "rating_type": "nps",
             "text_question": "5e6f7a8b"},
            {"id": "1FAIpQLSdemoCsatSupport", "rating_question": "6c7d8e9f", "rating_type": "csat",
             "text_question": "7e8f9a0b"},
        ],
    }


def demo_credentials() -> dict[str, str]:
    return {"CFM_GOOGLE_FORMS_TOKEN": "fake-google-forms-demo-token"}
