"""The marts are published whole (cfm.warehouse.marts_publish), with real dbt on a small project of its own.

The project uses the real generate_schema_name macro, so the marts go where the real build sends them.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.run_log import logged_stage
from cfm.pipeline.transform import build_published, mart_nodes, run_dbt
from cfm.reporting.build_state import build_state
from cfm.warehouse import marts_publish

FILES = {
    "dbt_project.yml": """
        name: swap_probe
        version: "1.0"
        config-version: 2
        profile: cfm
        models:
          swap_probe:
            +schema: marts
            +materialized: table
            +grants: {select: [cfm_analyst]}
        """,
    "models/good.sql": "select {{ var('n') }} as n",
    "models/bad.sql": "{% if var('break', false) %} select 1 / 0 as n {% else %} select {{ var('n') }} as n {% endif %}",
    "models/child_of_bad.sql": "select n from {{ ref('bad') }}",
    "models/tested.sql": "select {{ 'null::int' if var('break', false) else var('n') }} as n",
    "models/history.sql": "{{ config(materialized='incremental') }} select {{ var('n') }} as n",
    "models/_models.yml": """
        version: 2
        models:
          - name: tested
            columns:
              - name: n
                data_tests: [not_null]
        """,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text).strip() + "\n")
    (tmp_path / "macros").mkdir()
    shutil.copy(PROJECT_ROOT / "dbt" / "macros" / "generate_schema_name.sql", tmp_path / "macros")
    shutil.copy(PROJECT_ROOT / "dbt" / "profiles.yml", tmp_path)
    return tmp_path


def _marts(url: str) -> dict[str, list]:
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
        return {t: [n for (n,) in conn.execute(f"select n from marts.{t} order by n")] for t in tables}


def test_readers_see_the_last_published_set_until_the_swap_and_the_new_one_after(warehouse, project) -> None:
    build_published(warehouse, ["build"], {"n": 1}, project_dir=project)
    first = _marts(warehouse)
    assert first == {"bad": [1], "child_of_bad": [1], "good": [1], "history": [1], "tested": [1]}

    # A build in progress (dbt done, not yet published) or killed: the live marts are the last published set.
    with psycopg.connect(warehouse) as conn:
        seeded = marts_publish.prepare(conn, mart_nodes(warehouse, {"n": 2}, project_dir=project))
    assert seeded == ["history"]  # the incremental model starts from its published rows
    run_dbt(warehouse, ["build"], project_dir=project, vars=marts_publish.shadow_vars({"n": 2}))
    assert _marts(warehouse) == first
    with psycopg.connect(warehouse) as conn:
        published = marts_publish.publish(conn)
    assert published["carried_over"] == [] and published["replaced"] == sorted(first)
    assert _marts(warehouse) == {"bad": [2], "child_of_bad": [2], "good": [2], "history": [1, 2], "tested": [2]}

    # Killed before publishing, then run again: the same warehouse as one clean build.
    with psycopg.connect(warehouse) as conn:
        marts_publish.prepare(conn, mart_nodes(warehouse, {"n": 3}, project_dir=project))
    run_dbt(warehouse, ["build", "--select", "history"], project_dir=project,
            vars=marts_publish.shadow_vars({"n": 3}))
    build_published(warehouse, ["build"], {"n": 3}, project_dir=project)
    assert _marts(warehouse) == {"bad": [3], "child_of_bad": [3], "good": [3], "history": [1, 2, 3], "tested": [3]}
    with psycopg.connect(warehouse) as conn:
        schemas = {s for (s,) in conn.execute("select nspname from pg_namespace where nspname like 'marts%'")}
    assert schemas == {"marts"}


def test_a_failing_mart_keeps_its_published_version_named_stale_and_the_others_publish(warehouse, project) -> None:
    build_published(warehouse, ["build"], {"n": 1}, project_dir=project)
    with psycopg.connect(warehouse) as conn:
        conn.execute("create schema reporting")
        conn.execute("create view reporting.good_view as select n * 10 as n10, 'see marts__old.good' as note from marts.good")
        conn.execute("grant usage on schema reporting to cfm_analyst")
        conn.execute("grant select on reporting.good_view to cfm_analyst")

    with pytest.raises(RuntimeError, match="bad") as err, logged_stage(warehouse, "run-2", "transform") as counts:
        try:
            build_published(warehouse, ["build"], {"n": 2, "break": True}, project_dir=project)
        except RuntimeError as exc:
            counts.update(exc.counts)
            raise
    published = err.value.counts["published"]
    assert {"bad", "tested", "child_of_bad"} <= set(published["carried_over"])
    # bad failed to build, tested failed its test, child_of_bad was skipped: each keeps its last published
    # version; good and the incremental history are published.
    assert _marts(warehouse) == {"bad": [1], "child_of_bad": [1], "good": [2], "history": [1, 2], "tested": [1]}
    note = build_state(warehouse).note()
    assert "Stale marts, not rebuilt:" in note
    for mart in ("bad", "tested", "child_of_bad"):
        assert mart in note.split("Stale marts, not rebuilt:")[1]

    with psycopg.connect(warehouse) as conn:
        # A view outside marts over a replaced mart reads the new one, with its grants.
        # Its text is kept as written: a literal that spells the swap's old schema is not rewritten.
        assert conn.execute("select n10, note from reporting.good_view").fetchone() == (20, "see marts__old.good")
        assert published["recreated_views"] == ["reporting.good_view"]
        assert conn.execute("select has_table_privilege('cfm_analyst', 'reporting.good_view', 'select')").fetchone()[0]
        # Schema usage and the marts' own grants survive the swap, built and carried over alike.
        assert conn.execute("select has_schema_privilege('cfm_analyst', 'marts', 'usage')").fetchone()[0]
        for mart in ("good", "bad", "history"):
            assert conn.execute("select has_table_privilege('cfm_analyst', %s, 'select')",
                                (f"marts.{mart}",)).fetchone()[0], mart
