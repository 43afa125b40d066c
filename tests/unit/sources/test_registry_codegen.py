"""The source registry is the one list of sources: dbt vars, raw tables and Airflow pools follow it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from cfm.config import PROJECT_ROOT
from cfm.sources import codegen
from cfm.sources.base import DEFAULT_SCALES, RATING_TYPES
from cfm.sources.registry import (
    SOURCES,
    SourceSpec,
    build_source,
    enabled_sources,
    source_class,
    source_names,
)


def test_committed_files_match_the_registry() -> None:
    assert codegen.drifted() == [], "run: python -m cfm.sources.codegen"


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for f in codegen.GENERATED:
        (tmp_path / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT_ROOT / f.path, tmp_path / f.path)
    return tmp_path


@pytest.mark.parametrize(("path", "old", "new"), [
    ("dbt/dbt_project.yml", "typeform, surveymonkey", "surveymonkey"),
    ("dbt/dbt_project.yml", "ces: [1, 7]", "ces: [1, 5]"),
    ("dbt/models/staging/_sources.yml", "      - name: app_store\n", "      - name: app_store_v2\n"),
    ("airflow/pools.json", '"slots": 2', '"slots": 3'),
])
def test_a_hand_edit_of_a_generated_part_is_drift_and_codegen_undoes_it(project_copy: Path, path, old, new) -> None:
    target = project_copy / path
    original = target.read_text()
    assert old in original
    target.write_text(original.replace(old, new, 1))
    assert codegen.drifted(project_copy) == [path]
    assert codegen.write(project_copy) == [path]
    assert target.read_text() == original and codegen.drifted(project_copy) == []


def test_hand_kept_parts_of_the_yaml_files_are_left_alone(project_copy: Path) -> None:
    target = project_copy / "dbt/dbt_project.yml"
    target.write_text(target.read_text().replace("min_responses: 30", "min_responses: 50"))
    assert codegen.drifted(project_copy) == []


def test_a_new_registry_entry_reaches_every_generated_file() -> None:
    extra = (*SOURCES, SourceSpec("zendesk", "cfm.sources.zendesk:ZendeskSource", answers=True, pool_slots=3))
    text = (PROJECT_ROOT / "dbt/dbt_project.yml").read_text()
    dbt_vars = yaml.safe_load(codegen.replace_region(text, codegen.dbt_vars(extra), where="test"))["vars"]
    assert dbt_vars["feedback_sources"][-1] == "zendesk" and dbt_vars["answer_sources"][-1] == "zendesk"
    raw = yaml.safe_load(codegen.replace_region((PROJECT_ROOT / "dbt/models/staging/_sources.yml").read_text(),
                                                codegen.raw_tables(extra), where="test"))
    assert [t["name"] for t in raw["sources"][0]["tables"]][-1] == "zendesk"
    assert json.loads(codegen.pools_json(extra))["cfm_api_zendesk"]["slots"] == 3


def test_missing_markers_are_an_error_naming_the_file() -> None:
    with pytest.raises(codegen.GeneratedRegionError, match="dbt/dbt_project.yml"):
        codegen.replace_region("vars:\n  min_responses: 30\n", ["x: 1"], where="dbt/dbt_project.yml")


def test_check_mode_exits_non_zero_on_drift(project_copy: Path, capsys) -> None:
    assert codegen.main(["--check"], root=project_copy) == 0
    (project_copy / "airflow/pools.json").write_text("{}\n")
    assert codegen.main(["--check"], root=project_copy) == 1
    assert "airflow/pools.json" in capsys.readouterr().err
    assert codegen.main([], root=project_copy) == 0
    assert codegen.main(["--check"], root=project_copy) == 0


def test_generated_files_say_what_the_registry_says() -> None:
    project = yaml.safe_load((PROJECT_ROOT / "dbt/dbt_project.yml").read_text())["vars"]
    assert project["feedback_sources"] == [s.name for s in SOURCES if s.kind == "feedback"]
    assert project["customer_sources"] == [s.name for s in SOURCES if s.kind == "customers"] == ["customer_drop", "hubspot"]
    assert project["answer_sources"] == [s.name for s in SOURCES if s.answers]
    assert {k: tuple(v) for k, v in project["default_rating_scales"].items()} == DEFAULT_SCALES
    assert tuple(DEFAULT_SCALES) == RATING_TYPES
    raw = yaml.safe_load((PROJECT_ROOT / "dbt/models/staging/_sources.yml").read_text())["sources"][0]
    assert raw["name"] == "raw" and [t["name"] for t in raw["tables"]] == source_names()
    pools = json.loads((PROJECT_ROOT / "airflow/pools.json").read_text())
    assert list(pools) == [f"cfm_api_{n}" for n in source_names()]


def test_every_source_has_its_staging_models() -> None:
    staging = PROJECT_ROOT / "dbt/models/staging"
    for spec in SOURCES:
        model = "customers" if spec.kind == "customers" else "feedback"
        assert spec.kind in ("feedback", "customers"), spec.name
        assert (staging / spec.name / f"stg_{spec.name}__{model}.sql").is_file(), spec.name
        assert (staging / spec.name / f"stg_{spec.name}__answers.sql").is_file() == spec.answers, spec.name


def test_every_entry_builds_the_class_of_that_name() -> None:
    for spec in SOURCES:
        cls = source_class(spec.name)
        assert cls.name == spec.name
        assert build_source(spec.name, {"sources": {spec.name: {"x": 1}}}).config == {"x": 1}


def test_unknown_names_are_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(KeyError, match="known sources: file_drop"):
        source_class("zendesk")
    with pytest.raises(KeyError, match="zendesk"):
        enabled_sources({"sources": {"zendesk": {"enabled": True}}})
    assert enabled_sources({"sources": {"typeform": {"enabled": True}, "gmail": {"enabled": False}}}) == ["typeform"]
