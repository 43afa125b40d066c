"""Validation (Great Expectations) and quarantine."""
