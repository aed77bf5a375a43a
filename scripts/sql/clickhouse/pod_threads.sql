-- The threads of a pod at a given time: its rows in the last snapshot taken at or before that
-- time (on each host it ran on).
-- Parameters: --param_pod=UID (or the start of it) --param_moment='2026-11-25 03:12:00'
-- (UTC, or with its offset).
WITH snapshot AS (
    SELECT host, max(time) AS snapshot_time
    FROM tsnap.threads
    WHERE pod != '' AND startsWith(pod, {pod:String})
      AND time <= parseDateTime64BestEffort({moment:String}, 3, 'UTC')
    GROUP BY host
)
SELECT t.time, t.host, t.container, t.pod, t.pid, t.tid, t.state, t.comm, t.syscall, t.wchan
FROM tsnap.threads AS t INNER JOIN snapshot AS s ON t.host = s.host AND t.time = s.snapshot_time
WHERE t.pod != '' AND startsWith(t.pod, {pod:String})
ORDER BY t.host, t.pid, t.tid;
