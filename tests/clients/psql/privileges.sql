-- Column privileges as psql's \dp shows them, with the WARNINGs of a grant made without
-- the grant option.
CREATE ROLE psql_colpriv_r;
CREATE TABLE colpriv_dp (a int, b text, c int);
GRANT SELECT (a, b), UPDATE (c) ON colpriv_dp TO psql_colpriv_r;
GRANT INSERT (a) ON colpriv_dp TO psql_colpriv_r WITH GRANT OPTION;
GRANT DELETE ON colpriv_dp TO psql_colpriv_r;
\dp colpriv_dp
SET ROLE psql_colpriv_r;
GRANT INSERT (a), UPDATE (c) ON colpriv_dp TO PUBLIC;
RESET ROLE;
REVOKE SELECT (b) ON colpriv_dp FROM psql_colpriv_r;
REVOKE DELETE, UPDATE ON colpriv_dp FROM psql_colpriv_r;
\dp colpriv_dp
REVOKE ALL ON colpriv_dp FROM psql_colpriv_r CASCADE;
\dp colpriv_dp
DROP TABLE colpriv_dp;
DROP ROLE psql_colpriv_r;
