"""Watermarks: what the transform's inputs look like now, so a re-run with nothing new can skip dbt.

The fingerprint covers everything `dbt build` reads or is built from: every dbt source table
(row count and newest row version, `max(xmin)`, which moves on any insert or update; a delete
moves the count), the dbt project files, and the dbt vars from cfm.yml. The transform stage
records it in ops.run_log (counts.fingerprint) when a build succeeds; the next run compares.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

# What a dbt build depends on besides the warehouse's tables.
PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "seeds", "snapshots")


def dbt_source_tables(project_dir: Path) -> list[tuple[str, str]]:
    """(schema, table) of every source declared in the dbt project's YAML files."""
    found: set[tuple[str, str]] = set()
    for path in sorted((project_dir / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in doc.get("sources") or []:
            schema = source.get("schema") or source["name"]
            found.update((schema, t["name"]) for t in source.get("tables") or [])
    return sorted(found)


def project_digest(project_dir: Path) -> str:
    h = hashlib.sha256()
    for part in PROJECT_PARTS:
        root = project_dir / part
        for path in sorted([root] if root.is_file() else root.rglob("*") if root.is_dir() else []):
            if path.is_file():
                h.update(str(path.relative_to(project_dir)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()


def table_watermarks(conn: psycopg.Connection, tables: list[tuple[str, str]]) -> dict[str, list[int] | None]:
    """{"schema.table": [rows, newest row version]} (None where the table does not exist yet)."""
    marks: dict[str, list[int] | None] = {}
    for schema, table in tables:
        name = f"{schema}.{table}"
        if conn.execute(
            "select to_regclass(%s) is null", (sql.Identifier(schema, table).as_string(conn),)
        ).fetchone()[0]:
            marks[name] = None
            continue
        row = conn.execute(
            sql.SQL("select count(*), coalesce(max(xmin::text::bigint), 0) from {}").format(
                sql.Identifier(schema, table)
            )
        ).fetchone()
        marks[name] = [int(row[0]), int(row[1])]
    return marks


def fingerprint(
    conn: psycopg.Connection,
    project_dir: Path,
    dbt_vars: dict[str, Any],
    exclude: tuple[str, ...] = (),
    schemas: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """The inputs now (dbt sources, less `exclude`, only `schemas` if given): {"digest": ..., "tables": {...}}
    (digest over the tables, the project files and the vars)."""
    tables = table_watermarks(
        conn,
        [
            t
            for t in dbt_source_tables(project_dir)
            if f"{t[0]}.{t[1]}" not in exclude and (schemas is None or t[0] in schemas)
        ],
    )
    state = {"tables": tables, "project": project_digest(project_dir), "vars": dbt_vars}
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    return {"digest": digest, "tables": tables}


def last_success(conn: psycopg.Connection, stage: str) -> tuple[str, datetime, dict[str, Any]] | None:
    """(run_id, finished_at, counts) of the stage's newest successful run."""
    if conn.execute("select to_regclass('ops.run_log') is null").fetchone()[0]:
        return None
    row = conn.execute(
        "select run_id, finished_at, counts from ops.run_log where stage = %s and source = '' "
        "and status = 'success' order by finished_at desc nulls last limit 1",
        (stage,),
    ).fetchone()
    return (row[0], row[1], row[2]) if row else None


def unchanged_since_last_build(
    conn: psycopg.Connection, stage: str, digest: str, max_age: timedelta, required: tuple[str, ...] = ()
) -> str | None:
    """Why the stage has nothing to do (None when it must run): its last successful run saw the
    same inputs, is younger than max_age (time-dependent marts are rebuilt at least that often),
    and what it built (`required` relations) is still there."""
    last = last_success(conn, stage)
    if last is None:
        return None
    run_id, finished_at, counts = last
    if (counts or {}).get("fingerprint") != digest or finished_at is None:
        return None
    if datetime.now(UTC) - finished_at > max_age:
        return None
    for relation in required:
        if conn.execute("select to_regclass(%s) is null", (relation,)).fetchone()[0]:
            return None
    return f"nothing new upstream since run {run_id} built it at {finished_at:%Y-%m-%d %H:%M:%S %Z}"
