#!/usr/bin/env python3
"""Runs every query of scripts/sql/ over a capture of `tsnap watch --output-dir`, under DuckDB
(over the hourly CSV or JSON lines files, as a user would on a node) or under ClickHouse's
engine (chdb: the schema created, the JSON lines inserted as JSONEachRow, as from a log
pipeline), and prints the results as one JSON object: {"QUERY": [ROW, ...]}, each row an
object of its columns, and "columns": [{NAME: TYPE}], the types of the view or table the
queries read. Times are ISO 8601 text, numbers are numbers, ClickHouse's '' for a value tsnap
has not is null.

Usage: queries.py duckdb-csv|duckdb-jsonl|clickhouse CAPTURE_DIR PARAMS_JSON
CAPTURE_DIR holds a directory of hourly files for each node.
PARAMS_JSON holds the queries' parameters: container, pod, at, snapshots.
"""

import datetime
import decimal
import glob
import json
import os
import sys
import tempfile

SQL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "sql")
QUERIES = ["top_waits", "pod_threads", "stuck", "hottest", "throttled"]


def text(path):
    with open(path) as f:
        return f.read()


def statements(sql):
    """The statements of a file, split at the semicolons that end lines."""
    parts, current = [], []
    for line in sql.splitlines():
        current.append(line)
        if line.rstrip().endswith(";"):
            parts.append("\n".join(current))
            current = []
    return [p for p in parts if p.strip()]


def plain(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def duckdb_results(kind, capture, params):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    values = dict(params, files=os.path.join(capture, "*", f"tsnap-*.{kind}"))
    for name, value in values.items():
        literal = str(value) if isinstance(value, int) else "'" + str(value).replace("'", "''") + "'"
        con.execute(f"SET VARIABLE {name} = {literal}")
    con.execute(text(os.path.join(SQL, "duckdb", f"{kind}.sql")))
    results = {"columns": [{r[0]: r[1] for r in con.execute("DESCRIBE threads").fetchall()}]}
    for query in QUERIES:
        cur = con.execute(text(os.path.join(SQL, "duckdb", f"{query}.sql")))
        names = [d[0] for d in cur.description]
        results[query] = [dict(zip(names, map(plain, row))) for row in cur.fetchall()]
    return results


def clickhouse_results(capture, params):
    from chdb import session

    with tempfile.TemporaryDirectory() as path:
        sess = session.Session(path)
        for statement in statements(text(os.path.join(SQL, "clickhouse", "schema.sql"))):
            sess.query(statement)
        for f in sorted(glob.glob(os.path.join(capture, "*", "tsnap-*.jsonl"))):
            sess.query(
                "INSERT INTO tsnap.threads SETTINGS date_time_input_format = 'best_effort', "
                "input_format_skip_unknown_fields = 1 FORMAT JSONEachRow\n" + text(f))
        described = sess.query("DESCRIBE TABLE tsnap.threads", "JSONEachRow")
        results = {"columns": [{row["name"]: row["type"] for row in
                                map(json.loads, str(described).splitlines()) if row}]}
        for query in QUERIES:
            out = sess.query(text(os.path.join(SQL, "clickhouse", f"{query}.sql")),
                             "JSONEachRow", params={k: str(v) for k, v in params.items()})
            rows = [json.loads(line) for line in str(out).splitlines() if line.strip()]
            for row in rows:
                for key, value in row.items():
                    if value == "" and key in ("container", "pod"):
                        row[key] = None
                    elif isinstance(value, str) and value.isdigit() and key != "comm":
                        row[key] = int(value)
            results[query] = rows
        sess.close()
    return results


def main():
    engine, capture, params = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    if engine == "clickhouse":
        results = clickhouse_results(capture, params)
    else:
        results = duckdb_results(engine.removeprefix("duckdb-"), capture, params)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
