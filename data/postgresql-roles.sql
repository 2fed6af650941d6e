-- Skranke on PostgreSQL: the application's role may read and write, but not change the
-- schema, not TRUNCATE, and not UPDATE or DELETE journal entries and audit events.
-- Run as the owner role (the one that ran `skranke` migrations), after every upgrade:
--   psql "postgresql://skranke_owner@dbhost/skranke" -v app=skranke_app -f postgresql-roles.sql
-- README "PostgreSQL roles" describes the whole set-up.

REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM :app;
GRANT USAGE ON SCHEMA public TO :app;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :app;
-- the record: written once, never changed or removed, by the app
REVOKE UPDATE, DELETE, TRUNCATE ON journal_entry, audit_event FROM :app;
REVOKE TRUNCATE ON ALL TABLES IN SCHEMA public FROM :app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :app;
