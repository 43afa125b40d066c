"""SurveyMonkey: survey responses through /responses/bulk, question and choice text through /details.

Each configured survey is an account with its own cursor. A sync asks for responses with
`start_modified_at = watermark - overlap`, sorted by `date_modified` ascending, and follows
`links.next` to the end. Because pages are in `date_modified` order, the cursor saved with
each page (`{"watermark": <max date_modified so far>}`) never covers a response that is
not stored yet; the overlap re-reads edits that share a second with the watermark, and
edited responses (their `date_modified` moves) upsert by response id.

SurveyMonkey answers choice questions with choice ids; `/details` turns them into text
and, for the NPS/CSAT/CES questions, into a score (see `choice_score`).

Payload per response: `{"response": <item as received>, "survey": {id, title, language,
questions: {question_id: {heading, family, subtype}}}, "mapping": {...}}`; `questions`
holds only the answered questions.
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cfm.sources.base import DEFAULT_SCALES, ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import RetryPolicy
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, primary_language

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.surveymonkey.com/v3"
ROLE_KEYS = (("nps_question", "nps"), ("csat_question", "csat"), ("ces_question", "ces"), ("star_question", "star"))
_TAG = re.compile(r"<[^>]+>")
_LEADING_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)")


def api_time(value: datetime) -> str:
    """SurveyMonkey's date filter format, `YYYY-MM-DDTHH:MM:SS` in UTC."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def plain_heading(value: Any) -> str | None:
    """Question headings may carry HTML; keep the text."""
    if not isinstance(value, str):
        return None
    return " ".join(html.unescape(_TAG.sub(" ", value)).split()) or None


def survey_questions(details: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Index `/details` questions by id with heading, family, subtype, choices, rows and the other box."""
    out: dict[str, dict[str, Any]] = {}
    for page in details.get("pages") or []:
        for q in (page or {}).get("questions") or []:
            if not isinstance(q, Mapping) or not q.get("id"):
                continue
            answers = q.get("answers") or {}
            choices = {str(c["id"]): c for c in answers.get("choices") or [] if isinstance(c, Mapping) and c.get("id")}
            rows = {str(r["id"]): r.get("text") for r in answers.get("rows") or [] if isinstance(r, Mapping) and r.get("id")}
            other = answers.get("other") if isinstance(answers.get("other"), Mapping) else {}
            headings = q.get("headings") or [{}]
            out[str(q["id"])] = {
                "heading": plain_heading((headings[0] or {}).get("heading")),
                "family": q.get("family"), "subtype": q.get("subtype"),
                "choices": choices, "rows": rows, "other_id": str(other.get("id")) if other.get("id") else None,
            }
    return out


def choice_score(choice: Mapping[str, Any], rating_type: str, reverse: bool = False, n_choices: int = 0) -> float | None:
    """The numeric score of a rating choice.

    NPS: the leading number of the choice text ("10 - Extremely likely"), else position - 1.
    Others: a numeric `weight` when the survey sets one, else the leading number of the
    text, else the position (reversed when the survey lists the best answer first).
    """
    text_number = _LEADING_NUMBER.match(str(choice.get("text") or ""))
    position = choice.get("position")
    if rating_type == "nps":
        if text_number:
            return float(text_number.group(1))
        return float(position) - 1 if isinstance(position, int | float) else None
    weight = choice.get("weight")
    if isinstance(weight, int | float) and not isinstance(weight, bool):
        return float(weight)
    if text_number:
        return float(text_number.group(1))
    if isinstance(position, int | float):
        return float(n_choices + 1 - position) if reverse and n_choices else float(position)
    return None


def _rating_scale(rating_type: str, question: Mapping[str, Any], reverse: bool) -> tuple[float, float]:
    if rating_type == "nps":
        return DEFAULT_SCALES["nps"]
    scores = [choice_score(c, rating_type, reverse, len(question["choices"])) for c in question["choices"].values()]
    scores = [s for s in scores if s is not None]
    if scores:
        return min(scores), max(scores)
    return DEFAULT_SCALES[rating_type]


def map_response(response: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]],
                 survey_config: Mapping[str, Any]) -> dict[str, Any]:
    """Read the rating, the open text, the customer and every answer of one bulk response."""
    roles: dict[str, str] = {}
    for cfg_key, rtype in ROLE_KEYS:
        if survey_config.get(cfg_key):
            roles.setdefault(str(survey_config[cfg_key]), rtype)
    for qid, q in questions.items():
        if "nps" in (str(q.get("family")), str(q.get("subtype"))):
            roles.setdefault(qid, "nps")

    answers: list[dict[str, Any]] = []
    for page in response.get("pages") or []:
        for q in (page or {}).get("questions") or []:
            if not isinstance(q, Mapping):
                continue
            qid = str(q.get("id") or "")
            meta = questions.get(qid) or {"choices": {}, "rows": {}}
            rtype = roles.get(qid)
            reverse = bool(survey_config.get(f"{rtype}_reverse")) if rtype else False
            for ans in q.get("answers") or []:
                if not isinstance(ans, Mapping):
                    continue
                row = {"question_id": qid or None, "question_text": meta.get("heading"), "row_text": None,
                       "answer_type": "text", "answer_value": None, "answer_number": None}
                if ans.get("row_id"):
                    row["row_text"] = meta["rows"].get(str(ans["row_id"]))
                if ans.get("choice_id"):
                    choice = meta["choices"].get(str(ans["choice_id"])) or {}
                    row["answer_type"] = "choice"
                    row["answer_value"] = plain_heading(choice.get("text")) or str(ans["choice_id"])
                    if rtype:
                        row["answer_number"] = choice_score(choice, rtype, reverse, len(meta["choices"])) if choice else None
                    elif number := _LEADING_NUMBER.fullmatch(str(choice.get("text") or "").strip()):
                        row["answer_number"] = float(number.group(1))  # numeric choices ("7") count as numbers
                elif ans.get("other_id"):
                    row["answer_type"] = "other"
                    row["answer_value"] = ans.get("text")
                elif "text" in ans:
                    row["answer_value"] = ans.get("text")
                    number = _LEADING_NUMBER.fullmatch(str(ans.get("text") or "").strip())
                    row["answer_number"] = float(number.group(1)) if number else None
                answers.append(row)

    rating_row = None
    rating_type = None
    for cfg_key, rtype in ROLE_KEYS:  # configured roles first, in this order, then auto-detected NPS
        wanted = survey_config.get(cfg_key)
        rating_row = next((a for a in answers if wanted and a["question_id"] == str(wanted) and a["answer_type"] == "choice"), None)
        if rating_row:
            rating_type = rtype
            break
    if rating_row is None:
        rating_row = next((a for a in answers if roles.get(a["question_id"] or "") == "nps" and a["answer_type"] == "choice"), None)
        rating_type = "nps" if rating_row else None

    text_q = survey_config.get("text_question")
    text_row = next((a for a in answers if text_q and a["question_id"] == str(text_q) and a["answer_value"]), None)
    if text_row is None and not text_q:
        text_row = next((a for a in answers if a["answer_type"] == "text" and a["answer_value"]
                         and a["answer_number"] is None), None)

    custom = response.get("custom_variables") if isinstance(response.get("custom_variables"), Mapping) else {}
    mapping: dict[str, Any] = {
        "rating_type": rating_type, "rating_question_id": None, "rating_value": None, "rating_value_raw": None,
        "rating_scale_min": None, "rating_scale_max": None,
        "text_question_id": text_row["question_id"] if text_row else None,
        "text": text_row["answer_value"] if text_row else None,
        "customer_email": response.get("email_address") or custom.get("email") or None,
        "customer_external_id": response.get("custom_value") or custom.get("customer_id") or custom.get("cust") or None,
        "language": primary_language(response.get("language")),
        "answers": answers,
    }
    if rating_row and rating_type:
        meta = questions.get(rating_row["question_id"]) or {"choices": {}}
        low, high = _rating_scale(rating_type, meta, bool(survey_config.get(f"{rating_type}_reverse")))
        mapping.update(rating_question_id=rating_row["question_id"], rating_value=rating_row["answer_number"],
                       rating_value_raw=rating_row["answer_value"], rating_scale_min=low, rating_scale_max=high)
    return mapping


class SurveyMonkeySource(RestApiSource):
    """SurveyMonkey responses, one account per configured survey."""

    name = "surveymonkey"
    supports_until = True  # `end_modified_at`; ingest also drops records at or after it (bound inclusivity unconfirmed)
    until_cut = "client"
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, config: Mapping[str, Any] | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: RetryPolicy | None = None):
        super().__init__(config, sleep=sleep, policy=policy)
        self._surveys: dict[str, dict[str, Any]] = {}
        for item in self.config.get("surveys") or []:
            cfg = {"id": item} if isinstance(item, str | int) else dict(item)
            if not cfg.get("id"):
                raise SourceError(self.name, f"every entry of sources.surveymonkey.surveys needs an id, got {item!r}")
            self._surveys[str(cfg["id"])] = cfg

    def accounts(self) -> list[str]:
        if not self._surveys:
            raise SourceError(self.name, "no surveys configured: set sources.surveymonkey.surveys")
        return list(self._surveys)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential(self.name, 'token')}"}

    def _respect_minute_quota(self, headers: Mapping[str, str]) -> None:
        """Pause before the next call when the per-minute quota is spent, instead of collecting a 429."""
        remaining = headers.get("X-Ratelimit-App-Global-Minute-Remaining")
        if remaining is not None and remaining.strip() == "0":
            try:
                wait = min(float(headers.get("X-Ratelimit-App-Global-Minute-Reset") or 60), 60.0)
            except ValueError:
                wait = 60.0
            log.warning("[surveymonkey] minute quota spent; waiting %.0fs", wait)
            self._sleep(wait)

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None,
                until: datetime | None = None) -> Iterator[ExtractBatch]:
        survey_cfg = self._surveys.get(account) or {"id": account}
        client = self.api()
        details, details_resp = client.fetch_json("GET", f"/surveys/{account}/details")
        self._respect_minute_quota(details_resp.headers)
        questions = survey_questions(details)
        survey_info = {"id": str(details.get("id") or account), "title": details.get("title"),
                       "language": details.get("language")}
        overlap = timedelta(minutes=float(self.config.get("overlap_minutes", 60)))

        saved = (cursor or {}).get("watermark")
        watermark = parse_utc(saved)
        if saved and watermark is None:
            log.warning("[surveymonkey/%s] saved watermark %r is unreadable; re-reading from start_date", account, saved)
        start = since or (watermark - overlap if watermark else parse_utc(str(self.config.get("start_date") or "")))
        params: dict[str, Any] | None = {"per_page": int(self.config.get("per_page", 100)), "sort_by": "date_modified",
                                         "sort_order": "ASC"}
        if start:
            params["start_modified_at"] = api_time(start)
        if until:
            params["end_modified_at"] = api_time(until)
        if self.config.get("statuses"):
            params["status"] = ",".join(self.config["statuses"])
        high = watermark
        path: str | None = f"/surveys/{account}/responses/bulk"
        while path:
            body, resp = client.fetch_json("GET", path, params=params)
            self._respect_minute_quota(resp.headers)
            data = body.get("data") if isinstance(body, Mapping) else None
            if not isinstance(data, list):
                raise SourceError(self.name, f"survey {account}: /responses/bulk answered without a data list")
            records, rejects = self.parse_page(account, data, questions, survey_info, survey_cfg)
            for rec in records:
                if rec.source_updated_at and (high is None or rec.source_updated_at > high):
                    high = rec.source_updated_at
            yield ExtractBatch(records=records, rejects=rejects,
                               cursor={"watermark": high.isoformat() if high else None})
            nxt = (body.get("links") or {}).get("next")
            path, params = (nxt, None) if nxt else (None, None)  # an empty page with a next link continues

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """The response through the survey's current details (fetched again, as a sync does)."""
        details, _ = self.api().fetch_json("GET", f"/surveys/{account}/details")
        survey_info = {"id": str(details.get("id") or account), "title": details.get("title"),
                       "language": details.get("language")}
        return self.parse_page(account, [payload.get("response")], survey_questions(details), survey_info,
                               self._surveys.get(account) or {"id": account})

    def parse_page(self, account: str, data: list[Any], questions: Mapping[str, Any], survey_info: Mapping[str, Any],
                   survey_cfg: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """Turn one bulk page into raw records, and the ones that cannot be keyed into rejects."""
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        for pos, item in enumerate(data):
            if not isinstance(item, Mapping):
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "item", "response is not an object",
                                              {"response": item}))
                continue
            rid = item.get("id")
            if not rid:
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "id", "required field 'id' is missing",
                                              {"response": item}))
                continue
            modified = parse_utc(item.get("date_modified")) or parse_utc(item.get("date_created"))
            if modified is None:
                rejects.append(RejectedRecord(self.name, account, str(rid), "date_modified",
                                              f"required field 'date_modified' is missing or not ISO 8601: "
                                              f"{item.get('date_modified')!r}", {"response": item}))
                continue
            answered = {str(q.get("id")) for p in item.get("pages") or [] for q in (p or {}).get("questions") or []
                        if isinstance(q, Mapping)}
            payload = {
                "response": item,
                "survey": {**survey_info, "questions": {
                    qid: {k: q[k] for k in ("heading", "family", "subtype")} for qid, q in questions.items() if qid in answered}},
                "mapping": map_response(item, questions, survey_cfg),
            }
            records.append(RawRecord(self.name, account, str(rid), payload, modified))
        return records, rejects
