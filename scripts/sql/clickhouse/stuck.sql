-- Threads stuck: in the same system call and wait channel, not running, in at least N
-- snapshots in a row (without -a, only threads in D are in the rows while they wait).
-- Parameter: --param_snapshots=10
WITH snapshots AS (
    SELECT host, time, row_number() OVER (PARTITION BY host ORDER BY time) AS n
    FROM (SELECT DISTINCT host, time FROM tsnap.threads)
),
waiting AS (
    SELECT t.host AS host, t.container AS container, t.pod AS pod, t.pid AS pid,
           t.tid AS tid, t.comm AS comm, t.syscall AS syscall, t.wchan AS wchan,
           t.time AS time,
           s.n - row_number() OVER (PARTITION BY t.host, t.pid, t.tid, t.syscall, t.wchan
                                    ORDER BY s.n) AS run
    FROM tsnap.threads AS t INNER JOIN snapshots AS s ON t.host = s.host AND t.time = s.time
    WHERE t.state != 'R'
)
SELECT host, container, pod, pid, tid, any(comm) AS comm, syscall, wchan,
       count() AS snapshots, min(time) AS since, max(time) AS until
FROM waiting
GROUP BY host, container, pod, pid, tid, syscall, wchan, run
HAVING count() >= {snapshots:UInt32}
ORDER BY snapshots DESC, host, pid, tid;
