-- The rows of `tsnap watch --output-dir DIR` (CSV) as the view `threads`, for the queries
-- beside this file. Run from DIR, or set the files first:
--   SET VARIABLE files = '/var/log/tsnap/tsnap-*.csv';
-- Every column has the type declared here (those of clickhouse/schema.sql), never one guessed
-- from the first rows: the files are read as text, then cast, so a thread named 31337 or
-- 2026-12-07 stays text. A column the files do not have (a capture without -G throttled) is
-- NULL; columns not named here (other -o columns) are text. `-` is tsnap's "no value" (a
-- process in no container or pod, a column it could not read): it is read as NULL. Text is
-- escaped as the README says (a name starting with = + - @ has that byte written \xHH); the
-- queries compare it as written. Files of hours written with other columns are merged by name.
CREATE OR REPLACE VIEW threads AS
SELECT * REPLACE (
    CAST(time AS TIMESTAMPTZ) AS time,
    CAST(pid AS UINTEGER) AS pid,
    CAST(tid AS UINTEGER) AS tid,
    CAST(pcpu AS DOUBLE) AS pcpu,
    CAST(minflt AS UBIGINT) AS minflt,
    CAST(majflt AS UBIGINT) AS majflt,
    CAST(throttled AS DOUBLE) AS throttled
)
FROM (
    -- No row: it gives the view every column, in this order, when no file has one.
    SELECT NULL::VARCHAR AS time, NULL::VARCHAR AS host, NULL::VARCHAR AS container,
           NULL::VARCHAR AS pod, NULL::VARCHAR AS pid, NULL::VARCHAR AS tid,
           NULL::VARCHAR AS state, NULL::VARCHAR AS pcpu, NULL::VARCHAR AS comm,
           NULL::VARCHAR AS wchan, NULL::VARCHAR AS minflt, NULL::VARCHAR AS majflt,
           NULL::VARCHAR AS syscall, NULL::VARCHAR AS filename, NULL::VARCHAR AS kstack,
           NULL::VARCHAR AS throttled
    WHERE false
    UNION ALL BY NAME
    SELECT * FROM read_csv(coalesce(getvariable('files'), 'tsnap-*.csv'),
                           header = true, delim = ',', quote = '"', escape = '"',
                           nullstr = '-', union_by_name = true, all_varchar = true)
);
