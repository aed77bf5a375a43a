-- Throttled cgroups over time: per container and minute, the share of CPU quota periods in
-- which its cgroup was throttled (the `throttled` column, `watch -G throttled`), averaged
-- over the snapshots that showed its threads, and the worst snapshot.
WITH per_snapshot AS (
    SELECT host, container, pod, time, max(throttled) AS worst
    FROM threads
    WHERE throttled IS NOT NULL
    GROUP BY ALL
)
SELECT date_trunc('minute', time) AS minute, host, container, pod,
       round(avg(worst), 1) AS avg_throttled, max(worst) AS max_throttled,
       count(*) AS snapshots
FROM per_snapshot
GROUP BY ALL
HAVING max(worst) > 0
ORDER BY minute, avg_throttled DESC, host, container;
