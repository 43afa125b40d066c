"""Validation (Great Expectations) of staged records; failures go to quarantine (cfm.warehouse.quarantine)."""
