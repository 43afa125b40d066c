"""The marts' dbt contracts stay in step with what produces their columns (no database needed).

dbt itself refuses to build a contracted model whose columns differ from its yml; these tests fail
earlier, and say which list to edit: a mart without a contract, an enrichment step output
(cfm.nlp.steps.STEPS, in_marts) missing from fct_feedback's contract, a segment column or customer
dimension missing from the metrics layer's contracts or semantic model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cfm.config import PROJECT_ROOT
from cfm.nlp.steps import enrichment_columns

MARTS = PROJECT_ROOT / "dbt" / "models" / "marts"
# The report marts (marts/report) are contracted and tested with the report.
CHECKED_DIRS = [MARTS, MARTS / "loop", MARTS / "topics", MARTS / "metrics", MARTS / "report"]


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _models() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for folder in CHECKED_DIRS:
        for path in sorted(folder.glob("*.yml")):
            for model in _load(path).get("models") or []:
                out[model["name"]] = {**model, "_dir": folder}
    return out


def _columns(model: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in _models()[model]["columns"]}


def _vars() -> dict[str, Any]:
    return _load(PROJECT_ROOT / "dbt" / "dbt_project.yml")["vars"]


MART_SQL = sorted(p.stem for folder in CHECKED_DIRS for p in folder.glob("*.sql"))


@pytest.mark.parametrize("model", MART_SQL)
def test_every_mart_has_an_enforced_contract_with_typed_described_columns(model: str) -> None:
    models = _models()
    assert model in models, f"{model}: no yml entry in {MARTS}"
    spec = models[model]
    assert (spec.get("config") or {}).get("contract") == {"enforced": True}, (
        f"{model}: set config: contract: {{enforced: true}}"
    )
    assert spec.get("description"), f"{model}: no description"
    assert spec.get("columns"), f"{model}: no columns"
    for column in spec["columns"]:
        assert column.get("data_type"), f"{model}.{column['name']}: no data_type"
        assert column.get("description"), f"{model}.{column['name']}: no description"
        assert column["data_type"].strip().lower() not in ("numeric", "decimal"), (
            f"{model}.{column['name']}: give numeric a precision and scale (dbt warns otherwise)"
        )


def test_fct_feedback_contract_has_every_enrichment_step_output_with_its_type() -> None:
    contract = _columns("fct_feedback")
    carried = [c for c in enrichment_columns() if c.in_marts]
    assert carried, "cfm.nlp.steps.STEPS marks no column in_marts"
    missing = [c.name for c in carried if c.name not in contract]
    assert not missing, (
        f"add to fct_feedback in dbt/models/marts/_marts__models.yml: {missing} (cfm.nlp.steps.STEPS, in_marts)"
    )
    for c in carried:
        assert contract[c.name]["data_type"] == c.sql_type, (
            f"fct_feedback.{c.name}: the step writes {c.sql_type}"
        )


def test_a_new_step_output_would_fail_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfm.nlp import steps

    extra = steps.Step("urgency", (steps.Column("urgency", "text", in_marts=True),), lambda state: None)
    monkeypatch.setattr(steps, "STEPS", (*steps.STEPS, extra))
    with pytest.raises(AssertionError, match="urgency"):
        test_fct_feedback_contract_has_every_enrichment_step_output_with_its_type()


def test_segment_columns_and_customer_dimensions_are_in_the_contracts_and_the_semantic_model() -> None:
    variables = _vars()
    segments = list(variables["segment_columns"])
    customer = [f"customer_{name}" for name in variables["customer_dimensions"]]
    feedback, responses = _columns("fct_feedback"), _columns("fct_metric_responses")
    for name in segments + customer:
        assert name in feedback, f"fct_feedback has no column {name} in its contract"
        assert responses.get(name, {}).get("data_type") == "text", (
            f"fct_metric_responses: no text column {name}"
        )
    semantic = _load(MARTS / "metrics" / "_metrics__semantic.yml")
    (model,) = [m for m in semantic["semantic_models"] if m["name"] == "metric_responses"]
    dimensions = {d["name"]: d for d in model["dimensions"]}
    missing = [name for name in segments + customer if name not in dimensions]
    assert not missing, f"add categorical dimensions to metric_responses in _metrics__semantic.yml: {missing}"
    assert all(dimensions[name]["type"] == "categorical" for name in segments + customer)
    # and nothing stale: every categorical dimension is a column of fct_metric_responses
    stale = [name for name, d in dimensions.items() if d["type"] == "categorical" and name not in responses]
    assert not stale, f"semantic dimensions without a column in fct_metric_responses: {stale}"
