//! The commands, and what they share: opening the procfs mount, starting the collector,
//! checking that the selection matched, the cgroup blocks, and the footer of what could not
//! be read.

pub mod columns;
pub mod dump;
pub mod java_dump;
pub mod report;
pub mod sample;
pub mod snap;
pub mod watch;

use crate::cgroup::CgroupWindow;
use crate::cli::Args;
use crate::collect::{Collector, Options};
use crate::columns::{Needs, needs as needs_of};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::{Format, Out};
use crate::problems::{Privileges, Problems, errno_name};
use crate::procfs::{self, RelPath};
use crate::row::Row;
use crate::save::Saver;
use crate::select::{self, Selection};
use rustix::fd::{BorrowedFd, OwnedFd};
use std::path::Path;

/// Opens the procfs mount.
pub fn open_root(path: &Path) -> Result<OwnedFd, Error> {
    procfs::open_dir(rustix::fs::CWD, path)
        .map_err(|e| Error::Fatal(format!("cannot open {}: {}", path.display(), errno_name(e))))
}

/// Opens the mount, resolves `-p` thread ids to their processes, and lists the selection.
/// Fails with [`Error::NoMatch`] when an explicit selection matches nothing.
pub fn start(path: &Path, mut opts: Options) -> Result<Collector, Error> {
    let root = open_root(path)?;
    let hidden = hidden_processes(path);
    let hint = hidden
        .as_deref()
        .map_or(String::new(), |h| format!(" ({h})"));
    resolve_pids(&root, &mut opts.selection, &hint)?;
    let selection = opts.selection.clone();
    let mut collector = Collector::new(root, opts);
    collector
        .refresh()
        .map_err(|e| Error::Fatal(format!("cannot list {}: {}", path.display(), errno_name(e))))?;
    if collector.process_count() == 0 {
        return Err(Error::NoMatch(format!(
            "{}{hint}",
            nothing_matched(&selection)
        )));
    }
    if let Some(h) = hidden {
        crate::output::warn(&format!("note: {h}"));
    }
    Ok(collector)
}

/// Why other users' processes may be missing: the procfs at `path` is mounted with
/// `hidepid` (and tsnap is not root, who sees them all).
fn hidden_processes(path: &Path) -> Option<String> {
    if rustix::process::geteuid().is_root() {
        return None;
    }
    let mountinfo = std::fs::read("/proc/self/mountinfo").ok()?;
    let point = std::fs::canonicalize(path).ok()?;
    let value = crate::parse::mountinfo::hidepid(&mountinfo, point.as_os_str().as_encoded_bytes())?;
    Some(format!(
        "{} is mounted with hidepid={}: processes of other users are hidden",
        path.display(),
        String::from_utf8_lossy(value)
    ))
}

/// Starts a command that makes passes over time (sample, watch): its collector, keeping files
/// open between passes, and the `--save` file; and from then on, SIGINT and SIGTERM end it.
pub fn start_passes(args: &Args, also: Needs) -> Result<(Collector, Option<Saver>), Error> {
    let saver = args
        .save
        .as_deref()
        .map(|path| Saver::open(path, &args.columns))
        .transpose()?;
    let mut needs = needs_of(&args.columns).union(also);
    if let Some(s) = &saver {
        needs = needs.union(needs_of(s.columns()));
    }
    let collector = start(
        &args.proc_root,
        Options {
            selection: args.selection.clone(),
            needs,
            all_states: args.all,
            cache_files: true,
        },
    )?;
    crate::signals::install();
    Ok((collector, saver))
}

/// Replaces thread ids given to `-p` by their process ids; warns about ids that do not
/// exist, and fails if none does (and no `-C` may still match).
fn resolve_pids(root: &OwnedFd, selection: &mut Selection, hint: &str) -> Result<(), Error> {
    if selection.pids.is_empty() {
        return Ok(());
    }
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for &id in &selection.pids {
        match select::thread_group_of(root, id) {
            Some(pid) => found.push(pid),
            None => missing.push(id),
        }
    }
    let missing_text = missing
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if found.is_empty() && selection.comms.is_empty() {
        return Err(Error::NoMatch(format!(
            "no such process: {missing_text}{hint}"
        )));
    }
    if !missing.is_empty() {
        crate::output::warn(&format!("no such process: {missing_text}{hint}"));
    }
    found.sort_unstable();
    found.dedup();
    selection.pids = found;
    Ok(())
}

fn nothing_matched(selection: &Selection) -> String {
    if !selection.comms.is_empty() {
        let names: Vec<String> = selection
            .comms
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!("no process named {}", names.join(" or "))
    } else if !selection.pids.is_empty() {
        "the selected processes have exited".to_string()
    } else {
        "no process to look at in this procfs mount".to_string()
    }
}

/// tsnap's own capabilities and Yama's setting, to explain denials.
pub fn privileges(root: BorrowedFd<'_>) -> Privileges {
    use rustix::thread::{CapabilitySet, capabilities};
    let caps = capabilities(None)
        .map(|c| c.effective)
        .unwrap_or(CapabilitySet::empty());
    let mut path = RelPath::new();
    path.push(b"sys/kernel/yama/ptrace_scope");
    let mut buf = Vec::new();
    let yama_scope = procfs::read_file(root, &path, &mut buf)
        .ok()
        .and_then(|()| crate::parse::dec_u64(crate::parse::trim_end(&buf)))
        .and_then(|n| u8::try_from(n).ok());
    Privileges {
        sys_admin: caps.contains(CapabilitySet::SYS_ADMIN),
        sys_ptrace: caps.contains(CapabilitySet::SYS_PTRACE),
        yama_scope,
    }
}

/// Prints one line per column that could not be read, on stderr.
pub fn print_problems(problems: &Problems, root: BorrowedFd<'_>, noun: &str) {
    if problems.is_empty() {
        return;
    }
    let mut text = String::new();
    for line in problems.lines(&privileges(root), noun) {
        text.push_str(&line);
        text.push('\n');
    }
    crate::output::stderr(text.as_bytes());
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
            cgroups.write_text(g, buf);
        }
    }
    if format == Format::Json {
        return;
    }
    if more > 0 {
        buf.push(b'(');
        buf.extend_from_slice(itoa::Buffer::new().format(more).as_bytes());
        buf.extend_from_slice(b" more cgroups not shown: select processes with -p or -C)\n");
    }
    if format == Format::Table {
        buf.push(b'\n');
    }
    crate::output::stderr(&text);
}

/// Sleeps for `secs` seconds.
pub fn sleep(secs: f64) {
    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
}
