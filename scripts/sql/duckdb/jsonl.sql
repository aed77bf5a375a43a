-- The rows of `tsnap watch -f json --output-dir DIR` (JSON lines), or of its standard output
-- saved by a log pipeline, as the view `threads`, for the queries beside this file. Run from
-- DIR, or set the files first:
--   SET VARIABLE files = '/var/log/tsnap/tsnap-*.jsonl';
-- The view has the columns declared here, with their types (those of clickhouse/schema.sql),
-- never ones guessed from the first rows: a thread named 31337 or 2026-12-07 stays text. A
-- key tsnap did not write (a column not asked for) is NULL, as is a process in no container
-- or pod; keys not named here are left out.
CREATE OR REPLACE VIEW threads AS
SELECT *
FROM read_json(coalesce(getvariable('files'), 'tsnap-*.jsonl'),
               format = 'newline_delimited',
               columns = {'time': 'TIMESTAMPTZ', 'host': 'VARCHAR', 'container': 'VARCHAR',
                          'pod': 'VARCHAR', 'pid': 'UINTEGER', 'tid': 'UINTEGER',
                          'state': 'VARCHAR', 'pcpu': 'DOUBLE', 'comm': 'VARCHAR',
                          'wchan': 'VARCHAR', 'minflt': 'UBIGINT', 'majflt': 'UBIGINT',
                          'syscall': 'VARCHAR', 'filename': 'VARCHAR', 'kstack': 'VARCHAR',
                          'throttled': 'DOUBLE'});
