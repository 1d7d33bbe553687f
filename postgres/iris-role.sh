#!/usr/bin/env bash
# Runs once, on a new volume, after initdb.sql: creates the login role that iris connects as (IRIS_USER, with
# password IRIS_PASS) and makes it the owner of the database and of what initdb.sql created. It is no superuser:
# owning everything is all that `iris db upgrade` and the app need. POSTGRES_USER stays the superuser, for admins.
# The image runs this file if it is executable, and sources it otherwise; it works either way.
: "${IRIS_USER:?set IRIS_USER for the pgdb service}" "${IRIS_PASS:?set IRIS_PASS for the pgdb service}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
\getenv iris_role IRIS_USER
\getenv iris_pass IRIS_PASS
CREATE ROLE :"iris_role" LOGIN PASSWORD :'iris_pass' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER DATABASE :"DBNAME" OWNER TO :"iris_role";
-- Every table initdb.sql made (the tutorial's `tickets`), with the sequences its serial columns own.
SELECT format('ALTER TABLE public.%I OWNER TO %I', tablename, :'iris_role')
FROM pg_tables WHERE schemaname = 'public' \gexec
SQL
