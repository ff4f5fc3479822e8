-- LISTEN / NOTIFY as psql shows them: run by tests/it/psql_meta.rs through psql against
-- PostgreSQL 15 and Strata (the PID in "received from server process with PID n" is
-- masked: the two servers' pids differ). One session hears its own notifications, printed
-- after the command that committed them.
\set VERBOSITY verbose
LISTEN jobs;
NOTIFY jobs, 'hello';
NOTIFY jobs;
BEGIN;
NOTIFY jobs, 'a';
NOTIFY jobs, 'a';
SELECT pg_notify('jobs', 'b');
NOTIFY jobs, 'a';
COMMIT;
BEGIN;
NOTIFY jobs, 'dropped';
ROLLBACK;
BEGIN;
NOTIFY jobs, 'kept';
SAVEPOINT s;
NOTIFY jobs, 'rolled back to s';
ROLLBACK TO SAVEPOINT s;
COMMIT;
NOTIFY nobody, 'listens';
LISTEN "Mixed";
NOTIFY "Mixed", 'quoted channel';
NOTIFY mixed, 'not this one';
BEGIN;
LISTEN later;
NOTIFY later, 'heard: LISTEN and NOTIFY commit together';
COMMIT;
SELECT * FROM pg_listening_channels() ORDER BY 1;
NOTIFY jobs, 'two'; NOTIFY jobs, 'in one query string';
UNLISTEN jobs;
NOTIFY jobs, 'not heard';
UNLISTEN *;
NOTIFY later, 'not heard';
SELECT * FROM pg_listening_channels();
SELECT pg_notify('jobs', repeat('x', 8000));
SELECT pg_notify('', 'x');
NOTIFY jobs, 'x' || 'y';
SELECT pg_notification_queue_usage();
