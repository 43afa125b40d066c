#!/bin/bash
# The warehouse database beside Airflow's metadata database (docker-compose only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -v pw="$POSTGRES_PASSWORD" <<'SQL'
create role cfm login password :'pw';
create database cfm owner cfm;
SQL
