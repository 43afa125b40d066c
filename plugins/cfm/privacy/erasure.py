"""Right to erasure: delete one customer's feedback everywhere, embeddings included, and log it.

The customer is named by email, external id or phone (normalised with `phonenumbers`). We find
their records through the staging contract (cfm.warehouse.staging): the pseudonymous key
(ml.feedback_identity), the email or external id columns, a record id equal to any of the
identifiers, or the identifier written in the text. Then we delete raw rows, validation and
enrichment state, every ml table's rows (enumerated from cfm.nlp.ml_schema), embeddings no
other feedback uses, representative texts, quarantined payloads, the loop's cases, and the
customer's rows in every intermediate and mart table (so nothing waits for the next build).
The request stays in ops.erasure_requests (key only) and its identifiers and record keys in
ops.erasure_tombstones (keyed hashes): the raw loader and the quarantine writer refuse them,
and enrichment purges any new record of the customer. Each request is in ops.privacy_audit.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import re
from typing import Any

import psycopg
from psycopg import sql

from cfm.privacy import tombstones
from cfm.privacy.customer_identity import erase_customer_records
from cfm.privacy.pseudonymise import customer_key, normalise_email, pseudonym_key
from cfm.warehouse import quarantine, staging

log = logging.getLogger(__name__)

RecordKey = tuple[str, str, str, str]  # source, account, source_record_id, feedback_id


class Identifiers:
    """The identifiers one erasure request names, normalised, and their keyed digests."""

    def __init__(self, email: str | None, external_id: str | None, phone: str | None, key: bytes,
                 region: str | None = None):
        self.email = normalise_email(email) if email and email.strip() else None
        self.external_id = external_id.strip() if external_id and external_id.strip() else None
        self.phone = None
        if phone and phone.strip():
            self.phone = tombstones.normalise_phone(phone, region)
            if self.phone is None:
                raise ValueError(f"{phone!r} is not a phone number (write it with +country, or set privacy.phone_region)")
        if not (self.email or self.external_id or self.phone):
            raise ValueError("name the customer by email, external id or phone")
        self.key = key
        self.region = region

    def digests(self) -> list[tuple[str, str]]:
        out = []
        if self.email:
            out.append(("email", tombstones.email_digest(self.email, self.key)))
        if self.external_id:
            out.append(("id", tombstones.id_digest(self.external_id, self.key)))
        if self.phone:
            out.append(("phone", tombstones.phone_digest(self.phone, self.key)))
        return out

    def customer_keys(self) -> set[str]:
        """The customer keys feedback of this customer can carry (by email or by external id)."""
        keys = {customer_key(self.email, None, self.key), customer_key(None, self.external_id, self.key)}
        if self.phone:  # a phone used as the external id
            keys.add(customer_key(None, self.phone, self.key))
        return {k for k in keys if k}

    def national_digits(self) -> str:
        """The phone's national significant number: every written form of it contains these digits."""
        import phonenumbers

        return phonenumbers.national_significant_number(phonenumbers.parse(self.phone))

    def clear_values(self) -> set[str]:
        """The identifiers as a record id could spell them (for ml.id_pseudonyms)."""
        return {v for v in (self.email, self.external_id, self.phone) if v}

    def subject_hash(self) -> str:
        """One digest naming the request in ops (erasure_requests, privacy_audit): never the identifier."""
        return self.digests()[0][1]

    def matches_id(self, value: str | None) -> bool:
        """A record id or external id equal to one of the identifiers (an email, a phone in any format)."""
        if not value or not value.strip():
            return False
        value = value.strip()
        if self.email and normalise_email(value) == self.email:
            return True
        if self.external_id and value == self.external_id:
            return True
        if self.phone and sum(c.isdigit() for c in value) >= 7:
            return tombstones.normalise_phone(value, self.region) == self.phone
        return False

    def in_text(self, text: str | None) -> bool:
        if not text:
            return False
        if self.email and self.email in text.lower():
            return True
        return bool(self.phone) and self.phone in tombstones.phones_in_text(text, self.region)


def find_records(conn: psycopg.Connection, who: Identifiers) -> list[RecordKey]:
    """Every staged feedback record of the customer (by key, email, external id, record id or text).

    The database picks the candidates (`_naming`, a superset); each is confirmed here, so only the
    customer's few rows leave the database whatever the size of staging."""
    found: list[RecordKey] = []
    keys = who.customer_keys()
    for view in staging.feedback_views(conn):
        naming, params = _naming(who, sql.SQL("concat_ws(' ', s.customer_email, s.customer_external_id, "
                                               "s.source_record_id, s.text_raw)"), json_text=False)
        rows = conn.execute(
            sql.SQL("select s.source, s.account, s.source_record_id, s.feedback_id, i.customer_key, s.customer_email, "
                    "s.customer_external_id, s.text_raw from staging.{} s left join ml.feedback_identity i "
                    "using (feedback_id) where i.customer_key = any(%s) or {}")
            .format(sql.Identifier(view), naming), [sorted(keys), *params]).fetchall()
        for source, account, record_id, feedback_id, key, email, external_id, text in rows:
            if (key in keys or who.matches_id(email) or who.matches_id(external_id) or who.matches_id(record_id)
                    or who.in_text(text)):
                found.append((source, account, record_id, feedback_id))
    # Feedback whose raw payload retention already deleted: only its pseudonymous key finds it.
    known = {r[3] for r in found}
    found += [("", "", "", f) for (f,) in conn.execute(
        "select feedback_id from ml.feedback_identity where customer_key = any(%s)", (sorted(keys),)) if f not in known]
    return found


# Digits phonenumbers reads besides ASCII in our markets' texts: Arabic-Indic, Persian, full-width.
_DIGIT_SETS = (0x660, 0x6F0, 0xFF10)
_NON_DIGIT = "[^0-9" + "".join(f"{chr(b)}-{chr(b + 9)}" for b in _DIGIT_SETS) + "]"
# Separators between a phone's digits: the matcher allows 4 characters, a whole value read as one
# number (tombstones.phones_in_text) is at most 40 characters long.
_MAX_GAP = 40


def _digits_pattern(digits: str) -> str:
    """A PostgreSQL regex for these digits in order, in any digit set, with separators between them."""
    return f"{_NON_DIGIT}{{0,{_MAX_GAP}}}".join(
        "[" + d + "".join(chr(b + int(d)) for b in _DIGIT_SETS) + "]" for d in digits)


def _naming(who: Identifiers, text: sql.Composable, *, json_text: bool) -> tuple[sql.Composable, list[Any]]:
    """A SQL condition true for every row whose `text` may name the customer: it contains the email
    (lower case, NFKC where the text is not normalised already), the external id (as JSON writes it,
    for a payload) or the phone's national digits with separators between them. A superset of what
    the Python checks accept, with bound parameters only; the checks then confirm each candidate."""
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if who.email:
        parts.append(sql.SQL("strpos(lower({t}), %s) > 0 or ({t} is not nfkc normalized and "
                             "strpos(lower(normalize({t}, nfkc)), %s) > 0)").format(t=text))
        params += [who.email, who.email]
    if who.external_id:
        parts.append(sql.SQL("strpos({}, %s) > 0").format(text))
        params.append(json.dumps(who.external_id, ensure_ascii=False)[1:-1] if json_text else who.external_id)
    if who.phone:
        parts.append(sql.SQL("{} ~ %s").format(text))
        params.append(_digits_pattern(who.national_digits()))
    return sql.SQL("({})").format(sql.SQL(" or ").join(parts)), params


def ml_tables() -> list[str]:
    """Every table the ml schema defines (cfm.nlp.ml_schema), so a new one cannot be forgotten here."""
    from cfm.nlp.ml_schema import ML_DDL

    names = re.findall(r"create table if not exists (ml\.\w+)", ML_DDL, flags=re.IGNORECASE)
    return sorted(set(names) | {"ml.feedback_enrichment"})


def _columns(conn: psycopg.Connection, table: str) -> set[str]:
    schema, name = table.split(".")
    return {c for (c,) in conn.execute("select column_name from information_schema.columns "
                                       "where table_schema = %s and table_name = %s", (schema, name))}


def _derived_tables(conn: psycopg.Connection) -> list[str]:
    """dbt's materialised tables in intermediate and marts (views follow raw by themselves), and in the
    marts' shadow schemas of a build in progress (cfm.warehouse.marts_publish), which it would publish."""
    from cfm.warehouse.marts_publish import LOOP_SHADOW, SHADOW

    return [f"{s}.{t}" for s, t in conn.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
        "and table_schema = any(%s) order by 1, 2", (["intermediate", "marts", SHADOW, LOOP_SHADOW],))]


def purge_records(conn: psycopg.Connection, records: list[RecordKey], customer_keys: set[str] | None = None) -> dict[str, int]:
    """Delete the given records from raw, quarantine, ops state, every ml table, the loop's cases,
    and every intermediate and mart table that carries their feedback id, case or customer key."""
    counts: dict[str, int] = {}

    def run(label: str, query: sql.Composable | str, params: Any) -> None:
        counts[label] = counts.get(label, 0) + conn.execute(query, params).rowcount

    ids = [r[3] for r in records]
    keys = sorted(customer_keys or set())
    keys += [k for (k,) in conn.execute("select distinct customer_key from ml.feedback_identity "
                                         "where feedback_id = any(%s) and customer_key is not null", (ids,))]
    hashes: list[str] = []
    texts: list[str] = []
    if conn.execute("select to_regclass('ml.feedback_enrichment') is not null").fetchone()[0]:
        for text_hash, text in conn.execute("select text_hash, text_redacted from ml.feedback_enrichment "
                                            "where feedback_id = any(%s)", (ids,)):
            hashes += [text_hash] if text_hash else []
            texts += [text] if text else []
    if conn.execute("select to_regclass('ml.aspect_sentiment') is not null").fetchone()[0]:
        # Clauses are embedded on their own (aspect sentiment): their vectors go too.
        hashes += [h for (h,) in conn.execute(
            "select distinct encode(sha256(convert_to(c, 'UTF8')), 'hex') from ml.aspect_sentiment, unnest(clauses) c "
            "where feedback_id = any(%s)", (ids,))]
    for source, account, record_id, _ in records:
        if not source:
            continue
        run("raw", sql.SQL("delete from raw.{} where account = %s and source_record_id = %s").format(sql.Identifier(source)),
            (account, record_id))
        counts["quarantine"] = counts.get("quarantine", 0) + quarantine.delete_for_record(conn, source, account, record_id)
        run("validated", "delete from ops.validated_records where source = %s and account = %s and source_record_id = %s",
            (source, account, record_id))
    run("ops.enriched_records", "delete from ops.enriched_records where feedback_id = any(%s)", (ids,))
    cases = _purge_cases(conn, ids, keys)
    counts["ops.case_events"] = cases[1]
    for table in ml_tables():
        if not conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]:
            continue
        cols = _columns(conn, table)
        if "feedback_id" in cols:
            run(table, sql.SQL("delete from {} where feedback_id = any(%s)").format(sql.SQL(table)), (ids,))
    if hashes and conn.execute("select to_regclass('ml.embeddings') is not null").fetchone()[0]:
        run("ml.embeddings", "delete from ml.embeddings e where text_hash = any(%s) and not exists "
            "(select 1 from ml.feedback_enrichment f where f.text_hash = e.text_hash)", (hashes,))
    if texts:
        counts["ml.topics.representative_texts"] = _purge_representatives(conn, texts)
    for table in _derived_tables(conn):
        cols = _columns(conn, table)
        if "feedback_id" in cols:
            run(table, sql.SQL("delete from {} where feedback_id = any(%s)").format(sql.SQL(table)), (ids,))
        if "customer_key" in cols and keys:
            run(table, sql.SQL("delete from {} where customer_key = any(%s)").format(sql.SQL(table)), (keys,))
        if "case_id" in cols and cases[0]:
            run(table, sql.SQL("delete from {} where case_id = any(%s)").format(sql.SQL(table)), (cases[0],))
    return {k: v for k, v in counts.items() if v}


def _purge_representatives(conn: psycopg.Connection, texts: list[str]) -> int:
    """Drop the erased texts from ml.topics.representative_texts (shown shortened: a prefix matches too)."""
    removed = 0
    for topic_id, reps in conn.execute("select topic_id, representative_texts from ml.topics").fetchall():
        kept = [r for r in reps if not any(t == r or t.startswith(r.rstrip("…. ")) for t in texts)]
        if len(kept) != len(reps):
            conn.execute("update ml.topics set representative_texts = %s where topic_id = %s", (kept, topic_id))
            removed += len(reps) - len(kept)
    return removed


def _purge_cases(conn: psycopg.Connection, feedback_ids: list[str], keys: list[str]) -> tuple[list[str], int]:
    """The loop's cases of the customer: every event of a case opened by or attached to their feedback,
    or keyed to them, and their follow-ups. ops.case_events is append-only for everyone else."""
    if not conn.execute("select to_regclass('ops.case_events') is not null").fetchone()[0]:
        return [], 0
    cases = [c for (c,) in conn.execute(
        "select distinct case_id from ops.case_events where feedback_id = any(%s) or details->>'customer_key' = any(%s)",
        (feedback_ids, keys))]
    if conn.execute("select to_regclass('ops.case_followups') is not null").fetchone()[0]:
        cases += [c for (c,) in conn.execute("select distinct case_id from ops.case_followups where customer_key = any(%s)",
                                             (keys,))]
        conn.execute("delete from ops.case_followups where case_id = any(%s) or customer_key = any(%s)", (cases, keys))
    if not cases:
        return [], 0
    conn.execute("alter table ops.case_events disable trigger case_events_append_only")
    deleted = conn.execute("delete from ops.case_events where case_id = any(%s)", (cases,)).rowcount
    conn.execute("alter table ops.case_events enable trigger case_events_append_only")
    return sorted(set(cases)), deleted


def audit(conn: psycopg.Connection, action: str, counts: dict[str, Any], *, subject_hash: str | None = None,
          dry_run: bool = False, actor: str | None = None) -> int:
    """One row in ops.privacy_audit: who, what, when, counts. Never a clear identifier."""
    return conn.execute(
        "insert into ops.privacy_audit (action, actor, subject_hash, dry_run, counts) values (%s, %s, %s, %s, %s) "
        "returning audit_id",
        (action, actor or _actor(), subject_hash, dry_run, json.dumps(counts))).fetchone()[0]


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry)
        return "unknown"


def erase_customer(url: str, *, email: str | None = None, external_id: str | None = None, phone: str | None = None,
                   region: str | None = None, actor: str | None = None) -> dict[str, Any]:
    if not any(v and v.strip() for v in (email, external_id, phone)):
        raise ValueError("name the customer by email, external id or phone (--email, --customer-id, --phone)")
    who = Identifiers(email, external_id, phone, pseudonym_key(), region)
    keys = who.customer_keys()
    with psycopg.connect(url) as conn, conn.transaction():
        request_id = conn.execute("insert into ops.erasure_requests (customer_key) values (%s) returning request_id",
                                  (customer_key(who.email, who.external_id or who.phone, who.key),)).fetchone()[0]
        records = find_records(conn, who)
        clear_ids = staging.record_ids(conn, [r[3] for r in records]) | who.clear_values()
        record_digests = [("record", tombstones.record_digest(s, a, r, who.key)) for s, a, r, _ in records if s]
        counts = purge_records(conn, records, keys)
        counts["customer_records"] = erase_customer_records(conn, keys)
        counts.update(_purge_unstaged(conn, who, record_digests, records))
        counts["ml.id_pseudonyms"] = _purge_id_pseudonyms(conn, clear_ids)
        tombstones.add(conn, request_id, [*who.digests(), *record_digests])
        conn.execute("update ops.erasure_requests set completed_at = now(), rows_deleted = %s where request_id = %s",
                     (json.dumps(counts), request_id))
        audit(conn, "erasure", {"request_id": request_id, "records": len(records), **counts},
              subject_hash=who.subject_hash(), actor=actor)
    log.info("[erasure] request %s: %d records, %s", request_id, len(records), counts)
    return {"request_id": request_id, "records": len(records), "deleted": counts}


def _purge_id_pseudonyms(conn: psycopg.Connection, clear_ids: set[str]) -> int:
    """ml.id_pseudonyms is keyed by md5 of the clear id, which a dictionary of emails or phones reverses:
    the rows of the erased customer's ids go, unless a record still staged carries the same id (its
    pseudonym is what keeps that id out of the marts)."""
    digests = sorted({hashlib.md5(v.encode("utf-8")).hexdigest() for v in clear_ids})
    if not digests:
        return 0
    still_used = sorted(staging.referenced_id_digests(conn, digests))
    return conn.execute("delete from ml.id_pseudonyms where id_digest = any(%s) and not id_digest = any(%s)",
                        (digests, still_used)).rowcount


def _purge_unstaged(conn: psycopg.Connection, who: Identifiers, record_digests: list[tuple[str, str]],
                    found: list[RecordKey]) -> dict[str, int]:
    """Raw rows and quarantine entries that name the customer but never reached staging
    (parser rejects, records a failed staging build does not show): matched on their payload,
    the candidates picked in SQL (`_naming`) and each confirmed by the tombstone check."""
    from cfm.sources.registry import source_names

    stones = tombstones.Tombstones({"email": set(), "phone": set(), "id": set(), "record": set()}, who.key, who.region)
    for kind, digest in [*who.digests(), *record_digests]:
        stones.digests[kind].add(digest)
    records: dict[str, list[str]] = {}
    for source, _account, record_id, _ in found:
        records.setdefault(source, []).append(record_id)
    naming, params = _naming(who, sql.SQL("payload::text"), json_text=True)
    raw = 0
    for name in source_names():
        table = sql.Identifier("raw", name)
        candidates = conn.execute(sql.SQL("select account, source_record_id, payload from {} where {} "
                                          "or source_record_id = any(%s)").format(table, naming),
                                  [*params, records.get(name, [])]).fetchall()
        for account, record_id, payload in candidates:
            if stones.blocks(name, account, record_id, payload):
                raw += conn.execute(sql.SQL("delete from {} where account = %s and source_record_id = %s").format(table),
                                    (account, record_id)).rowcount
    held = 0
    for quarantine_id, source, account, record_id, payload in conn.execute(
            sql.SQL("select quarantine_id, source, account, source_record_id, payload from quarantine.records "
                    "where {} or source_record_id = any(%s)").format(naming),
            [*params, [r for ids in records.values() for r in ids]]).fetchall():
        if stones.blocks(source, account, record_id, payload):
            held += quarantine.delete_entry(conn, quarantine_id)
    return {"raw_unstaged": raw, "quarantine_payloads": held}


EMAIL_IN_TEXT = tombstones.EMAIL_IN_TEXT


def purge_quarantined_payloads(conn: psycopg.Connection, erased: set[str], key: bytes) -> int:
    """Delete parser-rejected payloads that name an erased customer by email (they have no feedback id)."""
    deleted = 0
    for quarantine_id, payload in quarantine.parser_reject_payloads(conn):
        if any(customer_key(email, None, key) in erased for email in EMAIL_IN_TEXT.findall(payload)):
            deleted += quarantine.delete_entry(conn, quarantine_id)
    return deleted


def erased_keys(conn: psycopg.Connection) -> set[str]:
    """Customer keys of erased customers: the requests' keys, and the email/id tombstones (the same HMACs)."""
    keys = {k for (k,) in conn.execute("select customer_key from ops.erasure_requests where completed_at is not null")}
    if conn.execute("select to_regclass('ops.erasure_tombstones') is not null").fetchone()[0]:
        keys |= {k for (k,) in conn.execute("select digest from ops.erasure_tombstones where kind in ('email', 'id')")}
    return keys
