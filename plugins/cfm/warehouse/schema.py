"""DDL for the raw, quarantine and ops schemas, and the warehouse roles (the ml tables: cfm.nlp.ml_schema).

dbt owns staging, intermediate and marts; we only create those schemas so that grants
can be set before dbt's first run. Everything here is idempotent.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from cfm.sources.registry import source_names

SCHEMAS = ("raw", "quarantine", "ops", "ml", "staging", "intermediate", "marts")

LOADER_ROLE = "cfm_loader"
TRANSFORMER_ROLE = "cfm_transformer"
ANALYST_ROLE = "cfm_analyst"

RAW_TABLE = """
create table if not exists raw.{table} (
    source            text        not null,
    account           text        not null,
    source_record_id  text        not null,
    source_updated_at timestamptz,
    extracted_at      timestamptz not null,
    run_id            text        not null,
    payload           jsonb       not null,
    payload_hash      text        not null,
    primary key (source, account, source_record_id)
);
-- dbt's incremental builds find what changed since the last build by these markers (macros/incremental_feedback.sql)
create index if not exists {index} on raw.{table} (extracted_at)
"""

OPS_AND_QUARANTINE = """
create table if not exists ops.sync_state (
    source     text not null,
    account    text not null,
    cursor     jsonb,
    run_id     text,
    updated_at timestamptz not null default now(),
    primary key (source, account)
);
create table if not exists ops.run_log (
    run_id      text not null,
    stage       text not null,
    source      text not null default '',
    started_at  timestamptz not null,
    finished_at timestamptz,
    status      text not null,
    counts      jsonb not null default '{}',
    error       text,
    primary key (run_id, stage, source)
);
create table if not exists ops.validated_records (
    source           text not null,
    account          text not null,
    source_record_id text not null,
    payload_hash     text not null,
    passed           boolean not null,
    run_id           text not null,
    validated_at     timestamptz not null default now(),
    primary key (source, account, source_record_id)
);
create table if not exists ops.erasure_requests (
    request_id   bigserial primary key,
    customer_key text not null,
    requested_at timestamptz not null default now(),
    completed_at timestamptz,
    rows_deleted jsonb
);
-- What an erasure removed, as keyed hashes (cfm.privacy.tombstones): identifiers (email, phone, external id)
-- and record keys. The raw loader and the quarantine writer consult it, so a re-read never brings them back.
create table if not exists ops.erasure_tombstones (
    digest     text primary key,
    kind       text not null check (kind in ('email', 'phone', 'id', 'record')),
    request_id bigint,
    created_at timestamptz not null default now()
);
-- Who did what and when to personal data (erasure requests, retention runs), with counts. Never a clear identifier.
create table if not exists ops.privacy_audit (
    audit_id     bigserial primary key,
    action       text not null check (action in ('erasure', 'retention')),
    actor        text not null,
    subject_hash text,
    dry_run      boolean not null default false,
    counts       jsonb not null default '{}',
    occurred_at  timestamptz not null default now()
);
create table if not exists quarantine.records (
    quarantine_id    bigserial primary key,
    source           text not null,
    account          text not null,
    record_ref       text not null,
    source_record_id text,
    field            text not null,
    check_name       text not null,
    reason           text not null,
    payload          jsonb not null,
    payload_hash     text not null,
    run_id           text not null,
    quarantined_at   timestamptz not null default now(),
    status           text not null default 'open' check (status in ('open', 'resolved', 'replayed', 'dismissed')),
    resolved_at      timestamptz,
    unique (source, account, record_ref, check_name, field, payload_hash)
);
create table if not exists ops.enriched_records (
    feedback_id  text primary key,
    payload_hash text not null,
    run_id       text not null,
    enriched_at  timestamptz not null default now()
);
create index if not exists validated_records_validated_at_idx on ops.validated_records (validated_at);
create index if not exists enriched_records_enriched_at_idx on ops.enriched_records (enriched_at);
create index if not exists records_open_idx on quarantine.records (source, account, source_record_id) where status = 'open';
"""


def _ensure_role(conn: psycopg.Connection, role: str) -> None:
    if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
        try:
            conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
        except psycopg.errors.DuplicateObject:  # another database in the same cluster raced us
            conn.rollback()


def ensure_roles(conn: psycopg.Connection) -> None:
    """Loader writes raw/quarantine/ops/ml; transformer reads those and owns the dbt schemas;
    analyst reads marts and nothing else."""
    for role in (LOADER_ROLE, TRANSFORMER_ROLE, ANALYST_ROLE):
        _ensure_role(conn, role)
    ident = sql.Identifier
    db = conn.info.dbname
    conn.execute(sql.SQL("revoke all on database {} from public").format(ident(db)))
    for role in (LOADER_ROLE, TRANSFORMER_ROLE, ANALYST_ROLE):
        conn.execute(sql.SQL("grant connect on database {} to {}").format(ident(db), ident(role)))
    for schema in ("raw", "quarantine", "ops", "ml"):
        conn.execute(sql.SQL("revoke all on schema {} from public").format(ident(schema)))
        conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(ident(schema), ident(LOADER_ROLE)))
        conn.execute(sql.SQL("grant select, insert, update, delete on all tables in schema {} to {}").format(ident(schema), ident(LOADER_ROLE)))
        conn.execute(sql.SQL("grant usage, select on all sequences in schema {} to {}").format(ident(schema), ident(LOADER_ROLE)))
        conn.execute(sql.SQL("grant usage on schema {} to {}").format(ident(schema), ident(TRANSFORMER_ROLE)))
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(ident(schema), ident(TRANSFORMER_ROLE)))
    for schema in ("staging", "intermediate", "marts"):
        conn.execute(sql.SQL("revoke all on schema {} from public").format(ident(schema)))
        conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(ident(schema), ident(TRANSFORMER_ROLE)))
    conn.execute(sql.SQL("grant usage on schema marts to {}").format(ident(ANALYST_ROLE)))
    conn.execute(sql.SQL("grant select on all tables in schema marts to {}").format(ident(ANALYST_ROLE)))


def ensure_warehouse(conn: psycopg.Connection) -> None:
    """Create the schemas, and the raw, ops and quarantine tables. Safe to run on every start.

    The ml tables are defined by cfm.nlp.ml_schema; `cfm.pipeline.prepare` creates both, then the roles.
    """
    for schema in SCHEMAS:
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
    for name in source_names():
        conn.execute(sql.SQL(RAW_TABLE).format(table=sql.Identifier(name), index=sql.Identifier(f"{name}_extracted_at_idx")))
    conn.execute(OPS_AND_QUARANTINE)
    conn.commit()
