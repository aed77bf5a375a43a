-- The rows of `tsnap watch -f json --output-dir DIR` (JSON lines), or of its standard output
-- saved by a log pipeline, as the view `threads`, for the queries beside this file. Run from
-- DIR, or set the files first:
--   SET VARIABLE files = '/var/log/tsnap/tsnap-*.jsonl';
-- A process in no container or pod has null for them.
CREATE OR REPLACE VIEW threads AS
SELECT * REPLACE (
    CAST(time AS TIMESTAMPTZ) AS time,
    CAST(host AS VARCHAR) AS host,
    CAST(container AS VARCHAR) AS container,
    CAST(pod AS VARCHAR) AS pod
)
FROM read_json(coalesce(getvariable('files'), 'tsnap-*.jsonl'),
               format = 'newline_delimited', union_by_name = true);
