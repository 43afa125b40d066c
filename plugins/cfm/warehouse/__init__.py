"""The PostgreSQL warehouse: connections, DDL, bulk landing, sync state, the staging contract and quarantine."""
