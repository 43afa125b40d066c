"""The marts compile for a second adapter (dbt-duckdb, installs offline) and DuckDB's own parser
accepts every compiled mart: the metric and date macros go through adapter.dispatch, so
portability is shown here rather than claimed. The semantic layer YAML is validated by dbt parse.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from cfm.pipeline.transform import DBT_DIR

# PostgreSQL-only spellings the metrics layer must not use (the default__ macros avoid them).
POSTGRES_ONLY = ("::", "filter (where", "->>", " at time zone ", "jsonb", " ~ ", "plpgsql")


def _dbt(args: list[str], profiles_dir: Path, target_dir: Path):
    return dbtRunner().invoke([*args, "--project-dir", str(DBT_DIR), "--profiles-dir", str(profiles_dir),
                               "--target-path", str(target_dir), "--log-path", str(target_dir / "logs")])


@pytest.fixture(scope="module")
def duckdb_compiled(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("duckdb")
    (work / "profiles.yml").write_text(
        "cfm:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n"
        f"      path: {work / 'cfm.duckdb'}\n      schema: main\n      threads: 1\n")
    result = _dbt(["compile", "--select", "marts"], work, work / "target")
    assert result.success, result.exception
    return work / "target" / "compiled" / "cfm" / "models" / "marts"


def test_every_mart_compiles_for_duckdb_and_duckdb_parses_it(duckdb_compiled: Path) -> None:
    compiled = sorted(duckdb_compiled.rglob("*.sql"))
    names = {p.stem for p in compiled}
    assert {"fct_feedback", "nps_daily", "fct_metric_responses", "metric_cells", "metric_changes",
            "nps_topic_impact", "nps_change_decomposition"} <= names
    con = duckdb.connect()
    for path in compiled:
        parsed = json.loads(con.execute("select json_serialize_sql(?)", [path.read_text()]).fetchone()[0])
        assert not parsed.get("error"), f"{path.name}: {parsed.get('error_message')}"


def test_metrics_layer_uses_no_postgres_only_sql_on_duckdb(duckdb_compiled: Path) -> None:
    for path in sorted((duckdb_compiled / "metrics").glob("*.sql")):
        sql = " ".join(path.read_text().lower().split())
        assert [token for token in POSTGRES_ONLY if token in sql] == [], path.name
    # the duckdb build really took the portable branches (dbt's own date_trunc, no AT TIME ZONE)
    cells = (duckdb_compiled / "metrics" / "metric_cells.sql").read_text().lower()
    assert "date_trunc('week'" in cells


def test_semantic_models_and_metrics_are_validated_by_dbt_parse(tmp_path: Path) -> None:
    (tmp_path / "profiles.yml").write_text(
        "cfm:\n  target: duckdb\n  outputs:\n    duckdb:\n      type: duckdb\n      path: ':memory:'\n")
    result = _dbt(["parse"], tmp_path, tmp_path / "target")
    assert result.success, result.exception
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    metrics = {m["name"] for m in manifest["metrics"].values()}
    assert {"nps", "csat_pct", "ces_ease_mean", "star_mean"} <= metrics
    assert [s["name"] for s in manifest["semantic_models"].values()] == ["metric_responses"]
    exposures = {e["name"] for e in manifest["exposures"].values()}
    assert exposures == {"leadership_report", "alerts", "closed_loop"}
    freshness = {s["name"]: s["freshness"]["warn_after"]["count"] for s in manifest["sources"].values()
                 if s["source_name"] == "raw"}
    assert freshness["gmail"] == 6 and freshness["file_drop"] == 168
