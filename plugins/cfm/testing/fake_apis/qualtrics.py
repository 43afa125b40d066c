"""A fake Qualtrics API v3 (under /API/v3): the export-responses job and survey definitions.

Speaks the documented protocol: `X-API-TOKEN` header (401 without it); POST
`/surveys/{id}/export-responses` starts a job (`startDate` inclusive / `endDate` exclusive
on `recordedDate`, or `continuationToken` for the responses recorded since that token, 400
on an unknown token); GET `.../export-responses/{progressId}` reports `inProgress` for
`polls_needed - 1` polls then `complete` with `fileId` (and `continuationToken` when
`allowContinuation` was set), or `failed`; GET `.../export-responses/{fileId}/file` serves
the ZIP with one `<survey name>.json`. GET `/survey-definitions/{id}` gives question texts.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response, parse_when

TOKEN = "qx-fake-token"


@dataclass
class QualtricsDataset:
    """Survey definitions and responses (in recorded order); knobs for slow and failing jobs."""

    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    responses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    token: str = TOKEN
    polls_needed: int = 2
    fail_next_jobs: int = 0
    issued_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)  # token -> (survey, responses seen)

    def add(self, survey_id: str, *items: dict[str, Any]) -> None:
        self.responses.setdefault(survey_id, []).extend(items)

    def find(self, survey_id: str, response_id: str) -> dict[str, Any]:
        return next(r for r in self.responses[survey_id] if r.get("responseId") == response_id)


def _meta(status: str) -> dict[str, Any]:
    return {"requestId": "fake-request-id", "httpStatus": status}


def build_server(dataset: QualtricsDataset) -> FakeApiServer:
    """A server (not started) answering from `dataset`; the API lives under /API/v3."""
    server = FakeApiServer()
    jobs: dict[str, dict[str, Any]] = {}
    files: dict[str, bytes] = {}
    ids = itertools.count(1)

    def denied(req: Request) -> Response | None:
        if req.headers.get("x-api-token") != dataset.token:
            return Response(401, {"meta": {**_meta("401 - Unauthorized"), "error": {"errorMessage": "Invalid token"}}})
        return None

    @server.route("GET", r"/API/v3/survey-definitions/(?P<sid>[^/]+)")
    def definition(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        found = dataset.definitions.get(req.match["sid"])
        return Response(200, {"result": found, "meta": _meta("200 - OK")}) if found else Response(404, {"meta": _meta("404")})

    @server.route("POST", r"/API/v3/surveys/(?P<sid>[^/]+)/export-responses")
    def start(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        sid = req.match["sid"]
        if sid not in dataset.definitions:
            return Response(404, {"meta": _meta("404 - Not Found")})
        body = req.json() or {}
        everything = dataset.responses.get(sid, [])
        if body.get("continuationToken"):
            issued = dataset.issued_tokens.get(body["continuationToken"])
            if not issued or issued[0] != sid:
                return Response(400, {"meta": {**_meta("400 - Bad Request"),
                                               "error": {"errorMessage": "Invalid continuation token"}}})
            chosen = everything[issued[1]:]
        else:
            start_at, end_at = parse_when(body.get("startDate") or ""), parse_when(body.get("endDate") or "")

            def keep(r: dict[str, Any]) -> bool:
                when = parse_when((r.get("values") or {}).get("recordedDate"))
                return when is None or ((start_at is None or when >= start_at) and (end_at is None or when < end_at))

            chosen = [r for r in everything if keep(r)]
        progress_id = f"ES_{next(ids):06d}"
        name = dataset.definitions[sid].get("SurveyName") or sid
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{name}.json", json.dumps({"responses": chosen}))
        job = {"sid": sid, "polls": 0, "failed": dataset.fail_next_jobs > 0, "file_id": f"{progress_id}-file"}
        dataset.fail_next_jobs = max(0, dataset.fail_next_jobs - 1)
        if body.get("allowContinuation"):
            job["token"] = f"CT_{progress_id}"
            dataset.issued_tokens[job["token"]] = (sid, len(everything))
        jobs[progress_id] = job
        files[job["file_id"]] = buf.getvalue()
        return Response(200, {"result": {"progressId": progress_id, "percentComplete": 0.0, "status": "inProgress"},
                              "meta": _meta("200 - OK")})

    @server.route("GET", r"/API/v3/surveys/(?P<sid>[^/]+)/export-responses/(?P<pid>[^/]+)")
    def progress(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        job = jobs.get(req.match["pid"])
        if job is None or job["sid"] != req.match["sid"]:
            return Response(404, {"meta": _meta("404 - Not Found")})
        job["polls"] += 1
        if job["failed"]:
            return Response(200, {"result": {"percentComplete": 0.0, "status": "failed", "fileId": None},
                                  "meta": _meta("200 - OK")})
        if job["polls"] < dataset.polls_needed:
            return Response(200, {"result": {"percentComplete": 50.0, "status": "inProgress", "fileId": None},
                                  "meta": _meta("200 - OK")})
        result = {"percentComplete": 100.0, "status": "complete", "fileId": job["file_id"]}
        if job.get("token"):
            result["continuationToken"] = job["token"]
        return Response(200, {"result": result, "meta": _meta("200 - OK")})

    @server.route("GET", r"/API/v3/surveys/(?P<sid>[^/]+)/export-responses/(?P<fid>[^/]+)/file")
    def download(req: Request) -> Response:
        if (err := denied(req)) is not None:
            return err
        data = files.get(req.match["fid"])
        if data is None:
            return Response(404, {"meta": _meta("404 - Not Found")})
        return Response(200, data, content_type="application/octet-stream")

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server loaded with the recorded demo payloads in sample_data/api/qualtrics/."""
    dataset = QualtricsDataset(polls_needed=1)
    for path in sorted(sample_dir.glob("definition_*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        dataset.definitions[definition["SurveyID"]] = definition
        resp_path = sample_dir / f"responses_{definition['SurveyID']}.json"
        if resp_path.exists():
            dataset.add(definition["SurveyID"], *json.loads(resp_path.read_text(encoding="utf-8"))["responses"])
    return build_server(dataset)


DEMO_SURVEYS = [
    {"id": "SV_nps0Relationship", "nps_question": "QID1", "text_question": "QID2_TEXT"},
    {"id": "SV_csat0Support", "csat_question": "QID1", "text_question": "QID3_TEXT"},
]


def demo_config(base_url: str) -> dict[str, Any]:
    """The `sources.qualtrics` section of cfm.yml for the demo server (`base_url` without /API/v3)."""
    return {"enabled": True, "base_url": base_url.rstrip("/") + "/API/v3", "surveys": [dict(s) for s in DEMO_SURVEYS],
            "start_date": "2026-05-01T00:00:00Z", "poll_interval_seconds": 0.2, "overlap_minutes": 60}


def demo_credentials() -> dict[str, str]:
    return {"CFM_QUALTRICS_TOKEN": TOKEN}
