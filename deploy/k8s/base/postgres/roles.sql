-- One role and one database per service: each role owns its own database and may
-- connect to no other (the landing database holds candidate data: only landing reads it).
-- Run by the `database-roles` Job as the cluster's admin role; safe to run again (it
-- creates what is missing and sets the passwords it is given).
--   psql -v ON_ERROR_STOP=1 -v prefix= -v campaigns_password=... -v landing_password=...
--        -v analytics_password=... -f roles.sql
-- ``prefix`` is empty in a cluster; tests/k8s sets one to run this beside other tests.
\set ON_ERROR_STOP on

-- campaigns
SELECT format('CREATE ROLE %I LOGIN', :'prefix' || 'campaigns')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'prefix' || 'campaigns') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'prefix' || 'campaigns', :'campaigns_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'prefix' || 'campaigns', :'prefix' || 'campaigns')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'prefix' || 'campaigns') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'prefix' || 'campaigns') \gexec

-- landing
SELECT format('CREATE ROLE %I LOGIN', :'prefix' || 'landing')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'prefix' || 'landing') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'prefix' || 'landing', :'landing_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'prefix' || 'landing', :'prefix' || 'landing')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'prefix' || 'landing') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'prefix' || 'landing') \gexec

-- analytics
SELECT format('CREATE ROLE %I LOGIN', :'prefix' || 'analytics')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'prefix' || 'analytics') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'prefix' || 'analytics', :'analytics_password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'prefix' || 'analytics', :'prefix' || 'analytics')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'prefix' || 'analytics') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'prefix' || 'analytics') \gexec
