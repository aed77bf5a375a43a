-- The hottest threads over the last hour of the capture: their CPU (percent of one CPU)
-- averaged over every snapshot of the hour on their host, a snapshot that did not show a
-- thread counting as 0; and in how many snapshots each was seen running.
WITH hour AS (
    SELECT * FROM tsnap.threads
    WHERE time > (SELECT max(time) FROM tsnap.threads) - INTERVAL 1 HOUR
),
passes AS (
    SELECT host, uniqExact(time) AS passes FROM hour GROUP BY host
)
SELECT h.host AS host, h.container AS container, h.pod AS pod, h.pid AS pid, h.tid AS tid,
       any(h.comm) AS comm, round(sum(h.pcpu) / any(p.passes), 1) AS avg_pcpu,
       countIf(h.state = 'R') AS running
FROM hour AS h INNER JOIN passes AS p ON h.host = p.host
GROUP BY h.host, h.container, h.pod, h.pid, h.tid
ORDER BY avg_pcpu DESC, host, tid
LIMIT 20;
