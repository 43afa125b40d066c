"""Analyst logins (`cfm analyst add`), row-level security by department, the README's analyst queries, `cfm docs`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from cfm.cli import main as cfm
from cfm.config import PROJECT_ROOT
from cfm.warehouse.analysts import AnalystError, add_analyst, department_role

pytestmark = pytest.mark.slow
PASSWORD = "analyst-test-password-1"


def as_login(url: str, name: str, password: str = PASSWORD) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{name}:{password}@{parts.hostname}:{parts.port or 5432}"))


def readme_analyst_queries() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## For analysts\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.S)


@pytest.fixture
def logins(built_warehouse: dict[str, Any]) -> Iterator[list[str]]:
    """Names of logins the test creates (roles are cluster-wide: each test uses fresh names and drops them)."""
    made: list[str] = []
    yield made
    with psycopg.connect(built_warehouse["url"], autocommit=True) as conn:
        for name in made:
            conn.execute(f'drop role if exists "{name}"')


def new_name(logins: list[str]) -> str:
    name = f"analyst_{uuid.uuid4().hex[:8]}"
    logins.append(name)
    return name


def test_cfm_analyst_add_creates_a_login_that_answers_the_readme_questions(
    built_warehouse: dict[str, Any], logins: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = built_warehouse["url"]
    name = new_name(logins)
    monkeypatch.setenv("CFM_WAREHOUSE_URL", url)
    monkeypatch.setenv("CFM_ANALYST_PASSWORD", PASSWORD)
    assert cfm(["analyst", "add", name]) == 0
    out = capsys.readouterr().out
    assert f"created login {name} in cfm_analyst" in out and PASSWORD not in out

    queries = readme_analyst_queries()
    assert len(queries) == 6  # login check, NPS by plan and by region, 30-day NPS, weekly CSAT, significance
    with psycopg.connect(as_login(url, name)) as conn:
        assert conn.execute("select current_user").fetchone()[0] == name
        results = [conn.execute(q).fetchall() for q in queries]
    assert all(results), [q.splitlines()[0] for q, r in zip(queries, results, strict=True) if not r]
    assert any(row[0] == name for row in results[0])
    assert {r[0] for r in results[1]} >= {"basic", "premium"}  # NPS by the plan at the time
    nps_30 = {r[0]: r[1:] for r in results[3]}
    with psycopg.connect(url) as conn:  # the same count as superuser, by a plainer route
        n_survey = conn.execute("select count(*) from marts.fct_feedback where rating_type = 'nps' and channel = 'survey' "
                                "and submitted_at >= now() - interval '30 days'").fetchone()[0]
    assert nps_30["survey"][0] == n_survey and nps_30["survey"][2] <= nps_30["survey"][1] <= nps_30["survey"][3]
    assert all(low <= pct <= high for _, _, pct, low, high, _ in results[4])  # weekly CSAT inside its interval
    assert {r[0] for r in results[5]} == {"survey", "chat", "phone"}  # both periods have responses


@pytest.mark.parametrize("schema", ["raw", "ml", "staging", "intermediate", "ops", "quarantine"])
def test_an_analyst_is_refused_outside_marts(built_warehouse: dict[str, Any], logins: list[str], schema: str) -> None:
    url = built_warehouse["url"]
    name = new_name(logins)
    with psycopg.connect(url) as conn:
        add_analyst(conn, name, PASSWORD)
        table = conn.execute("select table_name from information_schema.tables where table_schema = %s order by 1 limit 1",
                             (schema,)).fetchone()[0]
    with psycopg.connect(as_login(url, name)) as conn:
        assert conn.execute("select count(*) from marts.dim_customers").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'select * from {schema}."{table}" limit 1')


def test_department_managers_see_only_their_department(built_warehouse: dict[str, Any], logins: list[str]) -> None:
    url = built_warehouse["url"]
    with psycopg.connect(url) as conn:
        by_department = dict(conn.execute("select department, count(*) from marts.fct_feedback "
                                          "where department is not null group by 1").fetchall())
        total = conn.execute("select count(*) from marts.fct_feedback").fetchone()[0]
    assert len(by_department) >= 2, by_department
    first, second = sorted(by_department)[:2]
    everyone, manager_a, manager_b = new_name(logins), new_name(logins), new_name(logins)
    with psycopg.connect(url) as conn:
        add_analyst(conn, everyone, PASSWORD)
        assert add_analyst(conn, manager_a, PASSWORD, department=first)["department_role"] == department_role(first)
        add_analyst(conn, manager_b, PASSWORD, department=second)

    def seen(name: str) -> dict[str | None, int]:
        with psycopg.connect(as_login(url, name)) as conn:
            return dict(conn.execute("select department, count(*) from marts.fct_feedback group by 1").fetchall())

    assert sum(seen(everyone).values()) == total
    assert seen(manager_a) == {first: by_department[first]}
    assert seen(manager_b) == {second: by_department[second]}

    with psycopg.connect(url) as conn:  # moving a manager to no department gives the whole table back
        add_analyst(conn, manager_a, PASSWORD)
    assert sum(seen(manager_a).values()) == total


def test_bad_requests_are_refused_with_the_reason(built_warehouse: dict[str, Any], logins: list[str]) -> None:
    with psycopg.connect(built_warehouse["url"]) as conn:
        with pytest.raises(AnalystError, match="lower-case"):
            add_analyst(conn, "Robert'); drop table x; --", PASSWORD)
        with pytest.raises(AnalystError, match="reserved"):
            add_analyst(conn, "cfm_loader", PASSWORD)
        with pytest.raises(AnalystError, match="12 characters"):
            add_analyst(conn, new_name(logins), "short")
        with pytest.raises(AnalystError, match="not an analyst login"):
            add_analyst(conn, "postgres", PASSWORD)


def test_cfm_docs_builds_the_dbt_docs_with_the_new_marts(
    built_warehouse: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CFM_WAREHOUSE_URL", built_warehouse["url"])
    assert cfm(["docs", "--no-serve"]) == 0
    target = PROJECT_ROOT / "dbt" / "target"
    assert (target / "index.html").is_file()
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    nodes = {n["metadata"]["name"]: n for n in [*catalog["nodes"].values()]}
    assert {"customer_plan", "region", "agent"} <= set(nodes["fct_feedback"]["columns"])
    assert "dbt_valid_from" in nodes["dim_customers"]["columns"]
