-- Top waits per container and minute, as `tsnap sample` counts them: `samples` is how many
-- times threads were seen in that state, system call and wait channel, `avg_threads` that
-- divided by the snapshots of the minute (the average number of threads doing it at any
-- moment). The five largest of each container and minute.
-- Parameter: SET VARIABLE container = 'PREFIX'; (the start of a container id; unset: all).
WITH passes AS (
    SELECT host, date_trunc('minute', time) AS minute, count(DISTINCT time) AS passes
    FROM threads
    GROUP BY ALL
),
waits AS (
    SELECT host, container, pod, date_trunc('minute', time) AS minute,
           state, syscall, wchan, count(*) AS samples
    FROM threads
    WHERE coalesce(container, '') LIKE coalesce(getvariable('container'), '') || '%'
    GROUP BY ALL
),
ranked AS (
    SELECT w.*, round(w.samples / p.passes, 2) AS avg_threads,
           row_number() OVER (PARTITION BY w.host, w.container, w.minute
                              ORDER BY w.samples DESC, w.state, w.syscall, w.wchan) AS rank
    FROM waits w JOIN passes p USING (host, minute)
)
SELECT minute, host, container, pod, rank, samples, avg_threads, state, syscall, wchan
FROM ranked
WHERE rank <= 5
ORDER BY minute, host, container, rank;
