"""docker-compose.yml: validated by the compose client where one is installed, structurally always."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from cfm.config import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
AIRFLOW_SERVICES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-init"}


def _client() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


@pytest.mark.skipif(_client() is None, reason="no docker compose client on this machine")
def test_compose_client_accepts_the_file() -> None:
    env = {**os.environ, "CFM_PSEUDONYM_KEY": "compose-check", "AIRFLOW_JWT_SECRET": "compose-check"}
    proc = subprocess.run([*_client(), "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(_client() is None, reason="no docker compose client on this machine")
def test_celery_profile_resolves_to_celery_executor_with_redis_and_workers() -> None:
    env = {**os.environ, "CFM_PSEUDONYM_KEY": "compose-check", "AIRFLOW_JWT_SECRET": "compose-check",
           "AIRFLOW_EXECUTOR": "CeleryExecutor"}
    proc = subprocess.run([*_client(), "-f", str(COMPOSE), "--profile", "celery", "config"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    services = yaml.safe_load(proc.stdout)["services"]
    assert {"redis", "airflow-worker", "airflow-flower"} <= set(services)
    for name in ("airflow-scheduler", "airflow-worker"):
        assert services[name]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert services[name]["environment"]["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")


def test_compose_without_the_celery_profile_stays_on_local_executor() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    for name in ("redis", "airflow-worker", "airflow-flower"):
        assert services[name]["profiles"] == ["celery"], name
    assert services["airflow-worker"]["command"] == "celery worker"
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    # every component signs and checks execution-API tokens with one shared secret
    assert "${AIRFLOW_JWT_SECRET" in services["airflow-worker"]["environment"]["AIRFLOW__API_AUTH__JWT_SECRET"]


def test_compose_runs_postgres_and_every_airflow_3_component_with_the_project_mounted() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert {"postgres", *AIRFLOW_SERVICES} <= set(services)
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        mounts = {v.split(":")[1] for v in svc["volumes"]}
        assert {"/opt/airflow/dags", "/opt/cfm/plugins", "/opt/cfm/dbt", "/opt/cfm/expectations"} <= mounts, name
        env = svc["environment"]
        assert env["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] == "false"
        assert "CFM_PSEUDONYM_KEY" in env and "${" in env["CFM_PSEUDONYM_KEY"]  # from .env, never a literal
    commands = {services[n]["command"] for n in AIRFLOW_SERVICES - {"airflow-init"}}
    assert commands == {"api-server", "scheduler", "dag-processor", "triggerer"}
    assert "pools import" in " ".join(services["airflow-init"]["command"])


def test_compose_file_holds_no_literal_secrets() -> None:
    text = COMPOSE.read_text()
    for line in text.splitlines():
        if any(k in line for k in ("PASSWORD", "KEY", "SECRET", "TOKEN")) and ":" in line and not line.strip().startswith("#"):
            value = line.split(":", 1)[1]
            assert "${" in value or value.strip() in ("", "|") or "postgres-init" in line, line
