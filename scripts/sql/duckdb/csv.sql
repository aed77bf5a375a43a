-- The rows of `tsnap watch --output-dir DIR` (CSV) as the view `threads`, for the queries
-- beside this file. Run from DIR, or set the files first:
--   SET VARIABLE files = '/var/log/tsnap/tsnap-*.csv';
-- Every column has the type declared here (those of clickhouse/schema.sql), never one guessed
-- from the first rows: a thread named 31337 or 2026-12-07 stays text. Columns not named here
-- (other -o columns) are text. `-` is tsnap's "no value" (a process in no container or pod, a
-- column it could not read): it is read as NULL. Text is escaped as the README says (a name
-- starting with = + - @ has that byte written \xHH); the queries compare it as written.
-- Files of hours written with other columns are merged by name.
CREATE OR REPLACE VIEW threads AS
SELECT *
FROM read_csv(coalesce(getvariable('files'), 'tsnap-*.csv'),
              header = true, delim = ',', quote = '"', escape = '"', nullstr = '-',
              union_by_name = true, all_varchar = true,
              types = {'time': 'TIMESTAMPTZ', 'host': 'VARCHAR', 'container': 'VARCHAR',
                       'pod': 'VARCHAR', 'pid': 'UINTEGER', 'tid': 'UINTEGER',
                       'state': 'VARCHAR', 'pcpu': 'DOUBLE', 'comm': 'VARCHAR',
                       'wchan': 'VARCHAR', 'minflt': 'UBIGINT', 'majflt': 'UBIGINT',
                       'syscall': 'VARCHAR', 'filename': 'VARCHAR', 'kstack': 'VARCHAR',
                       'throttled': 'DOUBLE'});
