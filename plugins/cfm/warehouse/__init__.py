"""The PostgreSQL warehouse: connections, DDL, bulk landing and sync state."""
