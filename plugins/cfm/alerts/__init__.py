"""Alerts: problems found in the marts after each transform (and failed DAG runs), sent to a
Slack incoming webhook and by email, once per problem (cooldown and de-duplication in ops.alerts)."""
