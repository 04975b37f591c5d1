-- One database per service (and one for Airflow) on the production-shape PostgreSQL.
-- The postgres image runs this once, as POSTGRES_USER, when its data volume is empty;
-- tests/compose checks that every database URL in docker-compose.yml has its database.
CREATE DATABASE campaigns;
CREATE DATABASE landing;
CREATE DATABASE analytics;
CREATE DATABASE airflow;
