//! `tsnap report FILE`: the rows saved by `--save`, aggregated exactly as `sample` would have
//! aggregated them while sampling.

use crate::aggregate::Aggregate;
use crate::cli::Args;
use crate::columns::Column;
use crate::error::Error;
use crate::output::number::push_int;
use crate::output::{Format, Kind, Out};
use crate::parse::Span;
use crate::parse::jsonl::{self, Value};
use std::path::Path;

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let path = args.file.as_deref().unwrap_or(Path::new("-"));
    let data = std::fs::read(path)
        .map_err(|e| Error::Fatal(format!("cannot read {}: {e}", path.display())))?;
    let mut aggregate = Aggregate::new(args.columns.clone(), args.exact);
    let passes = read(&data, path, &mut aggregate)?;
    let mut grid = aggregate
        .grid(passes, args.format == Format::Table)
        .fit(super::table_width(args));
    if args.format == Format::Table {
        out.buf.extend_from_slice(b"=== ");
        out.buf
            .extend_from_slice(path.display().to_string().as_bytes());
        out.buf.extend_from_slice(b": ");
        push_int(&mut out.buf, passes);
        out.buf.extend_from_slice(b" passes ===\n\n");
    }
    grid.write(args.format, !args.no_headers, &mut out.buf);
    out.flush()
}

/// The command that captures `column` into a file for report: sample's passes read it when
/// grouped by it; `throttled` is measured over watch's windows.
pub fn capture_command(column: Column) -> String {
    let command = match column {
        Column::Throttled => "watch",
        _ => "sample",
    };
    format!("tsnap {command} -G {}", column.name())
}

/// Feeds every saved row to `aggregate` and returns the number of passes.
fn read(data: &[u8], path: &Path, aggregate: &mut Aggregate) -> Result<u64, Error> {
    let mut text = Vec::new();
    let mut fields = Vec::new();
    let mut values: Vec<(Kind, Span)> = Vec::new();
    let mut passes = 0;
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            continue;
        }
        let last = i + 1 == lines.len();
        if jsonl::parse(line, &mut text, &mut fields).is_none() {
            if last {
                // No newline at the end: the writer was killed in the middle of this line.
                crate::output::warn(&format!(
                    "{}: skipped the truncated last line",
                    path.display()
                ));
                break;
            }
            return Err(Error::BadInput(format!(
                "{}: line {} is not a saved row (JSON object)",
                path.display(),
                i + 1
            )));
        }
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.of(&text) == name.as_bytes())
                .map(|&(_, v)| v)
        };
        let kind = match field("type") {
            Some(Value::Text(t)) => t.of(&text),
            _ => b"".as_slice(),
        };
        match kind {
            b"pass" => passes += 1,
            b"row" => {
                values.clear();
                for c in aggregate.columns() {
                    let value = match field(c.name()) {
                        Some(Value::Text(t)) => (Kind::Text, t),
                        Some(Value::Number(n)) => (Kind::Number, n),
                        Some(Value::Null | Value::Bool(_)) => (Kind::Missing, Span::default()),
                        None => {
                            return Err(Error::BadInput(format!(
                                "{}: line {} has no column '{}': the run that saved it did not \
                                 read it ({} --save FILE reads it)",
                                path.display(),
                                i + 1,
                                c.name(),
                                capture_command(*c)
                            )));
                        }
                    };
                    values.push(value);
                }
                aggregate.add_values(values.iter().map(|&(k, s)| (k, s.of(&text))));
            }
            _ => {
                return Err(Error::BadInput(format!(
                    "{}: line {} is neither a pass nor a row",
                    path.display(),
                    i + 1
                )));
            }
        }
    }
    Ok(passes)
}
