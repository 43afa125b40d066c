"""Analyst logins: LOGIN roles in cfm_analyst (marts only), optionally limited to one department.

A department manager's login is also a member of `cfm_dept_<department>` (a NOLOGIN role named
from the department, e.g. `cfm_dept_customer_support`). Every mart with a `department` column
carries a row-level security policy (dbt macro `department_row_security`): a login that belongs
to no department role sees every row; one that belongs to department roles sees only their rows.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from cfm.warehouse.schema import ANALYST_ROLE

DEPARTMENT_ROLE_PREFIX = "cfm_dept_"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_RESERVED = re.compile(r"^(pg_|cfm_)")


class AnalystError(ValueError):
    """A refused analyst request; the message says why (never the password)."""


def department_role(department: str) -> str:
    """`Customer Support` -> `cfm_dept_customer_support` (the same rule as the dbt policy's SQL)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", department.strip()).lower()
    if not slug.strip("_"):
        raise AnalystError(f"department {department!r} has no letters or digits")
    return (DEPARTMENT_ROLE_PREFIX + slug)[:63]


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise AnalystError(
            f"login name {name!r}: use lower-case letters, digits and _ (at most 63, not starting with a digit)"
        )
    if _RESERVED.match(name):
        raise AnalystError(f"login name {name!r}: names starting with pg_ or cfm_ are reserved")
    return name


def add_analyst(
    conn: psycopg.Connection, name: str, password: str, *, department: str | None = None
) -> dict[str, object]:
    """Create (or update the password and department of) a LOGIN role that is a member of cfm_analyst.

    Returns {"name", "created", "department_role"}. Commits.
    """
    check_name(name)
    if len(password) < 12:
        raise AnalystError("the password must have at least 12 characters")
    ident = sql.Identifier(name)
    with conn.transaction():
        existing = conn.execute("select rolcanlogin from pg_roles where rolname = %s", (name,)).fetchone()
        if existing is not None and not _is_analyst(conn, name):
            raise AnalystError(f"role {name!r} exists and is not an analyst login; choose another name")
        conn.execute(role_statement(conn, name, password, create=existing is None))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(ANALYST_ROLE), ident))
        for (old,) in conn.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid "
            "join pg_roles u on u.oid = m.member where u.rolname = %s and r.rolname like %s",
            (name, DEPARTMENT_ROLE_PREFIX.replace("_", r"\_") + "%"),
        ).fetchall():
            conn.execute(sql.SQL("revoke {} from {}").format(sql.Identifier(old), ident))
        dept_role = None
        if department:
            dept_role = department_role(department)
            if not conn.execute("select 1 from pg_roles where rolname = %s", (dept_role,)).fetchone():
                conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(dept_role)))
            conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(dept_role), ident))
    return {"name": name, "created": existing is None, "department_role": dept_role}


def role_statement(conn: psycopg.Connection, name: str, password: str, *, create: bool) -> sql.Composed:
    """CREATE/ALTER ROLE ... LOGIN PASSWORD with the password's verifier, never the password itself.

    The statements take no bind parameters, so the password would go in as a literal that a server
    with log_statement = ddl writes to its log. libpq hashes it client-side instead (PQencryptPasswordConn,
    with the server's password_encryption: SCRAM-SHA-256 by default), as psql's \\password does.
    """
    verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), None).decode("ascii")
    verb = "create" if create else "alter"
    return sql.SQL(verb + " role {} login password {}").format(sql.Identifier(name), sql.Literal(verifier))


def remove_analyst(conn: psycopg.Connection, name: str) -> None:
    """Drop an analyst login (only a member of cfm_analyst). Commits."""
    check_name(name)
    with conn.transaction():
        if not conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone():
            raise AnalystError(f"no login named {name!r}")
        if not _is_analyst(conn, name):
            raise AnalystError(f"role {name!r} is not an analyst login")
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def list_analysts(conn: psycopg.Connection) -> list[tuple[str, str | None]]:
    """(login, department role or None) for every analyst login."""
    return conn.execute(
        """
        select u.rolname,
               (select string_agg(d.rolname, ',') from pg_auth_members md join pg_roles d on d.oid = md.roleid
                where md.member = u.oid and d.rolname like 'cfm\\_dept\\_%%')
        from pg_roles u
        join pg_auth_members m on m.member = u.oid
        join pg_roles a on a.oid = m.roleid and a.rolname = %s
        where u.rolcanlogin
        order by 1
        """,
        (ANALYST_ROLE,),
    ).fetchall()


def _is_analyst(conn: psycopg.Connection, name: str) -> bool:
    return bool(
        conn.execute(
            "select 1 from pg_auth_members m join pg_roles a on a.oid = m.roleid join pg_roles u on u.oid = m.member "
            "where a.rolname = %s and u.rolname = %s",
            (ANALYST_ROLE, name),
        ).fetchone()
    )
