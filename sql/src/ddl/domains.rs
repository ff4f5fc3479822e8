//! `CREATE DOMAIN`, `ALTER DOMAIN`, `DROP DOMAIN` (filled in below).
