//! `tsnap report FILE`: the rows saved by `--save`, aggregated exactly as `sample` would have
//! aggregated them while sampling.

use crate::aggregate::Aggregate;
use crate::cli::Args;
use crate::columns::Column;
use crate::error::Error;
use crate::flame::{self, Tree};
use crate::output::number::push_int;
use crate::output::{Format, Kind, Out};
use crate::parse::Span;
use crate::parse::jsonl::{self, Value};
use std::path::Path;

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    let path = args.file.as_deref().unwrap_or(Path::new("-"));
    let mut page = args
        .flame
        .as_deref()
        .map(|f| flame::html::create(f, args.mode))
        .transpose()?;
    let mut tree = (args.folded || page.is_some()).then(Tree::default);
    if let Some(base) = &args.diff {
        // Only its stacks count; its rows are checked as the new file's are.
        let mut rows = Aggregate::new(args.columns.clone(), args.exact);
        let stacks = tree.as_mut().map(|t| (t, flame::BASE));
        read(&slurp(base)?, base, &mut rows, stacks, args.exact)?;
    }
    let mut aggregate = Aggregate::new(args.columns.clone(), args.exact);
    let stacks = tree.as_mut().map(|t| (t, flame::NEW));
    let passes = read(&slurp(path)?, path, &mut aggregate, stacks, args.exact)?;
    if let (Some(tree), Some(page)) = (&tree, &mut page) {
        let title = match &args.diff {
            Some(base) => format!(
                "tsnap report --diff {} {}: {} thread samples, then {}",
                base.display(),
                path.display(),
                tree.samples(flame::BASE),
                tree.samples(flame::NEW)
            ),
            None => format!(
                "tsnap report {}: {passes} passes, {} thread samples",
                path.display(),
                tree.samples(flame::NEW)
            ),
        };
        flame::html::write(tree, args.diff.is_some(), title.as_bytes(), page)?;
    }
    if let (true, Some(tree)) = (args.folded, &tree) {
        flame::folded::write(tree, args.diff.is_some(), &mut out.buf);
        return out.flush();
    }
    if args.diff.is_some() {
        // The page is the answer: a diff has no table.
        return Ok(());
    }
    let mut grid = aggregate
        .grid(passes, args.format == Format::Table)
        .fit(super::session::table_width(args));
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
    // The Java columns come from --java.
    let java = if column.is_java() { " --java" } else { "" };
    format!("tsnap {command}{java} -G {}", column.name())
}

fn slurp(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::Fatal(format!("cannot read {}: {e}", path.display())))
}

/// The saved columns a row's stack is made of.
const STACK: [Column; 5] = [
    Column::Pcomm,
    Column::Comm,
    Column::State,
    Column::Syscall,
    Column::Kstack,
];

/// Feeds every saved row to `aggregate`, and its stack to `stacks` (a tree and the capture
/// to count in) if given; returns the number of passes.
fn read(
    data: &[u8],
    path: &Path,
    aggregate: &mut Aggregate,
    mut stacks: Option<(&mut Tree, usize)>,
    exact: bool,
) -> Result<u64, Error> {
    let mut kstacks = 0;
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
            return Err(bad_line(path, i, "not a saved row (JSON object)"));
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
                add_values(aggregate, field, &text, &mut values, (path, i))?;
                if let Some((tree, capture)) = &mut stacks {
                    let at = (path, i);
                    kstacks += u64::from(add_stack(tree, *capture, field, &text, exact, at)?);
                }
            }
            _ => return Err(bad_line(path, i, "neither a pass nor a row")),
        }
    }
    if stacks.is_some() && kstacks == 0 {
        crate::output::warn(&format!(
            "{}: no row holds a kernel stack (reading one needs root), so stacks end at the \
             syscall; to save them: sudo tsnap sample --save FILE",
            path.display()
        ));
    }
    Ok(passes)
}

/// Line `i` of `path` is `what` it should not be.
fn bad_line(path: &Path, i: usize, what: &str) -> Error {
    Error::BadInput(format!("{}: line {} is {what}", path.display(), i + 1))
}

/// Feeds a saved row's values of the aggregate's columns to it (`values` a buffer); the row
/// is line `i` of `path`.
fn add_values(
    aggregate: &mut Aggregate,
    field: impl Fn(&str) -> Option<Value>,
    text: &[u8],
    values: &mut Vec<(Kind, Span)>,
    (path, i): (&Path, usize),
) -> Result<(), Error> {
    values.clear();
    for c in aggregate.columns() {
        let value = match field(c.name()) {
            Some(Value::Text(t)) => (Kind::Text, t),
            Some(Value::Number(n)) => (Kind::Number, n),
            Some(Value::Null | Value::Bool(_)) => (Kind::Missing, Span::default()),
            None => return Err(missing(path, i, *c)),
        };
        values.push(value);
    }
    aggregate.add_values(values.iter().map(|&(k, s)| (k, s.of(text))));
    Ok(())
}

/// Adds a saved row's stack to `tree`, counted in `capture`; says whether the row held a
/// kernel stack. The row is line `i` of `path`.
fn add_stack(
    tree: &mut Tree,
    capture: usize,
    field: impl Fn(&str) -> Option<Value>,
    text: &[u8],
    exact: bool,
    (path, i): (&Path, usize),
) -> Result<bool, Error> {
    let mut cell = [b"".as_slice(); STACK.len()];
    for (c, cell) in STACK.iter().zip(&mut cell) {
        *cell = match field(c.name()) {
            Some(Value::Text(t)) => t.of(text),
            Some(_) => b"",
            None => return Err(missing(path, i, *c)),
        };
    }
    let [pcomm, comm, state, syscall, kstack] = cell;
    // Null where it could not be read; empty for a thread on a CPU.
    let kstack_read = matches!(field("kstack"), Some(Value::Text(_)));
    // Java frames where the run had --java (jstack: root first, by ->).
    let jstack = match field("jstack") {
        Some(Value::Text(t)) => t.of(text),
        _ => b"",
    };
    let mut stack = tree.stack();
    stack.thread(pcomm, comm, exact);
    for f in flame::saved_frames(jstack) {
        stack.frame(f);
    }
    stack
        .kernel(
            (!syscall.is_empty()).then_some(syscall),
            flame::saved_frames(kstack),
        )
        .count(capture, state.first().copied().unwrap_or(b'?'));
    Ok(kstack_read)
}

/// A saved row without `column`: the run that saved it did not read it.
fn missing(path: &Path, i: usize, column: Column) -> Error {
    Error::BadInput(format!(
        "{}: line {} has no column '{}': the run that saved it did not read it ({} --save FILE \
         reads it)",
        path.display(),
        i + 1,
        column.name(),
        capture_command(column)
    ))
}
