-- Threads stuck: in the same system call and wait channel, not running, in at least N
-- snapshots in a row (without -a, only threads in D are in the rows while they wait).
-- Parameter: SET VARIABLE snapshots = 10; (unset: 10)
WITH snapshots AS (
    SELECT host, time, row_number() OVER (PARTITION BY host ORDER BY time) AS n
    FROM (SELECT DISTINCT host, time FROM threads)
),
waiting AS (
    SELECT t.host, t.container, t.pod, t.pid, t.tid, t.comm, t.state, t.syscall, t.wchan,
           t.time, s.n,
           s.n - row_number() OVER (PARTITION BY t.host, t.pid, t.tid, t.syscall, t.wchan
                                    ORDER BY s.n) AS run
    FROM threads t JOIN snapshots s USING (host, time)
    WHERE t.state <> 'R'
)
SELECT host, container, pod, pid, tid, any_value(comm) AS comm, syscall, wchan,
       count(*) AS snapshots, min(time) AS since, max(time) AS until
FROM waiting
GROUP BY host, container, pod, pid, tid, syscall, wchan, run
HAVING count(*) >= coalesce(CAST(getvariable('snapshots') AS INTEGER), 10)
ORDER BY snapshots DESC, host, pid, tid;
