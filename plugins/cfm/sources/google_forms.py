"""Google Forms responses, one account per form, through google-api-python-client (forms v1).

Incremental by `lastSubmittedTime`: each run lists `responses` with
`filter="timestamp >= <watermark - overlap>"` to the last page, so late edits (which move
`lastSubmittedTime`) are re-read and upsert by `responseId`. The list order is not
documented, so the watermark only moves once a listing is complete; while a listing is in
progress each batch's cursor holds the page token to resume from (with the exact filter the
token belongs to). A page token the API no longer accepts (HTTP 400) restarts the listing
from the watermark.

Payload stored per response (documented in docs/sources/google_forms.md):
    {"response": <the response exactly as listed>,
     "form": {"formId", "revisionId", "title", "questions": {questionId: {"title", "kind", ...}}},
     "mapping": {"rating": {"question_id", "type", "scale_min", "scale_max"} | null, "text_question_id"}}
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from cfm.sources.base import (
    RATING_TYPES,
    ExtractBatch,
    RawRecord,
    RejectedRecord,
    SourceError,
)
from cfm.sources.google_api import (
    GoogleRequestFailed,
    GoogleSource,
    execute,
    format_rfc3339,
    later_timestamp,
    overlap,
)
from cfm.sources.timestamps import parse_utc

log = logging.getLogger(__name__)

SCOPES = (
    "https://www.googleapis.com/auth/forms.responses.readonly",
    "https://www.googleapis.com/auth/forms.body.readonly",
)
DEFAULT_ENDPOINT = "https://forms.googleapis.com/"


class GoogleFormsSource(GoogleSource):
    """Responses of the configured forms; each form id is an account with its own cursor."""

    name = "google_forms"
    until_cut = "client"  # the API has no filter on a window's end (docs/sources/google_forms.md)
    api = "forms"
    api_version = "v1"
    scopes = SCOPES
    default_endpoint = DEFAULT_ENDPOINT


    # -- config ---------------------------------------------------------------------------

    def form_configs(self) -> dict[str, dict[str, Any]]:
        forms: dict[str, dict[str, Any]] = {}
        for entry in self.config.get("forms") or []:
            item = {"id": entry} if isinstance(entry, str) else dict(entry)
            form_id = str(item.get("id") or "").strip()
            if not form_id:
                raise SourceError(self.name, "every entry of sources.google_forms.forms needs an id")
            rating_type = item.get("rating_type")
            if item.get("rating_question") and rating_type not in RATING_TYPES:
                raise SourceError(self.name, f"form {form_id}: rating_type must be one of {', '.join(RATING_TYPES)}")
            forms[form_id] = item
        return forms

    def accounts(self) -> list[str]:
        return list(self.form_configs())

    def _execute(self, request: Any, what: str) -> Any:
        return execute(request, source=self.name, what=what, policy=self.policy, sleep=self._sleep, stats=self.stats)

    # -- extraction -----------------------------------------------------------------------

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        cursor = dict(cursor or {})
        form_cfg = self.form_configs().get(account, {"id": account})
        definition = self._execute(self.service.forms().get(formId=account), f"forms.get {account}")
        form = form_summary(definition)
        mapping = response_mapping(form, form_cfg)

        watermark = cursor.get("last_submitted_time")
        listing = cursor.get("listing") if since is None else None
        if listing:
            filter_, page_token, newest = listing.get("filter"), listing.get("page_token"), listing.get("max_seen")
        else:
            filter_, page_token, newest = self._filter(watermark, since), None, watermark
        page_size = int(self.config.get("page_size", 500))
        restarted = False

        while True:
            args: dict[str, Any] = {"formId": account, "pageSize": page_size}
            if filter_:
                args["filter"] = filter_
            if page_token:
                args["pageToken"] = page_token
            try:
                page = self._execute(self.service.forms().responses().list(**args), f"responses.list {account}")
            except GoogleRequestFailed as exc:
                if exc.status == 400 and page_token and not restarted:
                    restarted = True
                    log.warning("[%s/%s] page token rejected; restarting the listing from the watermark", self.name, account)
                    filter_, page_token = self._filter(watermark, since), None
                    continue
                raise
            records, rejects = self.parse_page(account, page.get("responses") or [], form, mapping)
            for rec in records:
                newest = later_timestamp(newest, rec.source_updated_at)
            page_token = page.get("nextPageToken")
            if page_token:
                next_cursor = {"last_submitted_time": watermark,
                               "listing": {"filter": filter_, "page_token": page_token, "max_seen": newest}}
            else:
                next_cursor = {"last_submitted_time": later_timestamp(watermark, newest)}
            yield ExtractBatch(records=records, rejects=rejects, cursor=next_cursor)
            if not page_token:
                return

    def _filter(self, watermark: str | None, since: datetime | None) -> str | None:
        if since is not None:
            return f"timestamp >= {format_rfc3339(since)}"
        start = parse_utc(watermark)
        if start is None:
            return None
        return f"timestamp >= {format_rfc3339(start - overlap(self.config, 60))}"

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """A stored response keeps the form summary and mapping it was read with: re-key it with those."""
        form, mapping = payload.get("form"), payload.get("mapping")
        if not isinstance(form, dict) or not isinstance(mapping, dict):
            definition = self._execute(self.service.forms().get(formId=account), f"forms.get {account}")
            form = form_summary(definition)
            mapping = response_mapping(form, self.form_configs().get(account, {"id": account}))
        return self.parse_page(account, [payload.get("response")], form, mapping)

    def parse_page(
        self, account: str, responses: list[Any], form: dict[str, Any], mapping: dict[str, Any]
    ) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """Key each response; one without an id or a lastSubmittedTime goes to quarantine."""
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        for position, response in enumerate(responses):
            if not isinstance(response, dict):
                rejects.append(RejectedRecord(self.name, account, f"position {position}", "response",
                                              "a response must be a JSON object", {"response": response}))
                continue
            response_id = str(response.get("responseId") or "").strip()
            payload = {"response": response, "form": form, "mapping": mapping}
            if not response_id:
                rejects.append(RejectedRecord(self.name, account, f"position {position}", "responseId",
                                              "required field 'responseId' is missing or empty", payload))
                continue
            submitted = parse_utc(response.get("lastSubmittedTime")) or parse_utc(response.get("createTime"))
            if submitted is None:
                rejects.append(RejectedRecord(self.name, account, response_id, "lastSubmittedTime",
                                              "required field 'lastSubmittedTime' is missing or not RFC 3339", payload))
                continue
            records.append(RawRecord(self.name, account, response_id, payload, submitted))
        return records, rejects


def form_summary(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a form definition needed to read its responses: question titles and kinds."""
    questions: dict[str, dict[str, Any]] = {}
    for item in definition.get("items") or []:
        if not isinstance(item, dict):
            continue
        title = item.get("title") or ""
        question = (item.get("questionItem") or {}).get("question")
        if isinstance(question, dict) and question.get("questionId"):
            questions[str(question["questionId"])] = {"title": title, **question_kind(question)}
        group = item.get("questionGroupItem")
        if isinstance(group, dict):
            for row in group.get("questions") or []:
                if isinstance(row, dict) and row.get("questionId"):
                    row_title = (row.get("rowQuestion") or {}).get("title") or ""
                    questions[str(row["questionId"])] = {"title": f"{title} / {row_title}".strip(" /"), "kind": "grid"}
    info = definition.get("info") or {}
    return {
        "formId": definition.get("formId"),
        "revisionId": definition.get("revisionId"),
        "title": info.get("title") or info.get("documentTitle"),
        "questions": questions,
    }


def question_kind(question: Mapping[str, Any]) -> dict[str, Any]:
    """Classify a Forms question: scale (with low/high), rating, choice type, text or paragraph, ..."""
    if "scaleQuestion" in question:
        scale = question.get("scaleQuestion") or {}
        return {"kind": "scale", "low": scale.get("low", 1), "high": scale.get("high")}
    if "ratingQuestion" in question:
        rating = question.get("ratingQuestion") or {}
        return {"kind": "rating", "low": 1, "high": rating.get("ratingScaleLevel"), "icon": rating.get("iconType")}
    if "choiceQuestion" in question:
        return {"kind": str((question.get("choiceQuestion") or {}).get("type") or "choice").lower()}
    if "textQuestion" in question:
        return {"kind": "paragraph" if (question.get("textQuestion") or {}).get("paragraph") else "text"}
    for key, kind in (("dateQuestion", "date"), ("timeQuestion", "time"), ("fileUploadQuestion", "file_upload")):
        if key in question:
            return {"kind": kind}
    return {"kind": "other"}


def response_mapping(form: Mapping[str, Any], form_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Which question is the rating (from config) and which is the open text (config, else the first paragraph)."""
    questions = form.get("questions") or {}
    rating = None
    rating_qid = form_cfg.get("rating_question")
    if rating_qid:
        question = questions.get(str(rating_qid)) or {}
        rating = {
            "question_id": str(rating_qid),
            "type": form_cfg.get("rating_type"),
            "scale_min": form_cfg.get("scale_min", question.get("low")),
            "scale_max": form_cfg.get("scale_max", question.get("high")),
        }
    text_qid = form_cfg.get("text_question")
    if not text_qid:
        for kind in ("paragraph", "text"):
            text_qid = next((qid for qid, q in questions.items() if q.get("kind") == kind), None)
            if text_qid:
                break
    return {"rating": rating, "text_question_id": text_qid}
