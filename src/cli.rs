//! The command line: lexopt in, a checked [`Args`] out, and the help texts.

use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::Format;
use crate::select::Selection;
use lexopt::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Snap,
    Dump,
    Columns,
}

impl Command {
    fn from_name(name: &str) -> Option<Command> {
        match name {
            "snap" => Some(Command::Snap),
            "dump" => Some(Command::Dump),
            "columns" => Some(Command::Columns),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Command::Snap => "snap",
            Command::Dump => "dump",
            Command::Columns => "columns",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Command::Snap => SNAP_HELP,
            Command::Dump => DUMP_HELP,
            Command::Columns => COLUMNS_HELP,
        }
    }
}

/// What to do, checked and resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Run(Args),
    /// Print this text on stdout and exit 0.
    Print(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub command: Command,
    pub selection: Selection,
    pub all: bool,
    pub columns: Vec<Column>,
    pub format: Format,
    /// Seconds of the CPU window.
    pub interval: f64,
    pub proc_root: PathBuf,
    /// The sysfs mount whose `fs/cgroup` holds the cgroups of the processes in `proc_root`.
    pub sys_root: PathBuf,
}

/// Where sysfs is mounted, unless `--sys` says otherwise.
pub const DEFAULT_SYS_ROOT: &str = "/sys";

pub const VERSION: &str = concat!("tsnap ", env!("CARGO_PKG_VERSION"));

const HELP: &str = "\
tsnap - what every thread of a process is doing, from /proc

USAGE
    tsnap [snap] [OPTIONS]        active (R and D) threads now, as a table
    tsnap dump [OPTIONS]          every thread of the selected processes, jstack-like
    tsnap columns                 every column, its source file and the privilege it needs

SELECTION (all commands)
    -p, --pid PID[,PID...]        these processes (all their threads)
    -C, --comm NAME[,NAME...]     processes named exactly NAME (/proc/PID/comm), as ps -C
    -r, --recursive               also every descendant of the selected processes
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)

OUTPUT (snap)
    -a, --all                     threads in every state, not only R and D
    -o, --columns COLS            exactly these columns, comma-separated
    -G, --add COLS                the default columns plus these
    -f, --format FMT              table (default), csv or json (one object per line)
    -i, --interval SECS           window for pcpu (default 0.5; 0 = lifetime average, as ps)

    -h, --help                    this help; tsnap COMMAND --help for one command
    -V, --version                 the version

Default columns: pid tid state pcpu comm wchan minflt majflt syscall filename kstack

Before the threads, a block for each cgroup they live in: CPU limit, usage and throttling,
memory and OOM kills, pressure (PSI).

What tsnap could not read (no permission, no such file on this kernel) is shown as - (null
in JSON) and told once per column on stderr, with what would have allowed it.

EXIT STATUS
    0 success, 1 nothing matched or /proc unusable, 2 bad usage

EXAMPLES
    tsnap -C java                 what the JVM's busy threads are doing
    tsnap -a -p 1234 -f json      every thread of process 1234 as JSON lines
    tsnap dump -p 1234            a thread dump to join with jstack by nid=0x...
";

const SNAP_HELP: &str = "\
tsnap snap - the threads that are running (R) or in uninterruptible sleep (D) now

USAGE
    tsnap [snap] [-p PID,... | -C NAME,...] [-r] [-a] [-o COLS | -G COLS] [-f FMT] [-i SECS]
          [--proc DIR] [--sys DIR]

OPTIONS
    -p, --pid PID[,PID...]        these processes (all their threads)
    -C, --comm NAME[,NAME...]     processes named exactly NAME, as ps -C
    -r, --recursive               also every descendant of the selected processes
    -a, --all                     threads in every state, not only R and D
    -o, --columns COLS            exactly these columns (see tsnap columns)
    -G, --add COLS                the default columns plus these
    -f, --format FMT              table (default), csv, json
    -i, --interval SECS           window for pcpu, runq, vcsw, ivcsw and the cgroup figures,
                                  default 0.5; 0 = lifetime averages and totals, as ps
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)

Before the table, a block for each cgroup (at most 4, those with the most threads shown;
JSON: all, as {\"type\":\"cgroup\",...} lines; CSV: on stderr).
The table shows kstack on its own indented line under its thread. Without -p or -C every
visible process is looked at, except tsnap itself.
";

const DUMP_HELP: &str = "\
tsnap dump - a jstack-like text dump of every thread of the selected processes

USAGE
    tsnap dump (-p PID,... | -C NAME,...) [-r] [-f text|json] [-i SECS] [--proc DIR]
          [--sys DIR]

For each process, a header (time, pid, name, command line, thread count, uptime, and its
cgroup's CPU, memory and pressure) and then every thread in tid order:

    \"NAME\" tid=N nid=0xHEX state=X (description) cpu=P% cputime=Nms
        syscall: ...
        file: ...
        wchan: ...
        at kernel_function        (innermost first, when the stack is readable)

nid is the thread id in hex, as jstack prints it: join the two dumps on it.

OPTIONS
    -p, --pid PID[,PID...]        these processes
    -C, --comm NAME[,NAME...]     processes named exactly NAME
    -r, --recursive               also every descendant
    -f, --format FMT              text (default) or json (one object per line)
    -i, --interval SECS           window for cpu= and the cgroup figures, default 0.5;
                                  0 = lifetime average
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)
";

const COLUMNS_HELP: &str = "\
tsnap columns - every column: its name, what it means, the /proc file it comes from and the
privilege that file needs

USAGE
    tsnap columns
";

/// Parses the arguments after the program name.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Action, Error> {
    let mut p = lexopt::Parser::from_args(args);
    let mut command = None;
    let mut selection = Selection::default();
    let mut all = false;
    let mut only: Option<Vec<Column>> = None;
    let mut add: Vec<Column> = Vec::new();
    let mut format = None;
    let mut interval = None;
    let mut proc_root = None;
    let mut sys_root = None;
    let mut given: Vec<&'static str> = Vec::new();

    while let Some(arg) = p.next()? {
        match arg {
            Short('h') | Long("help") => {
                return Ok(Action::Print(
                    command.map_or(HELP, Command::help).to_string(),
                ));
            }
            Short('V') | Long("version") => return Ok(Action::Print(format!("{VERSION}\n"))),
            Short('p') | Long("pid") => {
                for part in list(&mut p, "--pid")? {
                    selection.pids.push(pid(&part)?);
                }
            }
            Short('C') | Long("comm") => {
                for part in list(&mut p, "--comm")? {
                    selection.comms.push(part.into_bytes());
                }
            }
            Short('r') | Long("recursive") => selection.recursive = true,
            Short('a') | Long("all") => {
                all = true;
                given.push("--all");
            }
            Short('o') | Long("columns") => {
                only.get_or_insert_with(Vec::new)
                    .extend(column_list(&mut p, "--columns")?);
                given.push("--columns");
            }
            Short('G') | Long("add") => {
                add.extend(column_list(&mut p, "--add")?);
                given.push("--add");
            }
            Short('f') | Long("format") => {
                let v = string(&mut p, "--format")?;
                format = Some(match v.as_str() {
                    "text" => Format::Table,
                    s => Format::parse(s).ok_or_else(|| {
                        Error::Usage(format!("unknown format '{v}' (table, csv or json)"))
                    })?,
                });
                given.push("--format");
            }
            Short('i') | Long("interval") => {
                interval = Some(seconds(&mut p, "--interval")?);
                given.push("--interval");
            }
            Long("proc") => proc_root = Some(PathBuf::from(p.value()?)),
            Long("sys") => sys_root = Some(PathBuf::from(p.value()?)),
            Value(v) if command.is_none() => {
                let name = v.string()?;
                command = Some(Command::from_name(&name).ok_or_else(|| {
                    Error::Usage(format!("unknown command '{name}' (snap, dump or columns)"))
                })?);
            }
            _ => return Err(arg.unexpected().into()),
        }
    }

    let command = command.unwrap_or(Command::Snap);
    let allowed: &[&str] = match command {
        Command::Snap => &["--all", "--columns", "--add", "--format", "--interval"],
        Command::Dump => &["--format", "--interval"],
        Command::Columns => &[],
    };
    if let Some(bad) = given.iter().find(|g| !allowed.contains(g)) {
        return Err(Error::Usage(format!(
            "option {bad} does not apply to '{}' (see tsnap {} --help)",
            command.name(),
            command.name()
        )));
    }
    if command == Command::Dump && selection.pids.is_empty() && selection.comms.is_empty() {
        return Err(Error::Usage(
            "dump needs the processes to dump: -p PID or -C NAME".to_string(),
        ));
    }
    if format == Some(Format::Csv) && command == Command::Dump {
        return Err(Error::Usage(
            "dump writes text or json, not csv".to_string(),
        ));
    }
    let mut columns = only.unwrap_or_else(|| columns::DEFAULT.to_vec());
    for c in add {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    Ok(Action::Run(Args {
        command,
        selection,
        all: all || command == Command::Dump,
        columns,
        format: format.unwrap_or(Format::Table),
        interval: interval.unwrap_or(0.5),
        proc_root: proc_root.unwrap_or_else(|| PathBuf::from(crate::procfs::DEFAULT_ROOT)),
        sys_root: sys_root.unwrap_or_else(|| PathBuf::from(DEFAULT_SYS_ROOT)),
    }))
}

fn string(p: &mut lexopt::Parser, option: &str) -> Result<String, Error> {
    p.value()?
        .into_string()
        .map_err(|_| Error::Usage(format!("{option}: the value is not valid UTF-8")))
}

/// A comma-separated value, without empty parts.
fn list(p: &mut lexopt::Parser, option: &str) -> Result<Vec<String>, Error> {
    let v = string(p, option)?;
    let parts: Vec<String> = v
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if parts.is_empty() {
        return Err(Error::Usage(format!("{option} needs a value")));
    }
    Ok(parts)
}

fn column_list(p: &mut lexopt::Parser, option: &str) -> Result<Vec<Column>, Error> {
    list(p, option)?
        .iter()
        .map(|name| {
            Column::by_name(name).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown column '{name}' (tsnap columns lists them)"
                ))
            })
        })
        .collect()
}

fn pid(s: &str) -> Result<u32, Error> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::Usage(format!(
            "--pid: '{s}' is not a process id (a positive number)"
        ))),
    }
}

/// Seconds as a decimal number, at most a day.
fn seconds(p: &mut lexopt::Parser, option: &str) -> Result<f64, Error> {
    let v = string(p, option)?;
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(Error::Usage(format!(
            "{option}: '{v}' is not a number of seconds between 0 and 86400"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Action, Error> {
        parse_from(line.split_whitespace().map(OsString::from))
    }

    fn args(line: &str) -> Args {
        match parse(line) {
            Ok(Action::Run(a)) => a,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn usage(line: &str) -> String {
        match parse(line) {
            Err(Error::Usage(m)) => m,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = args("");
        assert_eq!(a.command, Command::Snap);
        assert_eq!(a.columns, columns::DEFAULT);
        assert_eq!(a.format, Format::Table);
        assert_eq!(a.interval, 0.5);
        assert!(!a.all);
        assert_eq!(a.proc_root, PathBuf::from("/proc"));
        assert_eq!(a.sys_root, PathBuf::from("/sys"));
    }

    #[test]
    fn selection_and_shape() {
        let a = args(
            "-p 1,2 -p 3 -C java,python3 -r -a -o pid,tid -G wchan,pid -f json -i 0 --proc /host/proc --sys /host/sys",
        );
        assert_eq!(a.selection.pids, [1, 2, 3]);
        assert_eq!(a.selection.comms, [b"java".to_vec(), b"python3".to_vec()]);
        assert!(a.selection.recursive && a.all);
        assert_eq!(a.columns, [Column::Pid, Column::Tid, Column::Wchan]);
        assert_eq!(a.format, Format::Json);
        assert_eq!(a.interval, 0.0);
        assert_eq!(a.proc_root, PathBuf::from("/host/proc"));
        assert_eq!(a.sys_root, PathBuf::from("/host/sys"));
        assert_eq!(args("--add=kstack").columns.last(), Some(&Column::Kstack));
        assert_eq!(args("dump -C java").command, Command::Dump);
        assert!(args("dump -p 9").all);
    }

    #[test]
    fn bad_usage() {
        assert!(usage("--bogus").contains("--bogus"));
        assert!(usage("-o pid,nope").contains("unknown column 'nope'"));
        assert!(usage("-f xml").contains("unknown format 'xml'"));
        assert!(usage("-i abc").contains("not a number of seconds"));
        assert!(usage("-i -1").contains("-1"));
        assert!(usage("-i inf").contains("inf"));
        assert!(usage("-p 0").contains("not a process id"));
        assert!(usage("-p x").contains("not a process id"));
        assert!(usage("-p ,").contains("needs a value"));
        assert!(usage("frobnicate").contains("unknown command"));
        assert!(usage("dump").contains("-p PID or -C NAME"));
        assert!(usage("dump -p 1 -a").contains("--all does not apply to 'dump'"));
        assert!(usage("columns -o pid").contains("does not apply"));
        assert!(usage("snap extra").contains("extra"));
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse("--help"), Ok(Action::Print(h)) if h.starts_with("tsnap - ")));
        assert!(
            matches!(parse("dump --help"), Ok(Action::Print(h)) if h.starts_with("tsnap dump"))
        );
        assert!(matches!(parse("-V"), Ok(Action::Print(v)) if v.starts_with("tsnap 0.")));
    }
}
