"""Customer file drop: CSV/JSONL files of customer attributes (plan, region, tier, ...) for dim_customers.

The same folder mechanics as the feedback file drop (one batch per file, a changed file is
re-read, unchanged files are skipped), but each row describes a customer: it is keyed by
`customer_id` (the external id), else by the normalised email, and lands in raw.customer_drop
as received. The enrich stage turns the identity into the keyed-hash customer key; the email
never leaves raw and staging. Rows that cannot be keyed or carry a value of the wrong type
go to quarantine naming the file, line and field.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from cfm.sources.base import RawRecord, RejectedRecord, SourceError
from cfm.sources.file_drop import FileDropSource, _csv_rows, _jsonl_rows, decode
from cfm.sources.timestamps import parse_utc

#: The columns the staging model maps; any other column is kept in `attributes`.
KNOWN_COLUMNS = ("customer_id", "email", "plan", "region", "tier", "signup_date", "lifetime_value", "account_owner",
                 "updated_at")


def _email(row: dict[str, Any]) -> str:
    # `customer_email` is accepted too: it is the feedback drop's name for the same thing.
    return str(row.get("email") or row.get("customer_email") or "").strip().lower()


def record_id(row: dict[str, Any]) -> str:
    """The upsert key: the external id when given, else the normalised email; '' when neither."""
    external = str(row.get("customer_id") or "").strip()
    if external:
        return f"id:{external}"
    email = _email(row)
    return f"email:{email}" if email else ""


def type_errors(row: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, reason) for each known column whose value has the wrong type."""
    errors = []
    signup = str(row.get("signup_date") or "").strip()
    if signup:
        try:
            date.fromisoformat(signup[:10])
        except ValueError:
            errors.append(("signup_date", f"'signup_date' is not an ISO 8601 date: {signup[:40]!r}"))
    value = str(row.get("lifetime_value") or "").strip()
    if value:
        try:
            if not Decimal(value).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(("lifetime_value", f"'lifetime_value' is not a number: {value[:40]!r}"))
    updated = str(row.get("updated_at") or "").strip()
    if updated and parse_utc(updated) is None:
        errors.append(("updated_at", f"'updated_at' is not an ISO 8601 timestamp: {updated[:40]!r}"))
    return errors


class CustomerDropSource(FileDropSource):
    name = "customer_drop"
    supports_until = False  # attributes, not dated events: a backfill window does not cut them
    default_dir = "sample_data/customers"

    def accounts(self) -> list[str]:
        return [self.config.get("account") or "customers"]

    def record_from_quarantine(self, account: str, payload: dict[str, Any]) -> RawRecord:
        row = {k: v for k, v in payload.items() if k not in ("_line", "raw")}
        key = record_id(row)
        errors = type_errors(row)
        if not key or errors:
            problem = "still has no customer_id or email" if not key else errors[0][1]
            raise SourceError(self.name, f"quarantined row from {row.get('_file')} {problem}; fix it with cfm quarantine edit")
        return RawRecord(self.name, account, key, row, _updated_at(row))

    def parse_rows(
        self, account: str, rel: str, data: bytes, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[dict[str, tuple[int, RawRecord]], list[RejectedRecord]]:
        """{key: (line, record)} of every good customer row, and a reject per bad line (as the feedback drop).

        A customer file is the current state of each customer, not events in time: a backfill window
        (`since`/`until`) re-reads every row."""
        text, problem = decode(data)
        if problem:
            return {}, [RejectedRecord(self.name, account, rel, "file", problem, {"_file": rel})]
        rows = _jsonl_rows(text) if rel.lower().endswith((".jsonl", ".ndjson")) else _csv_rows(text)
        kept: dict[str, tuple[int, RawRecord]] = {}
        rejects: list[RejectedRecord] = []
        for line_no, row, error, column in rows:
            ref = f"{rel}:{line_no}"
            if error:
                rejects.append(self.line_reject(account, rel, line_no, row, error, column))
                continue
            key = record_id(row)
            if not key:
                rejects.append(RejectedRecord(self.name, account, ref, "customer_id",
                                              "a customer row needs 'customer_id' or 'email'", {**row, "_file": rel}))
                continue
            errors = type_errors(row)
            if errors:
                field, reason = errors[0]
                rejects.append(RejectedRecord(self.name, account, ref, field, reason, {**row, "_file": rel}))
                continue
            self.keep_later(kept, rejects, rel, line_no,
                            RawRecord(self.name, account, key, {**row, "_file": rel}, _updated_at(row)),
                            field="customer_id", noun="customer")
        return kept, rejects


def _updated_at(row: dict[str, Any]) -> datetime | None:
    return parse_utc(str(row.get("updated_at") or "").strip() or None)
