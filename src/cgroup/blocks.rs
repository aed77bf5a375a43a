//! The cgroup blocks written around a table, and the `throttled` column filled from a
//! window of cgroup readings.

use super::CgroupWindow;
use crate::output::json::JsonLine;
use crate::output::number::push_int;
use crate::output::{Format, Out};
use crate::row::{Row, Rows};

/// Fills each row's `throttled` from the window of its cgroup.
pub fn fill_throttled(cgroups: &CgroupWindow, rows: &mut Rows) {
    let mut last: Option<(u32, Option<f64>)> = None;
    for row in &mut rows.rows {
        let value = match last {
            Some((pid, value)) if pid == row.pid => value,
            _ => cgroups.throttled_percent(row.pid),
        };
        last = Some((row.pid, value));
        row.throttled = value;
    }
}

/// How many cgroup blocks a table or CSV run shows before saying how many more there are.
const CGROUP_BLOCKS: usize = 4;

/// Writes the blocks of the cgroups of the selected processes, those with the most `rows`
/// first: before the table on stdout; on stderr for CSV, so that stdout stays one table;
/// as `{"type":"cgroup",...}` lines for JSON, every cgroup.
pub fn write_cgroups(cgroups: &CgroupWindow, rows: &[Row], format: Format, out: &mut Out) {
    let max = match format {
        Format::Json => usize::MAX,
        _ => CGROUP_BLOCKS,
    };
    let (shown, more) = cgroups.busiest(rows, max);
    if shown.is_empty() {
        return;
    }
    let mut text = Vec::new();
    let width = out.width();
    let buf = match format {
        Format::Csv => &mut text,
        _ => &mut out.buf,
    };
    for g in shown {
        if format == Format::Json {
            let mut line = JsonLine::new(buf);
            line.text("type", b"cgroup");
            cgroups.write_json(g, &mut line);
            line.end();
        } else {
            cgroups.write_text_fit(g, buf, width);
        }
    }
    if format == Format::Json {
        return;
    }
    if more > 0 {
        buf.push(b'(');
        push_int(buf, more);
        buf.extend_from_slice(b" more cgroups not shown: select processes with -p or -C)\n");
    }
    if format == Format::Table {
        buf.push(b'\n');
    }
    crate::output::stderr(&text);
}
