"""Qualtrics: survey responses through the asynchronous export-responses job.

Per configured survey (an account): POST `export-responses` (JSON, zipped), poll the
progress until `status == complete` and a `fileId` is set, download the ZIP and parse the
JSON (or CSV) file inside. Incremental reads use the `continuationToken` Qualtrics
returns when `allowContinuation` is set: the next export passes it and gets only the
responses recorded since. When there is no token yet, or Qualtrics rejects the saved one
(HTTP 400), the export falls back to `startDate = watermark - overlap` (upsert by
responseId absorbs the overlap). A backfill (`since`) exports from that date.

Cursor: `{"continuation_token": str | None, "watermark": <max recordedDate, ISO>}`. One
export is one snapshot, so only the last batch of an export carries the new cursor; a
crash before it re-runs the same export next time (records upsert, nothing duplicates).

Payload per response: `{"response": <item as exported>, "survey": {id, name, questions:
{QID: {text, type, selector}}}, "mapping": {...}}` (only answered questions are kept).
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cfm.sources.base import DEFAULT_SCALES, ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import ApiClient, RetryPolicy, SourceHTTPError
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, primary_language

log = logging.getLogger(__name__)

NPS_GROUPS = {1: "detractor", 2: "passive", 3: "promoter"}
ROLE_KEYS = (("nps_question", "nps"), ("csat_question", "csat"), ("ces_question", "ces"), ("star_question", "star"))
_QID = re.compile(r"^(QID\d+)(?:_(.*))?$")
_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")




def api_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_number(value: Any) -> float | None:
    """A numeric value from an exported cell (numbers arrive as numbers in JSON, as text in CSV)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value.strip())
    return None


def plain_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(html.unescape(_TAG.sub(" ", value)).split()) or None


def survey_questions(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Index `/survey-definitions` questions by QID (text, type, selector, choice recodes -> text)."""
    result = definition.get("result") if isinstance(definition.get("result"), Mapping) else definition
    out: dict[str, dict[str, Any]] = {}
    for qid, q in (result.get("Questions") or {}).items():
        if not isinstance(q, Mapping):
            continue
        choices: dict[str, str] = {}
        for key, c in (q.get("Choices") or {}).items():
            if isinstance(c, Mapping):
                recode = (q.get("RecodeValues") or {}).get(key, key)
                choices[str(recode)] = plain_text(c.get("Display")) or str(recode)
        out[str(qid)] = {"text": plain_text(q.get("QuestionText")), "type": q.get("QuestionType"),
                         "selector": q.get("Selector"), "choices": choices}
    return out


def read_export(content: bytes) -> tuple[list[Any], str]:
    """The responses inside an export download: a ZIP with one JSON or CSV file, or bare JSON."""
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith((".json", ".csv", ".ndjson"))]
            if not names:
                raise ValueError(f"export ZIP holds no JSON or CSV file ({zf.namelist()})")
            name = names[0]
            data = zf.read(name)
    else:
        name, data = "export.json", content
    text = data.decode("utf-8-sig")
    if name.lower().endswith(".csv"):
        return csv_responses(text), "csv"
    if name.lower().endswith(".ndjson"):
        return [json.loads(line) for line in text.splitlines() if line.strip()], "ndjson"
    body = json.loads(text)
    responses = body.get("responses") if isinstance(body, Mapping) else None
    if not isinstance(responses, list):
        raise ValueError("export JSON has no 'responses' list")
    return responses, "json"


def csv_responses(text: str) -> list[dict[str, Any]]:
    """Qualtrics CSV exports: a header row, a question-text row, then an ImportId row; keyed by ImportId."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return []
    keys = rows[0]
    body = rows[1:]
    if len(rows) >= 3 and rows[2] and rows[2][0].lstrip().startswith('{"ImportId"'):
        keys = [json.loads(cell).get("ImportId") or keys[i] for i, cell in enumerate(rows[2])]
        body = rows[3:]
    out = []
    for row in body:
        values = {k: v for k, v in zip(keys, row, strict=False) if v != ""}
        out.append({"responseId": values.get("_recordId") or values.get("ResponseId"), "values": values, "labels": {}})
    return out




def map_response(response: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]],
                 survey_config: Mapping[str, Any]) -> dict[str, Any]:
    """Read the main rating (with NPS group), the open text, the customer and every answer of one response."""
    values = response.get("values") if isinstance(response.get("values"), Mapping) else {}
    labels = response.get("labels") if isinstance(response.get("labels"), Mapping) else {}
    answers: list[dict[str, Any]] = []
    for key, value in values.items():
        m = _QID.match(str(key))
        if not m:
            continue
        base, suffix = m.group(1), m.group(2) or ""
        q = questions.get(base) or {}
        label = labels.get(key)
        if isinstance(value, list):
            label_list = label if isinstance(label, list) else [q.get("choices", {}).get(str(v), str(v)) for v in value]
            answer_type, text, number = "multi_choice", ", ".join(str(x) for x in label_list), None
        elif suffix.endswith("TEXT"):
            answer_type, text, number = "text", None if value is None else str(value), None
        elif suffix == "NPS_GROUP":
            group = NPS_GROUPS.get(int(as_number(value) or 0))
            answer_type, text, number = "nps_group", group, as_number(value)
        else:
            number = as_number(value)
            code = int(value) if isinstance(value, float) and value.is_integer() else value
            choice_text = q.get("choices", {}).get(str(code))
            answer_type = "choice" if (label is not None or choice_text) else "number"
            text = str(label) if label is not None else (choice_text or (None if value is None else str(value)))
        answers.append({"question_id": str(key), "question_text": q.get("text"), "answer_type": answer_type,
                        "answer_value": text, "answer_number": number})

    roles: list[tuple[str, str]] = [(str(survey_config[k]), t) for k, t in ROLE_KEYS if survey_config.get(k)]
    roles += [(k[: -len("_NPS_GROUP")], "nps") for k in values if str(k).endswith("_NPS_GROUP")]
    mapping: dict[str, Any] = {
        "rating_type": None, "rating_question_id": None, "rating_value": None, "rating_value_raw": None,
        "rating_scale_min": None, "rating_scale_max": None, "nps_group": None,
        "text_question_id": None, "text": None,
        "customer_email": values.get("recipientEmail") or None,
        "customer_external_id": values.get("externalDataReference") or None,
        "language": primary_language(values.get("userLanguage")),
        "finished": as_number(values.get("finished")) == 1 if values.get("finished") is not None else None,
        "answers": answers,
    }
    for key, rtype in roles:
        if key in values and not isinstance(values[key], list):
            mapping.update(rating_type=rtype, rating_question_id=key, rating_value=as_number(values[key]),
                           rating_value_raw=str(values[key]))
            low, high = _scale(rtype, questions.get(_QID.match(key).group(1) if _QID.match(key) else key) or {})
            mapping.update(rating_scale_min=low, rating_scale_max=high)
            if rtype == "nps":
                group = as_number(values.get(f"{key}_NPS_GROUP"))
                mapping["nps_group"] = NPS_GROUPS.get(int(group)) if group is not None else None
            break

    text_key = survey_config.get("text_question")
    if text_key:
        text_key = str(text_key) if str(text_key) in values else f"{text_key}_TEXT"
    else:
        text_key = next((k for k in values if _QID.match(str(k)) and str(k).endswith("_TEXT")
                         and isinstance(values[k], str) and values[k].strip()), None)
    if text_key and isinstance(values.get(text_key), str):
        mapping.update(text_question_id=text_key, text=values[text_key])
    return mapping


def _scale(rating_type: str, question: Mapping[str, Any]) -> tuple[float, float]:
    if rating_type == "nps":
        return DEFAULT_SCALES["nps"]
    recodes = [n for n in (as_number(k) for k in (question.get("choices") or {})) if n is not None]
    if recodes:
        return min(recodes), max(recodes)
    return DEFAULT_SCALES[rating_type]


class QualtricsSource(RestApiSource):
    """Qualtrics survey responses, one account per configured survey."""

    name = "qualtrics"
    supports_until = True  # the export's `endDate`; ingest also drops records at or after it (bound inclusivity unconfirmed)
    until_cut = "client"
    # Export downloads can be large: a longer timeout than the other APIs.
    default_timeout = 60.0

    def __init__(self, config: Mapping[str, Any] | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: RetryPolicy | None = None):
        super().__init__(config, sleep=sleep, policy=policy)
        self._surveys: dict[str, dict[str, Any]] = {}
        for item in self.config.get("surveys") or []:
            cfg = {"id": item} if isinstance(item, str) else dict(item)
            if not cfg.get("id"):
                raise SourceError(self.name, f"every entry of sources.qualtrics.surveys needs an id, got {item!r}")
            self._surveys[str(cfg["id"])] = cfg

    def accounts(self) -> list[str]:
        if not self._surveys:
            raise SourceError(self.name, "no surveys configured: set sources.qualtrics.surveys")
        return list(self._surveys)

    def base_url(self) -> str:
        configured = self.config.get("base_url") or credential(self.name, "base_url", required=False)
        if configured:
            return str(configured)
        datacenter = self.config.get("datacenter") or credential(self.name, "datacenter", required=False)
        if not datacenter:
            raise SourceError(self.name, "set sources.qualtrics.datacenter (e.g. iad1, fra1) or base_url")
        return f"https://{datacenter}.qualtrics.com/API/v3"

    def auth_headers(self) -> dict[str, str]:
        return {"X-API-TOKEN": credential(self.name, "token")}

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None,
                until: datetime | None = None) -> Iterator[ExtractBatch]:
        survey_cfg = self._surveys.get(account) or {"id": account}
        client = self.api()
        questions, survey_name = self._definition(client, account)
        cursor = dict(cursor or {})
        watermark = parse_utc(cursor.get("watermark"))
        overlap = timedelta(minutes=float(self.config.get("overlap_minutes", 60)))
        token = cursor.get("continuation_token") if since is None and until is None else None

        content, new_token = None, None
        if token:
            try:
                content, new_token = self._export(client, account, {"continuationToken": token})
            except SourceHTTPError as exc:
                if exc.status != 400:
                    raise
                log.warning("[qualtrics/%s] saved continuation token rejected (HTTP 400); exporting from the watermark",
                            account)
        if content is None:
            start = since or (watermark - overlap if watermark else parse_utc(str(self.config.get("start_date") or "")))
            window = {"startDate": api_time(start)} if start else {}
            if until is not None:
                window["endDate"] = api_time(until)
            content, new_token = self._export(client, account, window)

        try:
            responses, fmt = read_export(content)
        except (ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise SourceError(self.name, f"survey {account}: cannot read the export file: {exc}") from exc
        survey_info = {"id": account, "name": survey_name, "format": fmt}
        records, rejects = self.parse_responses(account, responses, questions, survey_info, survey_cfg)
        high = max([r.source_updated_at for r in records if r.source_updated_at] + ([watermark] if watermark else []),
                   default=None)
        final_cursor = {"continuation_token": new_token, "watermark": high.isoformat() if high else None}
        size = max(1, int(self.config.get("batch_size", 500)))
        chunks = [(records[i:i + size], []) for i in range(0, len(records), size)] or [([], [])]
        chunks[-1] = (chunks[-1][0], rejects)
        for i, (recs, rejs) in enumerate(chunks):
            yield ExtractBatch(records=recs, rejects=rejs, cursor=final_cursor if i == len(chunks) - 1 else None)

    def _definition(self, client: ApiClient, survey_id: str) -> tuple[dict[str, dict[str, Any]], str | None]:
        """Question texts; a survey whose definition cannot be read still exports (texts stay null)."""
        try:
            body = client.get_json(f"/survey-definitions/{survey_id}")
        except SourceHTTPError as exc:
            if exc.status in (403, 404):
                log.warning("[qualtrics/%s] survey definition unavailable (HTTP %s); question texts will be empty",
                            survey_id, exc.status)
                return {}, None
            raise
        result = body.get("result") if isinstance(body, Mapping) else None
        return survey_questions(body if isinstance(body, Mapping) else {}), (result or {}).get("SurveyName")

    def _export(self, client: ApiClient, survey_id: str, extra: Mapping[str, Any]) -> tuple[bytes, str | None]:
        """Run one export job to completion; returns the file bytes and the next continuation token."""
        body = {"format": self.config.get("format", "json"), "compress": True, "useLabels": False,
                "allowContinuation": bool(self.config.get("use_continuation", True)), **extra}
        attempts = int(self.config.get("export_attempts", 2))
        for attempt in range(1, attempts + 1):
            started = client.fetch_json("POST", f"/surveys/{survey_id}/export-responses", json=body)[0]
            progress_id = ((started or {}).get("result") or {}).get("progressId")
            if not progress_id:
                raise SourceError(self.name, f"survey {survey_id}: export start answered without a progressId")
            result = self._wait(client, survey_id, progress_id)
            if result is None:
                log.warning("[qualtrics/%s] export %s failed or vanished (attempt %d of %d)", survey_id, progress_id,
                            attempt, attempts)
                continue
            file = client.request("GET", f"/surveys/{survey_id}/export-responses/{result['fileId']}/file")
            return file.content, result.get("continuationToken")
        raise SourceError(self.name, f"survey {survey_id}: export failed {attempts} times")

    def _wait(self, client: ApiClient, survey_id: str, progress_id: str) -> dict[str, Any] | None:
        interval = float(self.config.get("poll_interval_seconds", 3))
        deadline = float(self.config.get("max_wait_seconds", 900))
        waited = 0.0
        while True:
            try:
                body = client.get_json(f"/surveys/{survey_id}/export-responses/{progress_id}")
            except SourceHTTPError as exc:
                if exc.status == 404:  # Qualtrics: on 404 stop polling
                    return None
                raise
            result = (body or {}).get("result") or {}
            if result.get("status") == "complete" and result.get("fileId"):
                return result
            if result.get("status") == "failed":
                log.warning("[qualtrics/%s] export failed, requestId=%s", survey_id, ((body or {}).get("meta") or {}).get("requestId"))
                return None
            if waited >= deadline:
                raise SourceError(self.name, f"survey {survey_id}: export {progress_id} not complete after {deadline:.0f}s")
            self._sleep(interval)
            waited += interval

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """The exported response through the survey's current definition (fetched again, as a sync does)."""
        questions, survey_name = self._definition(self.api(), account)
        survey_info = {"id": account, "name": survey_name, "format": "json"}
        return self.parse_responses(account, [payload.get("response")], questions, survey_info,
                                    self._surveys.get(account) or {"id": account})

    def parse_responses(self, account: str, responses: list[Any], questions: Mapping[str, Any],
                        survey_info: Mapping[str, Any], survey_cfg: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """Turn exported responses into raw records, and the ones that cannot be keyed into rejects."""
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        for pos, item in enumerate(responses):
            if not isinstance(item, Mapping):
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "item", "response is not an object",
                                              {"response": item}))
                continue
            values = item.get("values") if isinstance(item.get("values"), Mapping) else {}
            rid = item.get("responseId") or values.get("_recordId")
            if not rid:
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "responseId",
                                              "required field 'responseId' is missing", {"response": item}))
                continue
            recorded = parse_utc(values.get("recordedDate"))
            if recorded is None:
                rejects.append(RejectedRecord(self.name, account, str(rid), "values.recordedDate",
                                              f"required field 'values.recordedDate' is missing or unparseable: "
                                              f"{values.get('recordedDate')!r}", {"response": item}))
                continue
            answered = {m.group(1) for k in values if (m := _QID.match(str(k)))}
            payload = {
                "response": item,
                "survey": {**survey_info, "questions": {
                    q: {k: v for k, v in meta.items() if k != "choices"} for q, meta in questions.items() if q in answered}},
                "mapping": map_response(item, questions, survey_cfg),
            }
            records.append(RawRecord(self.name, account, str(rid), payload, recorded))
        return records, rejects
