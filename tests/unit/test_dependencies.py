"""pyproject.toml lists the direct dependencies, requirements.lock the exact set; they must agree,
and every direct dependency must be used (a pinned dependency nothing imports is a defect)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import packages_distributions

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from cfm.config import PROJECT_ROOT

CODE_DIRS = ("plugins", "dags", "tests", "bench", "sample_data")
# Used without an import statement of their own: a metapackage (apache-airflow installs the
# distributions that provide `airflow`), a driver named in a URL, a dbt adapter, or a tool.
USED_WITHOUT_IMPORT = {
    "apache-airflow": ("dags/cfm_ingest.py", "from airflow.sdk import"),
    "psycopg2-binary": ("plugins/cfm/airflow_env.py", "postgresql+psycopg2://"),
    "asyncpg": ("plugins/cfm/airflow_env.py", "postgresql+asyncpg://"),
    "dbt-postgres": ("dbt/profiles.yml", "type: postgres"),
    "ruff": ("Makefile", "ruff check"),
    "uv": ("Makefile", "uv pip compile"),
    "apache-airflow-providers-celery": ("docker-compose.yml", "${AIRFLOW_EXECUTOR:-LocalExecutor}"),
    "celery": ("docker-compose.yml", "command: celery worker"),
}


def _project() -> dict:
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def _direct() -> list[Requirement]:
    project = _project()
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]


def _lock() -> dict[str, Version]:
    pins = {}
    for line in (PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        if m := re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line):
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def test_every_direct_dependency_is_locked_at_a_version_pyproject_allows() -> None:
    pins = _lock()
    for req in _direct():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: run make lock"
        assert req.specifier.contains(pins[name], prereleases=True), f"{req.name} {pins[name]} does not satisfy {req}"
    assert str(pins["torch"]).startswith("2.13.0+cpu"), "torch must stay the 2.13.0 CPU build"


def test_every_direct_dependency_is_used() -> None:
    imported: set[str] = set()
    for folder in CODE_DIRS:
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            imported.update(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_][A-Za-z0-9_]*)", path.read_text(), re.M))
    provided = {canonicalize_name(dist): mod for mod, dists in packages_distributions().items() for dist in dists
                if mod in imported}
    for req in _direct():
        name = canonicalize_name(req.name)
        if name in USED_WITHOUT_IMPORT:
            file, needle = USED_WITHOUT_IMPORT[name]
            assert needle in (PROJECT_ROOT / file).read_text(), f"{req.name}: {file} no longer uses it"
        else:
            assert name in provided, f"{req.name} is a direct dependency but nothing imports it"
