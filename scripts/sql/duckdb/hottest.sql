-- The hottest threads over the last hour of the capture: their CPU (percent of one CPU)
-- averaged over every snapshot of the hour on their host, a snapshot that did not show a
-- thread counting as 0; and in how many snapshots each was seen running.
WITH hour AS (
    SELECT * FROM threads
    WHERE time > (SELECT max(time) FROM threads) - INTERVAL 1 HOUR
),
passes AS (
    SELECT host, count(DISTINCT time) AS passes FROM hour GROUP BY host
)
SELECT h.host, h.container, h.pod, h.pid, h.tid, any_value(h.comm) AS comm,
       round(sum(h.pcpu) / any_value(p.passes), 1) AS avg_pcpu,
       count(*) FILTER (WHERE h.state = 'R') AS running
FROM hour h JOIN passes p USING (host)
GROUP BY h.host, h.container, h.pod, h.pid, h.tid
ORDER BY avg_pcpu DESC, h.host, h.tid
LIMIT 20;
