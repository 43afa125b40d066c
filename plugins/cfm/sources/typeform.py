"""Typeform: form responses through the Responses API, questions through the form definition.

Each configured form is an account with its own cursor. A sync reads the window
[watermark - overlap, now - lag]: Typeform says very recent responses (about 30 minutes)
may not be returned yet, so the watermark never moves past `now - lag`, and the overlap
re-reads late arrivals (they upsert by response id). Pages are walked the way Typeform
documents it: the first page `sort=submitted_at,asc`, the next ones `after=<token of the
last item>` (tokens cannot be combined with `sort`).

Cursor: `{"watermark": ISO}` once a window is done; while a window is being walked,
`{"watermark": <old>, "window": {"since", "until"}, "resume_after": <token>}` so a crash
resumes after the last stored page. A token Typeform rejects (HTTP 400) restarts the
window from the watermark.

Payload stored per response (see docs/sources/typeform.md):
`{"response": <item as received>, "form": {id, title, language, fields: {field_id: {ref,
title, type, properties}}}, "mapping": {...}}` where `form.fields` holds only the
answered fields and `mapping` is the rating/text/answers reading that staging uses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cfm.sources.base import DEFAULT_SCALES, ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, primary_language

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.typeform.com"
ROLE_KEYS = (("nps_field", "nps"), ("csat_field", "csat"), ("ces_field", "ces"), ("star_field", "star"))
# Field types whose answer alone says what kind of rating it is; opinion_scale needs config.
AUTO_RATING_TYPES = {"nps": "nps", "rating": "star"}


def api_time(value: datetime) -> str:
    """Typeform's `since`/`until` format: ISO 8601 UTC to the second."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def form_fields(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Index a form definition's fields (groups flattened) by field id."""
    out: dict[str, dict[str, Any]] = {}

    def walk(fields: Any) -> None:
        for f in fields or []:
            if not isinstance(f, Mapping) or not f.get("id"):
                continue
            props = f.get("properties") or {}
            kept = {k: props[k] for k in ("steps", "start_at_one", "shape", "labels") if k in props}
            out[str(f["id"])] = {"ref": f.get("ref"), "title": f.get("title"), "type": f.get("type"), "properties": kept}
            walk(props.get("fields"))

    walk(definition.get("fields"))
    return out


def answer_value(answer: Mapping[str, Any]) -> tuple[str | None, float | None]:
    """The display text and numeric value of one Typeform answer, whatever its type."""
    kind = answer.get("type")
    value = answer.get(kind) if isinstance(kind, str) else None
    if kind == "choice" and isinstance(value, Mapping):
        return (value.get("label") or value.get("other")), None
    if kind == "choices" and isinstance(value, Mapping):
        labels = list(value.get("labels") or [])
        if value.get("other"):
            labels.append(value["other"])
        return ", ".join(str(x) for x in labels), None
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value), float(value)
    if kind == "boolean" and isinstance(value, bool):
        return ("true" if value else "false"), float(value)
    if kind == "payment" and isinstance(value, Mapping):
        return (str(value.get("amount")) if value.get("amount") is not None else None), None
    if value is None or isinstance(value, Mapping | list):
        return None, None
    return str(value), None


def _scale(field_type: str | None, props: Mapping[str, Any], rating_type: str) -> tuple[int, int]:
    if field_type == "nps" or (rating_type == "nps" and field_type != "opinion_scale"):
        return DEFAULT_SCALES["nps"]
    if field_type == "opinion_scale":
        low = 1 if props.get("start_at_one") else 0
        steps = int(props.get("steps") or 11)
        return low, low + steps - 1
    if field_type == "rating":
        return 1, int(props.get("steps") or 5)
    return DEFAULT_SCALES[rating_type]


def map_response(response: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]],
                 form_config: Mapping[str, Any], language: str | None = None) -> dict[str, Any]:
    """Read the main rating, the open text, the customer and every answer of one response.

    The rating is the configured nps/csat/ces/star field (id or ref) when present in
    the answers, otherwise the first `nps` field, otherwise the first `rating` (stars).
    The text is the configured `text_field`, otherwise the first long_text, then short_text.
    """
    answers: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}
    for ans in response.get("answers") or []:
        if not isinstance(ans, Mapping):
            continue
        fref = ans.get("field") or {}
        fid = str(fref.get("id") or "")
        meta = fields.get(fid) or {}
        text, number = answer_value(ans)
        row = {
            "question_id": fid or None,
            "question_ref": fref.get("ref") or meta.get("ref"),
            "question_text": meta.get("title"),
            "question_type": fref.get("type") or meta.get("type"),
            "answer_type": ans.get("type"),
            "answer_value": text,
            "answer_number": number,
        }
        answers.append(row)
        for key in (fid, row["question_ref"]):
            if key:
                by_key.setdefault(str(key), row)

    rating: dict[str, Any] | None = None
    for cfg_key, rtype in ROLE_KEYS:
        wanted = form_config.get(cfg_key)
        if wanted and str(wanted) in by_key:
            rating = {"type": rtype, "row": by_key[str(wanted)]}
            break
    if rating is None:
        for row in answers:
            rtype = AUTO_RATING_TYPES.get(row["question_type"] or "")
            if rtype and row["answer_number"] is not None:
                rating = {"type": rtype, "row": row}
                break

    text_row = by_key.get(str(form_config.get("text_field"))) if form_config.get("text_field") else None
    for wanted_type in ("long_text", "short_text"):
        if text_row is None:
            text_row = next((r for r in answers if r["question_type"] == wanted_type and r["answer_value"]), None)

    hidden = response.get("hidden") if isinstance(response.get("hidden"), Mapping) else {}
    email = next((r["answer_value"] for r in answers if r["answer_type"] == "email" and r["answer_value"]), None)
    email = email or hidden.get("email")
    mapping: dict[str, Any] = {
        "rating_type": None, "rating_question_id": None, "rating_value": None, "rating_value_raw": None,
        "rating_scale_min": None, "rating_scale_max": None,
        "text_question_id": text_row["question_id"] if text_row else None,
        "text": text_row["answer_value"] if text_row else None,
        "customer_email": email,
        "customer_external_id": hidden.get("customer_id") or hidden.get("user_id"),
        # Typeform has no response language; a hidden field is the usual way forms carry one.
        "language": primary_language(hidden.get("language") or hidden.get("lang") or language),
        "answers": answers,
    }
    if rating:
        row = rating["row"]
        meta = fields.get(row["question_id"] or "") or {}
        low, high = _scale(row["question_type"], meta.get("properties") or {}, rating["type"])
        mapping.update(rating_type=rating["type"], rating_question_id=row["question_id"], rating_value=row["answer_number"],
                       rating_value_raw=row["answer_value"], rating_scale_min=low, rating_scale_max=high)
    return mapping


class TypeformSource(RestApiSource):
    """Typeform responses, one account per configured form."""

    name = "typeform"
    supports_until = True
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, config: Mapping[str, Any] | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: RetryPolicy | None = None, clock: Callable[[], datetime] | None = None):
        super().__init__(config, sleep=sleep, policy=policy)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._forms = {str(f["id"]): f for f in self._form_configs()}

    def _form_configs(self) -> list[dict[str, Any]]:
        out = []
        for item in self.config.get("forms") or []:
            cfg = {"id": item} if isinstance(item, str | int) else dict(item)
            if not cfg.get("id"):
                raise SourceError(self.name, f"every entry of sources.typeform.forms needs an id, got {item!r}")
            out.append(cfg)
        return out

    def accounts(self) -> list[str]:
        if not self._forms:
            raise SourceError(self.name, "no forms configured: set sources.typeform.forms")
        return list(self._forms)

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential(self.name, 'token')}"}

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None,
                until: datetime | None = None) -> Iterator[ExtractBatch]:
        form_cfg = self._forms.get(account) or {"id": account}
        client = self.api()
        definition = client.get_json(f"/forms/{account}")
        fields = form_fields(definition)
        form_info = {"id": definition.get("id") or account, "title": definition.get("title"),
                     "language": (definition.get("settings") or {}).get("language")}
        overlap = timedelta(minutes=float(self.config.get("overlap_minutes", 60)))
        lag = timedelta(minutes=float(self.config.get("lag_minutes", 30)))
        # Typeform caps page_size at 1000.
        page_size = max(1, min(int(self.config.get("page_size", 1000)), 1000))

        cursor = dict(cursor or {})
        watermark = parse_utc(cursor.get("watermark"))
        window = cursor.get("window") or {}
        backfill_until = min(until, self._clock() - lag) if until is not None else None
        resume_after = cursor.get("resume_after") if since is None and until is None else None
        if resume_after and parse_utc(window.get("until")):
            window_since, until = parse_utc(window.get("since")), parse_utc(window["until"])
        else:
            resume_after = None
            start = since or watermark or parse_utc(str(self.config.get("start_date") or "")) or None
            window_since = (start - overlap) if (start and since is None and watermark) else start
            until = backfill_until or self._clock() - lag

        base_params: dict[str, Any] = {"page_size": page_size, "until": api_time(until)}
        if window_since:
            base_params["since"] = api_time(window_since)
        window_cursor = {"since": base_params.get("since"), "until": base_params["until"]}
        old_watermark = cursor.get("watermark")
        after = resume_after
        pages = 0
        while True:
            params = dict(base_params)
            if after:
                params["after"] = after
            else:
                params["sort"] = "submitted_at,asc"
            try:
                body = client.get_json(f"/forms/{account}/responses", params=params)
            except SourceHTTPError as exc:
                if exc.status == 400 and after and pages == 0:
                    log.warning("[typeform/%s] saved page token rejected (HTTP 400); re-reading the window from the watermark",
                                account)
                    after = None
                    continue
                raise
            items = body.get("items") if isinstance(body, Mapping) else None
            if not isinstance(items, list):
                raise SourceError(self.name, f"form {account}: /responses answered without an items list")
            pages += 1
            records, rejects = self.parse_items(account, items, fields, form_info, form_cfg)
            last_token = next((str(i.get("token")) for i in reversed(items) if isinstance(i, Mapping) and i.get("token")), None)
            # `page_count` counts the pages left, this one included: more than one means the walk continues.
            # Only an answer without it falls back to page fullness.
            page_count = body.get("page_count")
            continues = page_count > 1 if isinstance(page_count, int) else len(items) >= page_size
            done = not continues or not last_token
            if done:
                next_cursor: dict[str, Any] = {"watermark": base_params["until"]}
                if backfill_until is not None and watermark is not None and watermark > backfill_until:
                    next_cursor = {"watermark": old_watermark}  # a backfill's window never moves the watermark back
            else:
                next_cursor = {"watermark": old_watermark, "window": window_cursor, "resume_after": last_token}
            yield ExtractBatch(records=records, rejects=rejects, cursor=next_cursor)
            if done:
                return
            after = last_token

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """The response through the form's current definition (fetched again, as a sync does)."""
        definition = self.api().get_json(f"/forms/{account}")
        form_info = {"id": definition.get("id") or account, "title": definition.get("title"),
                     "language": (definition.get("settings") or {}).get("language")}
        return self.parse_items(account, [payload.get("response")], form_fields(definition), form_info,
                                self._forms.get(account) or {"id": account})

    def parse_items(self, account: str, items: list[Any], fields: Mapping[str, Any], form_info: Mapping[str, Any],
                    form_cfg: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """Turn one page of response items into raw records, and the ones that cannot be keyed into rejects."""
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        for pos, item in enumerate(items):
            if not isinstance(item, Mapping):
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "item", "response item is not an object",
                                              {"response": item}))
                continue
            rid = item.get("response_id") or item.get("token")
            if not rid:
                rejects.append(RejectedRecord(self.name, account, f"item#{pos}", "response_id",
                                              "required field 'response_id' (or 'token') is missing", {"response": item}))
                continue
            submitted = parse_utc(item.get("submitted_at"))
            if submitted is None:
                rejects.append(RejectedRecord(self.name, account, str(rid), "submitted_at",
                                              f"required field 'submitted_at' is missing or not ISO 8601: {item.get('submitted_at')!r}",
                                              {"response": item}))
                continue
            answered = {str((a.get("field") or {}).get("id")) for a in item.get("answers") or [] if isinstance(a, Mapping)}
            payload = {
                "response": item,
                "form": {**form_info, "fields": {k: v for k, v in fields.items() if k in answered}},
                "mapping": map_response(item, fields, form_cfg, form_info.get("language")),
            }
            records.append(RawRecord(self.name, account, str(rid), payload, submitted))
        return records, rejects
