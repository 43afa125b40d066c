"""The marts are published whole: dbt builds them into a shadow schema, one transaction swaps it in.

Readers (`cfm report`, `cfm headline`, analysts) only ever see the schema `marts` of the last
publish: a build that fails or is killed part-way leaves it untouched. The build goes to
`marts__next` (dbt var `marts_schema`, read by macros/generate_schema_name.sql):

1. `prepare` drops any leftover shadow, creates it, and seeds it with a copy of each live relation
   whose materialization keeps state between builds (snapshots, incremental models: read from dbt's
   manifest, for the nodes the build selects), so dbt extends their history as it would in place.
2. dbt builds (the CLI's `dbt build`, or the transform DAG's one task per model).
3. `publish` swaps in one transaction: the shadow copies of models that failed (or whose tests
   failed) are dropped; every live relation the shadow lacks (failed, skipped or not selected) is
   moved into the shadow (`set schema`: metadata only, grants, row-level security and indexes go
   with it); the live schema's privileges are granted on the shadow; the shadow is renamed `marts`
   and the old schema dropped. Views in other schemas over a replaced mart are recreated over the new one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

LIVE = "marts"
SHADOW = "marts__next"  # the transform's; the loop stage builds its few marts into marts__loop
LOOP_SHADOW = "marts__loop"
OLD = "marts__old"
#: dbt materializations whose next build starts from the relation's current rows.
STATEFUL = ("incremental", "snapshot")
# Relations a swap moves or replaces: tables, views, materialized views, foreign and partitioned tables.
RELKINDS = ["r", "v", "m", "f", "p"]


@dataclass(frozen=True)
class MartNode:
    name: str  # the relation's name (dbt alias)
    resource_type: str  # model, snapshot, seed
    materialized: str


def shadow_vars(vars: dict[str, Any] | None, shadow: str = SHADOW) -> dict[str, Any]:
    """dbt vars that send the marts to the shadow schema."""
    return {**(vars or {}), "marts_schema": shadow}


def _relations(conn: psycopg.Connection, schema: str) -> dict[str, str]:
    """name -> relkind of the relations a swap handles in `schema`."""
    return dict(conn.execute(
        "select c.relname, c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind = any(%s::\"char\"[])", (schema, RELKINDS)).fetchall())


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select exists (select 1 from pg_namespace where nspname = %s)", (schema,)).fetchone()[0]


def prepare(conn: psycopg.Connection, nodes: Iterable[MartNode], shadow: str = SHADOW) -> list[str]:
    """A fresh shadow schema seeded with the live rows of the stateful nodes; returns the seeded names."""
    ident = sql.Identifier
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(ident(shadow)))
    conn.execute(sql.SQL("create schema {}").format(ident(shadow)))
    live = _relations(conn, LIVE) if _schema_exists(conn, LIVE) else {}
    seeded = []
    for node in nodes:
        if node.materialized in STATEFUL and live.get(node.name) in ("r", "p"):
            conn.execute(sql.SQL("create table {} (like {} including all)").format(
                ident(shadow, node.name), ident(LIVE, node.name)))
            conn.execute(sql.SQL("insert into {} overriding system value select * from {}").format(
                ident(shadow, node.name), ident(LIVE, node.name)))
            seeded.append(node.name)
    conn.commit()
    return seeded


def _outside_views(conn: psycopg.Connection, names: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(schema, name, kind, definition) of views outside marts that read these live marts, dependents first last."""
    if not names:
        return []
    return conn.execute(
        """
        with recursive deps(oid, depth) as (
            select distinct rw.ev_class, 1 from pg_depend d
            join pg_rewrite rw on rw.oid = d.objid
            join pg_class ref on ref.oid = d.refobjid
            join pg_namespace rn on rn.oid = ref.relnamespace
            where rn.nspname = %(live)s and ref.relname = any(%(names)s) and rw.ev_class <> d.refobjid
            union
            select rw.ev_class, deps.depth + 1 from deps
            join pg_depend d on d.refobjid = deps.oid
            join pg_rewrite rw on rw.oid = d.objid
            where rw.ev_class <> deps.oid
        )
        select n.nspname, c.relname, c.relkind::text, pg_get_viewdef(c.oid)
        from (select oid, max(depth) depth from deps group by oid) d
        join pg_class c on c.oid = d.oid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname <> %(live)s
        order by d.depth
        """, {"live": LIVE, "names": list(names)}).fetchall()


def publish(conn: psycopg.Connection, failed: Iterable[str] = (), shadow: str = SHADOW) -> dict[str, Any]:
    """Swap the shadow in as `marts`, in one transaction; `failed` relations keep their live version.

    Returns what was replaced, carried over from the live schema, and the swap's duration (ms)."""
    import time

    ident = sql.Identifier
    started = time.perf_counter()
    with conn.transaction():
        # One swap at a time (the transform and the loop stage each publish their own shadow).
        conn.execute("select pg_advisory_xact_lock(hashtext('cfm.marts'), hashtext('publish'))")
        if not _schema_exists(conn, shadow):
            raise RuntimeError(f"no shadow schema {shadow} to publish: the build did not prepare one")
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(ident(OLD)))
        live_exists = _schema_exists(conn, LIVE)
        live = _relations(conn, LIVE) if live_exists else {}
        for name in set(failed) & set(live):
            kind = _relations(conn, shadow).get(name)
            if kind:
                conn.execute(sql.SQL("drop {} {} cascade").format(
                    sql.SQL("view" if kind == "v" else "materialized view" if kind == "m" else "table"),
                    ident(shadow, name)))
        built = _relations(conn, shadow)
        carried = sorted(set(live) - set(built))
        replaced = sorted(set(live) & set(built))
        views = _outside_views(conn, replaced)
        for name in carried:
            conn.execute(sql.SQL("alter {} {} set schema {}").format(
                sql.SQL({"v": "view", "m": "materialized view", "f": "foreign table"}.get(live[name], "table")),
                ident(LIVE, name), ident(shadow)))
        if live_exists:
            # Schema-level privileges do not travel with the tables: the live schema's are granted on the shadow.
            for grantee, privilege, grantable in conn.execute(
                    "select coalesce(r.rolname, 'public'), a.privilege_type, a.is_grantable "
                    "from pg_namespace n, aclexplode(n.nspacl) a left join pg_roles r on r.oid = a.grantee "
                    "where n.nspname = %s", (LIVE,)).fetchall():
                conn.execute(sql.SQL("grant {} on schema {} to {}{}").format(
                    sql.SQL(privilege), ident(shadow),
                    sql.SQL("public") if grantee == "public" else ident(grantee),
                    sql.SQL(" with grant option" if grantable else "")))
            conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(LIVE), ident(OLD)))
        conn.execute(sql.SQL("alter schema {} rename to {}").format(ident(shadow), ident(LIVE)))
        for schema, name, kind, definition in views:
            # Their definitions were read before the rename and name the marts by schema, so the same
            # text now reads the new marts (a literal in it that spells a schema name is left alone).
            acl = conn.execute("select relacl::text[], pg_get_userbyid(relowner) from pg_class where oid = %s::regclass",
                               (f'"{schema}"."{name}"',)).fetchone()
            conn.execute(sql.SQL("drop {} if exists {} cascade").format(
                sql.SQL("materialized view" if kind == "m" else "view"), ident(schema, name)))
            conn.execute(sql.SQL("create {} {} as {}").format(
                sql.SQL("materialized view" if kind == "m" else "view"), ident(schema, name),
                sql.SQL(definition.rstrip().rstrip(";"))))
            _restore_acl(conn, schema, name, acl)
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(ident(OLD)))
    took = round((time.perf_counter() - started) * 1000, 1)
    log.info("marts published in %s ms: %d replaced, %d carried over (%s)", took, len(replaced), len(carried),
             ", ".join(carried) or "none")
    return {"replaced": replaced, "carried_over": carried, "swap_ms": took,
            "recreated_views": [f"{s}.{n}" for s, n, _, _ in views]}


def _restore_acl(conn: psycopg.Connection, schema: str, name: str, acl: tuple | None) -> None:
    if not acl:
        return
    items, owner = acl
    conn.execute(sql.SQL("alter table {} owner to {}").format(sql.Identifier(schema, name), sql.Identifier(owner)))
    for grantee, privilege in conn.execute(
            "select coalesce(r.rolname, 'public'), a.privilege_type from aclexplode(%s::aclitem[]) a "
            "left join pg_roles r on r.oid = a.grantee", (items,)).fetchall() if items else []:
        conn.execute(sql.SQL("grant {} on {} to {}").format(
            sql.SQL(privilege), sql.Identifier(schema, name),
            sql.SQL("public") if grantee == "public" else sql.Identifier(grantee)))
