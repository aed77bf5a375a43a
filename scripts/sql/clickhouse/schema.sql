-- The rows of `tsnap watch -f json -G throttled` from every node, for the queries beside this
-- file. Ordered by host, container and time, as they are asked for; a partition a day, each
-- dropped whole when its rows are older than the TTL. A value tsnap has not (a process in no
-- container or pod) arrives as null and is stored as '' (input_format_null_as_default).
--
-- Fed by the cluster's log pipeline (each stdout line of the DaemonSet is one row), or from
-- hourly files:
--   clickhouse-client --query "INSERT INTO tsnap.threads SETTINGS \
--     date_time_input_format = 'best_effort', input_format_skip_unknown_fields = 1 \
--     FORMAT JSONEachRow" < tsnap-2026-11-25.03.jsonl
CREATE DATABASE IF NOT EXISTS tsnap;

CREATE TABLE IF NOT EXISTS tsnap.threads
(
    time DateTime64(3, 'UTC') CODEC(Delta, ZSTD),
    host LowCardinality(String),
    container LowCardinality(String),
    pod LowCardinality(String),
    pid UInt32,
    tid UInt32,
    state LowCardinality(String),
    pcpu Nullable(Float32),
    comm LowCardinality(String),
    wchan LowCardinality(String),
    minflt UInt64,
    majflt UInt64,
    syscall LowCardinality(String),
    filename String CODEC(ZSTD),
    kstack String CODEC(ZSTD),
    throttled Nullable(Float32)
)
ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (host, container, time)
TTL toDateTime(time) + INTERVAL 14 DAY
SETTINGS ttl_only_drop_parts = 1;
