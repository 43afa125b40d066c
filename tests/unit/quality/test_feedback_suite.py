from __future__ import annotations

import json

from cfm.quality.feedback_suite import SUITE_NAME, build_suite
from cfm.quality.validation import EXPECTATIONS_DIR


def setup_module() -> None:
    import great_expectations as gx

    gx.get_context(mode="ephemeral")  # suites are built inside an active context


def _shape(expectations):
    return sorted(json.dumps({"type": e["type"], "kwargs": e["kwargs"], "meta": e.get("meta")}, sort_keys=True)
                  for e in expectations)


def test_committed_suite_matches_the_code_definition() -> None:
    committed = json.loads((EXPECTATIONS_DIR / "expectations" / f"{SUITE_NAME}.json").read_text())
    built = build_suite().to_json_dict()
    assert _shape(committed["expectations"]) == _shape(built["expectations"]), "run `cfm quality init` and commit"


def test_every_expectation_names_its_field_and_reason() -> None:
    for e in build_suite().expectations:
        assert e.meta["field"] and e.meta["reason"] and e.meta["check"]
