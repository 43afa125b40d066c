"""The marts' PII check: every text column of every mart, read with the redactor's own detectors.

This replaces a dbt `no_pii` test whose regexes were not the redactor's (they called every
date-time and order number a phone and failed the build). Phones are decided by libphonenumber,
which no SQL regex can reproduce, so the check runs in Python after dbt (`cfm run`'s transform
stage and the transform DAG's publish step) and uses `cfm.nlp.redaction.find_pii`: what the
redactor would remove is what fails here, and nothing else.

Our own accounts are not a customer's data: a Gmail account is the company inbox's address,
and it appears in account and thread_key columns by design. The accounts the warehouse syncs
(ops.sync_state, ops.validated_records) are taken out of a value before it is checked, and so
are the staff addresses cases are assigned to (ops.case_events 'assigned' owners: the routing
table's owners or `cfm case assign`) and the loop's own case ids (C- and 10 hex digits, which
can be all digits).

SQL only narrows the rows read: values with an '@', a URL, or at least six digits close
together (the shortest thing the redactor looks for is a UK NI number's six digits).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import psycopg
from psycopg import sql

from cfm.nlp.redaction import find_pii

# Text-bearing column types; json and arrays are read as their text form.
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY", "USER-DEFINED")
_DIGIT = "[0-9٠-٩۰-۹０-９]"
CANDIDATE = rf"@|https?://|www\.|{_DIGIT}(?:[^0-9٠-٩۰-۹０-９]{{0,3}}{_DIGIT}){{5}}"


@dataclass(frozen=True)
class Finding:
    relation: str
    column: str
    pii_types: tuple[str, ...]
    rows: int

    def __str__(self) -> str:
        return f"{self.relation}.{self.column}: {self.rows} row(s) with {', '.join(self.pii_types)}"


class PiiInMarts(RuntimeError):
    """A mart column holds personal data that the redactor would have removed."""


def text_columns(conn: psycopg.Connection, schema: str = "marts") -> list[tuple[str, str]]:
    """(relation, column) of every text-bearing column of every table and view in `schema`."""
    rows = conn.execute(
        """
        select c.table_name, c.column_name
        from information_schema.columns c
        join information_schema.tables t using (table_schema, table_name)
        where c.table_schema = %s and c.data_type = any(%s)
        order by c.table_name, c.ordinal_position
        """,
        (schema, list(TEXT_TYPES)),
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


_CASE_ID = re.compile(r"\bC-[0-9A-F]{10}\b")  # cfm.loop.helpdesk.CASE_ID


def own_accounts(conn: psycopg.Connection) -> list[str]:
    """Our own identifiers that look like PII, longest first: the source accounts this warehouse
    syncs (inboxes, app ids) and the staff addresses cases are assigned to."""
    accounts: set[str] = set()
    queries = {
        "ops.sync_state": "select distinct account from ops.sync_state",
        "ops.validated_records": "select distinct account from ops.validated_records",
        "ops.case_events": "select distinct details->>'owner' from ops.case_events where event_type = 'assigned'",
    }
    for table, query in queries.items():
        if conn.execute("select to_regclass(%s) is not null", (table,)).fetchone()[0]:
            accounts.update(r[0] for r in conn.execute(query) if r[0])
    return sorted((a for a in accounts if find_pii(a)), key=len, reverse=True)


def scan(conn: psycopg.Connection, schema: str = "marts") -> list[Finding]:
    """Every column of `schema` holding values in which the redactor finds PII (the values are not returned)."""
    findings: list[Finding] = []
    accounts = own_accounts(conn)
    for relation, column in text_columns(conn, schema):
        query = sql.SQL(
            "select {col}::text, count(*) from {schema}.{rel} where {col}::text ~ %s group by 1"
        ).format(col=sql.Identifier(column), schema=sql.Identifier(schema), rel=sql.Identifier(relation))
        types: Counter[str] = Counter()
        rows = 0
        for value, n in conn.execute(query, (CANDIDATE,)):
            value = _CASE_ID.sub(" ", value)
            for account in accounts:
                value = value.replace(account, " ")
            found = find_pii(value)
            if found:
                rows += n
                types.update(found)
        if rows:
            findings.append(Finding(relation, column, tuple(sorted(types)), rows))
    return findings


def check(url: str, schema: str = "marts") -> int:
    """Raise PiiInMarts naming each column that holds PII; return how many columns were checked."""
    with psycopg.connect(url) as conn:
        columns = len(text_columns(conn, schema))
        findings = scan(conn, schema)
    if findings:
        raise PiiInMarts(
            f"personal data in analyst-readable {schema} columns: " + "; ".join(map(str, findings))
        )
    return columns
