from __future__ import annotations

from cfm.config import load_config
from cfm.pipeline.transform import dbt_env
from cfm.warehouse.connection import redacted_url


def test_environment_overrides_file(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "cfm.yml"
    cfg.write_text("sources:\n  file_drop:\n    enabled: true\n    dir: a\nreport:\n  min_responses: 50\n")
    monkeypatch.setenv("CFM_DROP_DIR", "/data/drop")
    monkeypatch.setenv("CFM_WAREHOUSE_URL", "postgresql://u:p@db:5432/w")
    config = load_config(cfg)
    assert config["sources"]["file_drop"]["dir"] == "/data/drop"
    assert config["warehouse"]["url"] == "postgresql://u:p@db:5432/w"
    assert config["report"]["min_responses"] == 50 and config["report"]["out_dir"] == "out"


def test_dbt_env_and_redaction_keep_passwords_out_of_logs() -> None:
    env = dbt_env("postgresql://loader:p%40ss@db.internal:6543/warehouse")
    assert env == {"CFM_DB_HOST": "db.internal", "CFM_DB_PORT": "6543", "CFM_DB_USER": "loader",
                   "CFM_DB_PASSWORD": "p@ss", "CFM_DB_NAME": "warehouse"}
    assert redacted_url("postgresql://loader:p%40ss@db.internal:6543/warehouse") == "postgresql://loader:***@db.internal:6543/warehouse"
