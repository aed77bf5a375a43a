-- The threads of a pod at a given time: its rows in the last snapshot taken at or before that
-- time (on each host it ran on).
-- Parameters: SET VARIABLE pod = 'UID'; (or the start of it)
--             SET VARIABLE moment = '2026-11-25 03:12:00+00';
WITH snapshot AS (
    SELECT host, max(time) AS snapshot_time
    FROM threads
    WHERE pod LIKE getvariable('pod') || '%'
      AND time <= CAST(getvariable('moment') AS TIMESTAMPTZ)
    GROUP BY host
)
SELECT t.time, t.host, t.container, t.pod, t.pid, t.tid, t.state, t.comm, t.syscall, t.wchan
FROM threads t JOIN snapshot s ON t.host = s.host AND t.time = s.snapshot_time
WHERE t.pod LIKE getvariable('pod') || '%'
ORDER BY t.host, t.pid, t.tid;
