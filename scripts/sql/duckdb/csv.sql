-- The rows of `tsnap watch --output-dir DIR` (CSV) as the view `threads`, for the queries
-- beside this file. Run from DIR, or set the files first:
--   SET VARIABLE files = '/var/log/tsnap/tsnap-*.csv';
-- `-` is tsnap's "no value" in CSV (a process in no container or pod, a column it could not
-- read): it is read as NULL. Files of hours written with other columns are merged by name.
CREATE OR REPLACE VIEW threads AS
SELECT * REPLACE (
    CAST(time AS TIMESTAMPTZ) AS time,
    CAST(host AS VARCHAR) AS host,
    CAST(container AS VARCHAR) AS container,
    CAST(pod AS VARCHAR) AS pod
)
FROM read_csv(coalesce(getvariable('files'), 'tsnap-*.csv'),
              header = true, nullstr = '-', union_by_name = true);
