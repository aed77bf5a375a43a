//! The command line: lexopt in, a checked [`Args`] out, and the help texts.

use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::Format;
use crate::select::Selection;
use lexopt::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Snap,
    Dump,
    Sample,
    Watch,
    Report,
    Columns,
}

impl Command {
    const ALL: [Command; 6] = [
        Command::Snap,
        Command::Dump,
        Command::Sample,
        Command::Watch,
        Command::Report,
        Command::Columns,
    ];

    fn name(self) -> &'static str {
        match self {
            Command::Snap => "snap",
            Command::Dump => "dump",
            Command::Sample => "sample",
            Command::Watch => "watch",
            Command::Report => "report",
            Command::Columns => "columns",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Command::Snap => SNAP_HELP,
            Command::Dump => DUMP_HELP,
            Command::Sample => SAMPLE_HELP,
            Command::Watch => WATCH_HELP,
            Command::Report => REPORT_HELP,
            Command::Columns => COLUMNS_HELP,
        }
    }

    /// The options (by long name) that apply to this command.
    fn options(self) -> &'static [&'static str] {
        match self {
            Command::Snap => &[
                "--pid",
                "--comm",
                "--recursive",
                "--proc",
                "--sys",
                "--all",
                "--columns",
                "--add",
                "--format",
                "--interval",
            ],
            Command::Dump => &[
                "--pid",
                "--comm",
                "--recursive",
                "--proc",
                "--sys",
                "--format",
                "--interval",
                "--java",
                "--java-timeout",
            ],
            Command::Sample => &[
                "--pid",
                "--comm",
                "--recursive",
                "--proc",
                "--sys",
                "--sys",
                "--all",
                "--duration",
                "--hz",
                "--group-by",
                "--add",
                "--format",
                "--save",
                "--exact",
            ],
            Command::Watch => &[
                "--pid",
                "--comm",
                "--recursive",
                "--proc",
                "--all",
                "--columns",
                "--add",
                "--format",
                "--interval",
                "--duration",
                "--save",
                "--output-dir",
            ],
            Command::Report => &["--group-by", "--add", "--format", "--exact"],
            Command::Columns => &[],
        }
    }
}

/// What to do, checked and resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Run(Box<Args>),
    /// Print this text on stdout and exit 0.
    Print(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub command: Command,
    pub selection: Selection,
    pub all: bool,
    /// snap and watch: the columns shown; sample and report: the group columns.
    pub columns: Vec<Column>,
    pub format: Format,
    /// Seconds: the pcpu window (snap, dump) or the period (watch).
    pub interval: f64,
    /// Seconds: how long to sample, or to watch (`None`: until interrupted).
    pub duration: Option<f64>,
    /// Sampling passes per second.
    pub hz: u32,
    /// Digits in names and file names kept when grouping.
    pub exact: bool,
    pub save: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    /// The file `report` reads.
    pub file: Option<PathBuf>,
    pub proc_root: PathBuf,
    /// The sysfs mount whose `fs/cgroup` holds the cgroups of the processes in `proc_root`.
    pub sys_root: PathBuf,
    /// dump `--java`: merge in the JVM's own thread dump, waiting at most this long for it.
    pub java: Option<Duration>,
}

/// `sample`'s and `report`'s groups unless `-g` says otherwise, as psn's.
pub const DEFAULT_GROUP: &[Column] = &[Column::Comm, Column::State];

/// Where sysfs is mounted, unless `--sys` says otherwise.
pub const DEFAULT_SYS_ROOT: &str = "/sys";

/// `tsnap 0.1.0 (commit 0123456789ab, x86_64-linux-musl)`: the version, the commit it was built
/// from (`scripts/build` sets `TSNAP_COMMIT`) and what it was built for.
pub fn version() -> String {
    let commit = option_env!("TSNAP_COMMIT").unwrap_or("unknown");
    let libc = if cfg!(target_env = "musl") {
        "musl"
    } else {
        "gnu"
    };
    format!(
        "tsnap {} (commit {commit}, {}-linux-{libc})\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH
    )
}

const HELP: &str = "\
tsnap - what every thread of a process is doing, from /proc

USAGE
    tsnap [snap] [OPTIONS]        active (R and D) threads now, as a table
    tsnap dump [OPTIONS]          every thread of the selected processes, jstack-like
    tsnap sample [OPTIONS]        sample at a fixed rate for a while, then aggregate (psn)
    tsnap watch [OPTIONS]         a timestamped snapshot every interval (xcapture)
    tsnap report FILE [OPTIONS]   aggregate samples saved with --save
    tsnap columns                 every column, its source file and the privilege it needs

SELECTION (snap, dump, sample, watch)
    -p, --pid PID[,PID...]        these processes (all their threads)
    -C, --comm NAME[,NAME...]     processes named exactly NAME (/proc/PID/comm), as ps -C
    -r, --recursive               also every descendant of the selected processes
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)

Before the threads, a block for each cgroup they live in: CPU limit, usage and throttling,
memory and OOM kills, pressure (PSI).

OUTPUT (snap)
    -a, --all                     threads in every state, not only R and D
    -o, --columns COLS            exactly these columns, comma-separated
    -G, --add COLS                the default columns plus these
    -f, --format FMT              table (default), csv or json (one object per line)
    -i, --interval SECS           window for pcpu (default 0.5; 0 = lifetime average, as ps)

    -h, --help                    this help; tsnap COMMAND --help for one command
    -V, --version                 the version

Default columns: pid tid state pcpu comm wchan minflt majflt syscall filename kstack

What tsnap could not read (no permission, no such file on this kernel) is shown as - (null
in JSON) and told once per column on stderr, with what would have allowed it.

EXIT STATUS
    0 success, 1 nothing matched or /proc unusable, 2 bad usage or a malformed file

EXAMPLES
    tsnap -C java                 what the JVM's busy threads are doing
    tsnap -a -p 1234 -f json      every thread of process 1234 as JSON lines
    tsnap dump -p 1234            a thread dump to join with jstack by nid=0x...
    tsnap dump --java -p 1234     the same, merged with the JVM's own thread dump
    tsnap sample -G syscall,filename   what active threads do over 5 s, psn-style
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
               [--sys DIR] [--java [--java-timeout SECS]]

For each process, a header (time, pid, name, command line, thread count, uptime, and its
cgroup's CPU, memory and pressure) and then every thread in tid order:

    \"NAME\" tid=N nid=0xHEX state=X (description) cpu=P% cputime=Nms
        syscall: ...
        file: ...
        wchan: ...
        at kernel_function        (innermost first, when the stack is readable)

nid is the thread id in hex, as jstack prints it: join the two dumps on it.

With --java, the selected processes must be HotSpot JVMs (OpenJDK, Oracle, Temurin,
Corretto, ...), and tsnap asks each for its own thread dump, as jstack does, and merges it
in by nid: each thread gets its full Java name and, under its first line,

    java: #N daemon prio=P ... STATUS      (the JVM's line for the thread)
        java.lang.Thread.State: ...
        at java.Frame(...)                 (Java frames and locks, as the JVM printed them)
        - locked <0x...> (a ...)

The JVM's header comes first and its deadlock report, if any, last. A JVM whose attach
listener is not running yet gets one SIGQUIT, which makes HotSpot start it; tsnap refuses to
signal a process that does not catch SIGQUIT (a JVM run with -Xrs: SIGQUIT would kill it) or
is not a HotSpot JVM. If the listener does not come up in time, tsnap says so and prints the
dump without the Java view.

OPTIONS
    -p, --pid PID[,PID...]        these processes
    -C, --comm NAME[,NAME...]     processes named exactly NAME
    -r, --recursive               also every descendant
    -f, --format FMT              text (default) or json (one object per line)
    -i, --interval SECS           window for cpu= and the cgroup figures, default 0.5;
                                  0 = lifetime average
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)
        --java                    merge in each JVM's own thread dump (HotSpot only)
        --java-timeout SECS       how long to wait for the JVM, default 5
";

const SAMPLE_HELP: &str = "\
tsnap sample - sample threads at a fixed rate, then count them by group (psn)

USAGE
    tsnap sample [-d SECS] [--hz N] [-g COLS | -G COLS] [-a] [-p PID,... | -C NAME,...] [-r]
                 [-f FMT] [--save FILE] [--exact] [--proc DIR] [--sys DIR]

Takes --hz passes a second for -d seconds over the active (R and D) threads, or all with -a,
and prints one row per group: samples (how many times the group was seen) and avg_threads
(samples divided by passes), most samples first. Digits in comm, pcomm and filename show as *
so that alike threads fall together (kworker/*:*, socket:[*]). Ctrl-C ends sampling early and
still prints the report.

OPTIONS
    -d, --duration SECS           how long to sample, default 5
        --hz N                    passes per second, default 20
    -g, --group-by COLS           group by these columns (default comm,state)
    -G, --add COLS                group by comm,state plus these
    -a, --all                     threads in every state
    -p, --pid PID[,PID...]        these processes
    -C, --comm NAME[,NAME...]     processes named exactly NAME
    -r, --recursive               also every descendant
    -f, --format FMT              table (default), csv, json
        --save FILE               also append every sampled row to FILE as JSON lines
        --exact                   keep digits in names when grouping
        --proc DIR                read this procfs mount instead of /proc
        --sys DIR                 the sysfs mount of that system, for its cgroups (/sys)

After the footer, a block for each cgroup of the sampled processes, over the whole run: CPU
limit, usage and throttling, memory and OOM kills, pressure (PSI) and stall time.
";

const WATCH_HELP: &str = "\
tsnap watch - a timestamped snapshot of the active threads every interval (xcapture)

USAGE
    tsnap watch [-i SECS] [-d SECS] [-a] [-p PID,... | -C NAME,...] [-r] [-o COLS | -G COLS]
                [-f FMT] [--output-dir DIR] [--save FILE] [--proc DIR]

Every row starts with the time (ISO 8601, milliseconds, UTC offset). Runs until -d elapses or
it is interrupted (Ctrl-C, SIGTERM), then exits 0.

OPTIONS
    -i, --interval SECS           time between snapshots, default 1
    -d, --duration SECS           stop after this long (default: until interrupted)
    -a, --all                     threads in every state
    -o, --columns COLS            exactly these columns
    -G, --add COLS                the default columns plus these
    -f, --format FMT              table (default), csv, json
        --output-dir DIR          write CSV to DIR/tsnap-YYYY-MM-DD.HH.csv, one file an hour,
                                  appending
        --save FILE               also append every row to FILE as JSON lines
    -p, -C, -r, --proc            as for snap
";

const REPORT_HELP: &str = "\
tsnap report - aggregate rows saved by sample --save or watch --save

USAGE
    tsnap report FILE [-g COLS | -G COLS] [-f FMT] [--exact]

Counts the saved rows by group exactly as sample would have, so a capture taken in a pod can
be copied out and sliced many ways later. A truncated last line (the writer was killed) is
skipped with a warning.

OPTIONS
    -g, --group-by COLS           group by these columns (default comm,state)
    -G, --add COLS                group by comm,state plus these
    -f, --format FMT              table (default), csv, json
        --exact                   keep digits in names when grouping
";

const COLUMNS_HELP: &str = "\
tsnap columns - every column: its name, what it means, the /proc file it comes from and the
privilege that file needs

USAGE
    tsnap columns
";

/// Options as given, before they are checked against the command.
#[derive(Default)]
struct Given {
    command: Option<Command>,
    file: Option<PathBuf>,
    selection: Selection,
    all: bool,
    only: Option<Vec<Column>>,
    group: Option<Vec<Column>>,
    add: Vec<Column>,
    format: Option<Format>,
    interval: Option<f64>,
    duration: Option<f64>,
    hz: Option<u32>,
    exact: bool,
    save: Option<PathBuf>,
    output_dir: Option<PathBuf>,
    proc_root: Option<PathBuf>,
    sys_root: Option<PathBuf>,
    java: bool,
    java_timeout: Option<f64>,
    /// Long names of the options seen, to check they apply to the command.
    seen: Vec<&'static str>,
}

/// Parses the arguments after the program name.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Action, Error> {
    let mut p = lexopt::Parser::from_args(args);
    let mut g = Given::default();
    while let Some(arg) = p.next()? {
        let long = match arg {
            Short('h') | Long("help") => {
                return Ok(Action::Print(
                    g.command.map_or(HELP, Command::help).to_string(),
                ));
            }
            Short('V') | Long("version") => return Ok(Action::Print(version())),
            Short('p') | Long("pid") => {
                for part in list(&mut p, "--pid")? {
                    g.selection.pids.push(pid(&part)?);
                }
                "--pid"
            }
            Short('C') | Long("comm") => {
                for part in list(&mut p, "--comm")? {
                    g.selection.comms.push(part.into_bytes());
                }
                "--comm"
            }
            Short('r') | Long("recursive") => {
                g.selection.recursive = true;
                "--recursive"
            }
            Short('a') | Long("all") => {
                g.all = true;
                "--all"
            }
            Short('o') | Long("columns") => {
                let cols = column_list(&mut p, "--columns")?;
                g.only.get_or_insert_with(Vec::new).extend(cols);
                "--columns"
            }
            Short('g') | Long("group-by") => {
                let cols = column_list(&mut p, "--group-by")?;
                g.group.get_or_insert_with(Vec::new).extend(cols);
                "--group-by"
            }
            Short('G') | Long("add") => {
                g.add.extend(column_list(&mut p, "--add")?);
                "--add"
            }
            Short('f') | Long("format") => {
                let v = string(&mut p, "--format")?;
                g.format = Some(match v.as_str() {
                    "text" => Format::Table,
                    s => Format::parse(s).ok_or_else(|| {
                        Error::Usage(format!("unknown format '{v}' (table, csv or json)"))
                    })?,
                });
                "--format"
            }
            Short('i') | Long("interval") => {
                g.interval = Some(seconds(&mut p, "--interval")?);
                "--interval"
            }
            Short('d') | Long("duration") => {
                g.duration = Some(seconds(&mut p, "--duration")?);
                "--duration"
            }
            Long("hz") => {
                let v = string(&mut p, "--hz")?;
                g.hz = Some(match v.parse::<u32>() {
                    Ok(n) if (1..=1000).contains(&n) => n,
                    _ => {
                        return Err(Error::Usage(format!(
                            "--hz: '{v}' is not a number of passes a second from 1 to 1000"
                        )));
                    }
                });
                "--hz"
            }
            Long("exact") => {
                g.exact = true;
                "--exact"
            }
            Long("save") => {
                g.save = Some(PathBuf::from(p.value()?));
                "--save"
            }
            Long("output-dir") => {
                g.output_dir = Some(PathBuf::from(p.value()?));
                "--output-dir"
            }
            Long("proc") => {
                g.proc_root = Some(PathBuf::from(p.value()?));
                "--proc"
            }
            Long("sys") => {
                g.sys_root = Some(PathBuf::from(p.value()?));
                "--sys"
            }
            Long("java") => {
                g.java = true;
                "--java"
            }
            Long("java-timeout") => {
                g.java_timeout = Some(seconds(&mut p, "--java-timeout")?);
                "--java-timeout"
            }
            Value(v) if g.command.is_none() => {
                let name = v.string()?;
                g.command = Some(
                    Command::ALL
                        .into_iter()
                        .find(|c| c.name() == name)
                        .ok_or_else(|| {
                            Error::Usage(format!(
                                "unknown command '{name}' (snap, dump, sample, watch, report or columns)"
                            ))
                        })?,
                );
                continue;
            }
            Value(v) if g.command == Some(Command::Report) && g.file.is_none() => {
                g.file = Some(PathBuf::from(v));
                continue;
            }
            _ => return Err(arg.unexpected().into()),
        };
        g.seen.push(long);
    }
    check(g).map(|args| Action::Run(Box::new(args)))
}

/// Checks the options against the command and fills in the defaults.
fn check(g: Given) -> Result<Args, Error> {
    let command = g.command.unwrap_or(Command::Snap);
    let name = command.name();
    if let Some(bad) = g.seen.iter().find(|o| !command.options().contains(o)) {
        return Err(Error::Usage(format!(
            "option {bad} does not apply to '{name}' (see tsnap {name} --help)"
        )));
    }
    let selected = !g.selection.pids.is_empty() || !g.selection.comms.is_empty();
    match command {
        Command::Dump if !selected => {
            return Err(Error::Usage(
                "dump needs the processes to dump: -p PID or -C NAME".to_string(),
            ));
        }
        Command::Dump if g.format == Some(Format::Csv) => {
            return Err(Error::Usage(
                "dump writes text or json, not csv".to_string(),
            ));
        }
        Command::Report if g.file.is_none() => {
            return Err(Error::Usage("report needs the FILE to read".to_string()));
        }
        Command::Watch if g.interval == Some(0.0) => {
            return Err(Error::Usage(
                "watch needs an --interval above 0".to_string(),
            ));
        }
        Command::Sample | Command::Watch if g.duration == Some(0.0) => {
            return Err(Error::Usage("--duration must be above 0".to_string()));
        }
        Command::Watch if g.output_dir.is_some() && g.format.is_some_and(|f| f != Format::Csv) => {
            return Err(Error::Usage(
                "--output-dir writes CSV; leave out --format".to_string(),
            ));
        }
        _ => {}
    }
    if g.java_timeout.is_some() && !g.java {
        return Err(Error::Usage("--java-timeout goes with --java".to_string()));
    }
    if g.java_timeout == Some(0.0) {
        return Err(Error::Usage(
            "--java-timeout: the JVM needs more than 0 seconds".to_string(),
        ));
    }
    if g.only.is_some() && g.group.is_some() {
        return Err(Error::Usage("give -o or -g, not both".to_string()));
    }
    let base = match command {
        Command::Sample | Command::Report => g.group.unwrap_or_else(|| DEFAULT_GROUP.to_vec()),
        _ => g.only.unwrap_or_else(|| columns::DEFAULT.to_vec()),
    };
    let mut columns = base;
    for c in g.add {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    let (interval, duration) = match command {
        Command::Watch => (g.interval.unwrap_or(1.0), g.duration),
        Command::Sample => (0.0, Some(g.duration.unwrap_or(5.0))),
        _ => (g.interval.unwrap_or(0.5), None),
    };
    Ok(Args {
        command,
        selection: g.selection,
        all: g.all || command == Command::Dump,
        columns,
        format: g.format.unwrap_or(Format::Table),
        interval,
        duration,
        hz: g.hz.unwrap_or(20),
        exact: g.exact,
        save: g.save,
        output_dir: g.output_dir,
        file: g.file,
        proc_root: g
            .proc_root
            .unwrap_or_else(|| PathBuf::from(crate::procfs::DEFAULT_ROOT)),
        sys_root: g
            .sys_root
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SYS_ROOT)),
        java: g
            .java
            .then(|| Duration::from_millis((g.java_timeout.unwrap_or(5.0) * 1000.0) as u64)),
    })
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

/// Seconds as a decimal number (`2`, `0.25`, `.5`), at most a day.
fn seconds(p: &mut lexopt::Parser, option: &str) -> Result<f64, Error> {
    let v = string(p, option)?;
    match crate::parse::time::seconds_ns(v.as_bytes()) {
        Some(ns) if ns <= 86_400_000_000_000 => Ok(ns as f64 / 1e9),
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
            Ok(Action::Run(a)) => *a,
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
        let s = args("sample");
        assert_eq!(s.columns, DEFAULT_GROUP);
        assert_eq!((s.duration, s.hz), (Some(5.0), 20));
        let w = args("watch");
        assert_eq!((w.interval, w.duration), (1.0, None));
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
        assert_eq!(a.java, None);
        assert_eq!(args("dump -p 9 --java").java, Some(Duration::from_secs(5)));
        assert_eq!(
            args("dump -p 9 --java --java-timeout 0.25").java,
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn sample_watch_report() {
        let s = args("sample -d 2 --hz 50 -G syscall,filenamesum --save /tmp/f --exact -a");
        assert_eq!(
            s.columns,
            [
                Column::Comm,
                Column::State,
                Column::Syscall,
                Column::Filename
            ]
        );
        assert_eq!(
            (s.duration, s.hz, s.exact, s.all),
            (Some(2.0), 50, true, true)
        );
        assert_eq!(s.save, Some(PathBuf::from("/tmp/f")));
        assert_eq!(args("sample -g wchan").columns, [Column::Wchan]);
        let w = args("watch -i 0.2 -d 1 --output-dir /tmp/x -o pid,comm");
        assert_eq!((w.interval, w.duration), (0.2, Some(1.0)));
        assert_eq!(w.output_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(w.columns, [Column::Pid, Column::Comm]);
        let r = args("report saved.jsonl -g pid -f csv");
        assert_eq!(r.file, Some(PathBuf::from("saved.jsonl")));
        assert_eq!(
            (r.columns.as_slice(), r.format),
            (&[Column::Pid][..], Format::Csv)
        );
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
        assert!(usage("sample --hz 0").contains("--hz"));
        assert!(usage("sample --hz 5000").contains("--hz"));
        assert!(usage("sample -o pid").contains("--columns does not apply to 'sample'"));
        assert!(usage("snap -g pid").contains("--group-by does not apply to 'snap'"));
        assert!(usage("snap --save f").contains("--save does not apply"));
        assert!(usage("report").contains("needs the FILE"));
        assert!(usage("report f -p 1").contains("--pid does not apply to 'report'"));
        assert!(usage("report a b").contains("unexpected argument \"b\""));
        assert!(usage("watch -i 0").contains("above 0"));
        assert!(usage("sample -d 0").contains("above 0"));
        assert!(usage("watch --output-dir d -f json").contains("CSV"));
        assert!(usage("-a --java").contains("--java does not apply to 'snap'"));
        assert!(usage("report f --sys /s").contains("--sys does not apply to 'report'"));
        assert!(usage("columns --java-timeout 3").contains("does not apply to 'columns'"));
        assert!(usage("dump -p 1 --java-timeout 3").contains("goes with --java"));
        assert!(usage("dump -p 1 --java --java-timeout 0").contains("more than 0"));
        assert!(usage("dump -p 1 --java --java-timeout x").contains("not a number"));
    }

    #[test]
    fn help_and_version() {
        assert!(matches!(parse("--help"), Ok(Action::Print(h)) if h.starts_with("tsnap - ")));
        assert!(
            matches!(parse("dump --help"), Ok(Action::Print(h)) if h.starts_with("tsnap dump"))
        );
        assert!(
            matches!(parse("sample -h"), Ok(Action::Print(h)) if h.starts_with("tsnap sample"))
        );
        assert!(
            matches!(parse("watch --help"), Ok(Action::Print(h)) if h.starts_with("tsnap watch"))
        );
        assert!(
            matches!(parse("report --help"), Ok(Action::Print(h)) if h.starts_with("tsnap report"))
        );
        assert!(matches!(parse("-V"), Ok(Action::Print(v)) if v.starts_with("tsnap 0.")));
    }
}
