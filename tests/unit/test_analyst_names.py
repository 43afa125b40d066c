from __future__ import annotations

import pytest

from cfm.warehouse.analysts import AnalystError, check_name, department_role


def test_department_roles_are_named_like_the_dbt_policy_names_them() -> None:
    # macros/department_row_security.sql: 'cfm_dept_' || lower(regexp_replace(department, '[^A-Za-z0-9]+', '_', 'g'))
    assert department_role("Customer Support") == "cfm_dept_customer_support"
    assert department_role("R&D / Labs") == "cfm_dept_r_d_labs"
    assert len(department_role("x" * 100)) == 63
    with pytest.raises(AnalystError, match="no letters"):
        department_role(" / ")


@pytest.mark.parametrize("name", ["maria", "omar_2", "_x"])
def test_plain_lower_case_names_are_accepted(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["Maria", "2fast", "a-b", "x" * 64, "pg_admin", "cfm_analyst", "a b", ""])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(AnalystError):
        check_name(name)
