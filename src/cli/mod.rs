//! The command line: lexopt in, a checked [`Args`] out. Options are defined once, in the
//! table of [`options`]; the help is made from it ([`help`]).

mod help;
mod options;
#[cfg(test)]
mod reference;
pub mod suggest;

pub use help::WIDTH as HELP_WIDTH;

use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::Format;
use crate::select::Selection;
use lexopt::prelude::*;
use options::{Given, OptionValue};
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
    Top,
}

impl Command {
    const ALL: [Command; 7] = [
        Command::Snap,
        Command::Dump,
        Command::Sample,
        Command::Watch,
        Command::Report,
        Command::Columns,
        Command::Top,
    ];

    fn name(self) -> &'static str {
        match self {
            Command::Snap => "snap",
            Command::Dump => "dump",
            Command::Sample => "sample",
            Command::Watch => "watch",
            Command::Report => "report",
            Command::Columns => "columns",
            Command::Top => "top",
        }
    }

    /// Its bit in the sets of commands an option applies to.
    fn bit(self) -> u8 {
        1 << self as u8
    }

    /// The command called `name`, or the usage error for a name that is none.
    fn named(name: &str) -> Result<Command, Error> {
        if let Some(c) = Command::ALL.into_iter().find(|c| c.name() == name) {
            return Ok(c);
        }
        let names = Command::ALL.map(Command::name);
        Err(Error::Usage(
            match suggest::nearest(name, names.into_iter().chain(["help"])) {
                Some(near) => format!("unknown command '{name}'; did you mean '{near}'?"),
                None => format!(
                    "unknown command '{name}' (snap, dump, sample, watch, top, report, columns or \
                     help)"
                ),
            },
        ))
    }
}

/// A key of `--sort`: a column, and whether its rows go from the highest value (Z) down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub column: Column,
    pub descending: bool,
}

impl SortKey {
    /// `column` in its own direction: numbers from the highest, text from A.
    pub fn new(column: Column) -> SortKey {
        SortKey {
            column,
            descending: column.info().numeric,
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

/// A text asked for instead of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Print {
    Help,
    Version,
}

#[expect(
    clippy::struct_excessive_bools,
    reason = "switches of the command line, each its own"
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    pub command: Command,
    pub selection: Selection,
    pub all: bool,
    /// snap and watch: the columns shown; sample and report: the group columns.
    pub columns: Vec<Column>,
    pub format: Format,
    /// `-f folded`: collapsed stacks (sample, report).
    pub folded: bool,
    /// `--flame FILE`: the stacks as a flame graph page.
    pub flame: Option<PathBuf>,
    /// `report --diff BASE`: the saved file `file` is compared with.
    pub diff: Option<PathBuf>,
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
    /// `--host`: the host watch rows and saved lines name, when given.
    pub host: Option<String>,
    /// `--keep-hours` and `--max-mb`: how much of its hourly files watch keeps.
    pub keep_hours: Option<u32>,
    pub max_mb: Option<u64>,
    /// `--mode`: the mode of the files tsnap creates (`--save`, `--output-dir`, `--flame`).
    pub mode: u32,
    /// The file `report` reads.
    pub file: Option<PathBuf>,
    pub proc_root: PathBuf,
    /// The sysfs mount whose `fs/cgroup` holds the cgroups of the processes in `proc_root`.
    pub sys_root: PathBuf,
    /// dump `--java`: merge in the JVM's own thread dump, waiting at most this long for it.
    pub java: Option<Duration>,
    /// sample and watch `--java`: the percent of the time the JVM may be stopped for dumps.
    pub java_budget: f64,
    /// dump `--java-locks`: ask the JVM for its locked ownable synchronizers too (`-l`).
    pub java_locks: bool,
    /// dump `--virtual`: ask the JVM for its JSON thread dump too, for its virtual threads.
    pub java_virtual: bool,
    /// The keys rows are ordered by (`--sort`, or pcpu for `--top`), and how many are kept.
    pub sort: Vec<SortKey>,
    pub top: Option<usize>,
    /// dump: threads alike printed once.
    pub collapse: bool,
    /// Table lines are not cut to a terminal's width.
    pub wide: bool,
    /// `--no-headers`: tables and CSV on stdout without their header line.
    pub no_headers: bool,
}

impl Args {
    /// The columns `--sort` orders by.
    pub fn sort_columns(&self) -> Vec<Column> {
        self.sort.iter().map(|k| k.column).collect()
    }
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

/// Parses the arguments after the program name. A usage error after a command's name points
/// to that command's help.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Action, Error> {
    let mut command = None;
    parse_named(args, &mut command).map_err(|e| match (e, command) {
        (Error::Usage(m), Some(c)) => Error::CommandUsage(m, c.name()),
        (e, _) => e,
    })
}

/// Parses the arguments, setting `command` as soon as one is named.
fn parse_named(
    args: impl IntoIterator<Item = OsString>,
    command: &mut Option<Command>,
) -> Result<Action, Error> {
    let mut p = lexopt::Parser::from_args(args);
    let mut g = Given::default();
    while let Some(arg) = p.next()? {
        let opt = match arg {
            Short(c) => options::by_short(c).ok_or_else(|| arg.unexpected())?,
            Long(name) => options::by_long(name)?,
            Value(v) if g.command.is_none() => {
                let name = v.string()?;
                if name == "help" {
                    return help_topic(&mut p);
                }
                g.command = Some(Command::named(&name)?);
                *command = g.command;
                continue;
            }
            Value(v) if g.command == Some(Command::Report) && g.file.is_none() => {
                g.file = Some(PathBuf::from(v));
                continue;
            }
            Value(_) => return Err(arg.unexpected().into()),
        };
        let raw = match opt.value {
            "" => OsString::new(),
            _ => p.value()?,
        };
        (opt.set)(&mut g, &OptionValue { opt, raw })?;
        match g.print {
            Some(Print::Help) => return Ok(Action::Print(help_text(g.command))),
            Some(Print::Version) => return Ok(Action::Print(version())),
            None => g.seen.push(opt),
        }
    }
    check(g).map(|args| Action::Run(Box::new(args)))
}

fn help_text(command: Option<Command>) -> String {
    command.map_or_else(help::main, help::command)
}

/// `tsnap help [COMMAND]`: the main help, or a command's.
fn help_topic(p: &mut lexopt::Parser) -> Result<Action, Error> {
    let command = match p.next()? {
        None => None,
        Some(Value(v)) => match v.string()?.as_str() {
            "help" => None,
            name => Some(Command::named(name)?),
        },
        Some(arg) => return Err(arg.unexpected().into()),
    };
    if let Some(arg) = p.next()? {
        return Err(arg.unexpected().into());
    }
    Ok(Action::Print(help_text(command)))
}

/// Refuses options that do not apply to the command, or to each other.
fn refuse(command: Command, g: &Given) -> Result<(), Error> {
    let name = command.name();
    if let Some(bad) = g.seen.iter().find(|o| o.commands & command.bit() == 0) {
        return Err(Error::Usage(format!(
            "option --{} does not apply to '{name}' (see tsnap help {name})",
            bad.long
        )));
    }
    let selected =
        !g.selection.pids.is_empty() || !g.selection.comms.is_empty() || g.selection.narrowed();
    match command {
        Command::Dump if !selected => {
            return Err(Error::Usage(
                "dump needs the processes to dump: -p PID, -C NAME, --container ID, --pod POD, \
                 -u USER or --cgroup TEXT"
                    .to_string(),
            ));
        }
        Command::Dump if g.format == Some(Format::Csv) => {
            return Err(Error::Usage(
                "dump writes text or json, not csv".to_string(),
            ));
        }
        Command::Snap | Command::Dump | Command::Watch if g.folded => {
            return Err(Error::Usage(
                "-f folded is for sample and report (stacks counted over time)".to_string(),
            ));
        }
        Command::Report if g.diff.is_some() && !g.folded && g.flame.is_none() => {
            return Err(Error::Usage(
                "--diff draws stacks: give -f folded or --flame FILE.html".to_string(),
            ));
        }
        Command::Report if g.file.is_none() => {
            return Err(Error::Usage("report needs the FILE to read".to_string()));
        }
        Command::Top if g.interval == Some(0.0) => {
            return Err(Error::Usage("top needs an --interval above 0".to_string()));
        }
        Command::Watch if g.interval == Some(0.0) => {
            return Err(Error::Usage(
                "watch needs an --interval above 0".to_string(),
            ));
        }
        Command::Sample | Command::Watch if g.duration == Some(0.0) => {
            return Err(Error::Usage("--duration must be above 0".to_string()));
        }
        Command::Watch if g.output_dir.is_some() && g.format == Some(Format::Table) => {
            return Err(Error::Usage(
                "--output-dir writes CSV (-f csv, the default) or JSON lines (-f json)".to_string(),
            ));
        }
        Command::Watch
            if g.output_dir.is_none() && (g.keep_hours.is_some() || g.max_mb.is_some()) =>
        {
            return Err(Error::Usage(
                "--keep-hours and --max-mb go with --output-dir".to_string(),
            ));
        }
        Command::Sample | Command::Watch
            if g.mode.is_some()
                && g.save.is_none()
                && g.output_dir.is_none()
                && g.flame.is_none() =>
        {
            return Err(Error::Usage(
                "--mode goes with --save, --output-dir or --flame".to_string(),
            ));
        }
        _ => {}
    }
    let grouped = g.group.iter().flatten().chain(&g.add);
    if command == Command::Sample && grouped.clone().any(|&c| c == Column::Throttled) {
        return Err(Error::Usage(
            "throttled is measured by snap and watch, over their windows".to_string(),
        ));
    }
    if g.java_timeout.is_some() && !g.java {
        return Err(Error::Usage("--java-timeout goes with --java".to_string()));
    }
    if g.java_budget.is_some() && !g.java {
        return Err(Error::Usage("--java-budget goes with --java".to_string()));
    }
    if g.java_timeout == Some(0.0) {
        return Err(Error::Usage(
            "--java-timeout: the JVM needs more than 0 seconds".to_string(),
        ));
    }
    if g.only.is_some() && g.group.is_some() {
        return Err(Error::Usage("give -o or -g, not both".to_string()));
    }
    Ok(())
}

/// Checks the options against the command and fills in the defaults.
fn check(g: Given) -> Result<Args, Error> {
    let command = g.command.unwrap_or(Command::Snap);
    refuse(command, &g)?;
    let base = match command {
        Command::Sample | Command::Report => g.group.unwrap_or_else(|| DEFAULT_GROUP.to_vec()),
        // top shows its own columns.
        Command::Top => Vec::new(),
        _ => g.only.unwrap_or_else(|| columns::DEFAULT.to_vec()),
    };
    let mut columns = base;
    for c in g.add {
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    // Over time, --java adds the Java columns (sample groups by them); they come from --java.
    if g.java && matches!(command, Command::Sample | Command::Watch) {
        let java: &[Column] = match command {
            Command::Sample => &[Column::Jstate, Column::Jframes],
            _ => &[Column::Jstate, Column::Jframes, Column::Jage],
        };
        for &c in java {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    let sorted = g.sort.iter().flatten().map(|k| k.column);
    let java_column = columns.iter().copied().chain(sorted).find(|c| c.is_java());
    let over_time = g.java && matches!(command, Command::Sample | Command::Watch);
    if let Some(c) = java_column.filter(|_| !over_time && command != Command::Report) {
        return Err(Error::Usage(format!(
            "{} comes from the JVM's thread dumps: it needs --java (sample, watch)",
            c.name()
        )));
    }
    let (interval, duration) = match command {
        Command::Watch | Command::Top => (g.interval.unwrap_or(1.0), g.duration),
        Command::Sample => (0.0, Some(g.duration.unwrap_or(5.0))),
        _ => (g.interval.unwrap_or(0.5), None),
    };
    Ok(Args {
        command,
        selection: g.selection,
        all: g.all || command == Command::Dump,
        columns,
        format: g.format.unwrap_or(Format::Table),
        folded: g.folded,
        flame: g.flame,
        diff: g.diff,
        interval,
        duration,
        // With --java, 10 passes a second: the dumps come at most once a second, and over a
        // JVM's hundreds of threads the OS passes are most of tsnap's cost.
        hz: g.hz.unwrap_or(if g.java { 10 } else { 20 }),
        exact: g.exact,
        save: g.save,
        output_dir: g.output_dir,
        host: g.host,
        keep_hours: g.keep_hours,
        max_mb: g.max_mb,
        mode: g.mode.unwrap_or(crate::output::files::PRIVATE),
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
        java_budget: g.java_budget.unwrap_or(1.0),
        java_locks: g.java_locks,
        java_virtual: g.java_virtual,
        sort: match g.sort {
            Some(keys) => keys,
            None => g
                .top
                .map(|_| SortKey::new(Column::Pcpu))
                .into_iter()
                .collect(),
        },
        top: g.top,
        collapse: g.collapse,
        wide: g.wide,
        no_headers: g.no_headers,
    })
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
            Err(Error::Usage(m) | Error::CommandUsage(m, _)) => m,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn pictures() {
        let s = args("sample -f folded --flame f.html");
        assert_eq!((s.folded, s.flame), (true, Some(PathBuf::from("f.html"))));
        assert!(!args("sample -f folded -f json").folded);
        let r = args("report --diff a.jsonl b.jsonl -f folded");
        assert_eq!(
            (r.diff, r.file),
            (
                Some(PathBuf::from("a.jsonl")),
                Some(PathBuf::from("b.jsonl"))
            )
        );
        assert!(usage("snap -f folded").contains("-f folded is for sample and report"));
        assert!(usage("report --diff a b").contains("give -f folded or --flame"));
        assert!(usage("watch --flame x").contains("does not apply"));
        assert!(usage("sample --diff x").contains("does not apply"));
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
        let narrowed = args("dump --container 3F4E5D6C,abcdef --pod 6B1C_5f8e --cgroup /kubepods/");
        assert_eq!(
            narrowed.selection.containers,
            [b"3f4e5d6c".to_vec(), b"abcdef".to_vec()]
        );
        assert_eq!(narrowed.selection.pods, [b"6b1c-5f8e".to_vec()]);
        assert_eq!(narrowed.selection.cgroups, [b"/kubepods/".to_vec()]);
        assert!(args("dump -p 9").all);
        assert_eq!(a.java, None);
        assert_eq!(args("dump -p 9 --java").java, Some(Duration::from_secs(5)));
        let locks = args("dump -p 9 --java-locks");
        assert!(locks.java_locks && locks.java == Some(Duration::from_secs(5)));
        assert!(!args("dump -p 9 --java").java_locks);
        let v = args("dump -p 9 --virtual");
        assert!(v.java_virtual && v.java.is_some() && !args("dump -p 9 --java").java_virtual);
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
        assert!(usage("dump").contains("-p PID, -C NAME, --container ID"));
        assert!(usage("--container 12345").contains("6 to 64 hex digits; crictl ps"));
        assert!(usage("--container 12345/").contains("not a container id"));
        assert!(usage("--pod 6b1c:x").contains("-o jsonpath='{.metadata.uid}'"));
        let named = args("dump --container web-1 --pod shop-7d9f-x2 -u 0,root");
        assert_eq!(named.selection.containers, [b"web-1".to_vec()]);
        assert_eq!(named.selection.pods, [b"shop-7d9f-x2".to_vec()]);
        assert_eq!(named.selection.users, [0, 0]);
        assert!(usage("-u no-such-user-here").contains("id -u NAME"));
        assert!(args("-f JSON").format == Format::Json && args("-f Csv").format == Format::Csv);
        assert_eq!(args("sample -d 1m30s").duration, Some(90.0));
        assert_eq!(args("sample -d 1m30.5s").duration, Some(90.5));
        assert!(usage("--cgroup=").contains("--cgroup: needs a value"));
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
        assert!(usage("watch --output-dir d -f table").contains("JSON lines (-f json)"));
        assert!(usage("watch --keep-hours 2").contains("go with --output-dir"));
        assert!(usage("watch --mode 0640").contains("goes with --save, --output-dir or --flame"));
        for bad in ["0400", "1777", "rw", "0800"] {
            let m = usage(&format!("sample --save f --mode {bad}"));
            assert!(m.contains("is not an octal mode"), "{bad}: {m}");
        }
        assert_eq!(args("watch --output-dir d").mode, 0o600);
        assert_eq!(args("sample --save f --mode 640").mode, 0o640);
        assert!(usage("watch --output-dir d --max-mb 0").contains("from 1 up"));
        assert!(usage("watch --output-dir d --keep-hours x").contains("from 1 up"));
        assert!(usage("sample --keep-hours 3").contains("does not apply to 'sample'"));
        assert!(usage("sample -G throttled").contains("measured by snap and watch"));
        let w = args("watch --output-dir d -f json --keep-hours 24 --max-mb 512 --host n1");
        assert_eq!((w.keep_hours, w.max_mb), (Some(24), Some(512)));
        assert_eq!(w.host.as_deref(), Some("n1"));
        assert!(usage("-a --java").contains("--java does not apply to 'snap'"));
        assert!(usage("report f --sys /s").contains("--sys does not apply to 'report'"));
        assert!(usage("columns --java-timeout 3").contains("does not apply to 'columns'"));
        assert!(usage("dump -p 1 --java-timeout 3").contains("goes with --java"));
        assert!(usage("dump -p 1 --java --java-timeout 0").contains("more than 0"));
        let j = args("sample -p 1 --java --java-budget 2.5");
        assert_eq!(j.java_budget, 2.5);
        assert!(j.columns.ends_with(&[Column::Jstate, Column::Jframes]));
        assert!(args("watch -p 1 --java").columns.ends_with(&[Column::Jage]));
        assert!(usage("sample -p 1 --java-budget 2").contains("goes with --java"));
        assert!(usage("sample -p 1 --java --java-budget 0").contains("above 0"));
        assert!(usage("sample -p 1 --java --java-budget 100.5").contains("at most 100"));
        assert!(usage("sample -p 1 --java --java-budget 1e1").contains("not a percent"));
        assert_eq!(
            args("sample -p 1 --java --java-budget 0.25%").java_budget,
            0.25
        );
        assert!(usage("sample -p 1 -G jframes").contains("needs --java"));
        assert!(usage("-p 1 -o pid,jstate").contains("needs --java (sample, watch)"));
        assert_eq!(
            args("report f -G jframes").columns.last(),
            Some(&Column::Jframes)
        );
        assert!(usage("dump -p 1 --java --java-timeout x").contains("not a number"));
    }

    #[test]
    fn sort_top_collapse_wide() {
        let a = args("--top 3");
        assert_eq!((a.sort, a.top), (vec![SortKey::new(Column::Pcpu)], Some(3)));
        let a = args("watch --sort comm --top 2 -w");
        let comm = SortKey {
            column: Column::Comm,
            descending: false,
        };
        assert_eq!((a.sort, a.top, a.wide), (vec![comm], Some(2), true));
        let keys = args("--sort=-pcpu,+runq,comm --sort -nice").sort;
        let key = |column, descending| SortKey { column, descending };
        assert_eq!(
            keys,
            [
                key(Column::Pcpu, true),
                key(Column::Runq, false),
                key(Column::Comm, false),
                key(Column::Nice, true)
            ]
        );
        assert!(usage("--sort=-pcup").contains("did you mean 'pcpu'?"));
        assert!(args("--no-headers").no_headers && !args("").no_headers);
        assert!(usage("dump -p 1 --no-headers").contains("does not apply to 'dump'"));
        assert_eq!(args("--sort runq").top, None);
        let d = args("dump -p 1 --collapse --top 5 --java");
        assert!(d.collapse && d.java.is_some() && d.top == Some(5));
        assert!(!args("").wide && !args("").collapse);
        assert!(usage("--top 0").contains("not a number of threads"));
        assert!(usage("--top x").contains("not a number of threads"));
        assert!(usage("--sort pcup").contains("did you mean 'pcpu'?"));
        assert!(usage("--collapse").contains("--collapse does not apply to 'snap'"));
        assert!(usage("sample --top 3").contains("--top does not apply to 'sample'"));
        assert!(usage("dump -p 1 -w").contains("--wide does not apply to 'dump'"));
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

    #[test]
    fn help_command_durations_and_near_names() {
        let print = |line: &str| match parse(line) {
            Ok(Action::Print(text)) => text,
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(print("help"), print("--help"));
        assert_eq!(print("help help"), print("--help"));
        assert_eq!(print("help dump"), print("dump --help"));
        assert_eq!(print("help columns"), print("columns -h"));
        assert!(usage("help dmup").contains("unknown command 'dmup'; did you mean 'dump'?"));
        assert!(usage("help dump extra").contains("unexpected argument"));
        assert!(usage("smaple").contains("did you mean 'sample'?"));
        assert!(usage("--intreval 1").contains("did you mean '--interval'?"));
        assert!(usage("-o pid,wchna").contains("did you mean 'wchan'?"));
        let sample = args("sample -d 2m");
        assert_eq!(sample.duration, Some(120.0));
        assert_eq!(args("-i 500ms").interval, 0.5);
        assert_eq!(args("watch -i 2s -d 1h").duration, Some(3600.0));
        assert_eq!(args("-i 3").interval, 3.0, "a bare number is seconds");
        assert_eq!(
            args("dump -p 1 --java --java-timeout 250ms").java,
            Some(Duration::from_millis(250))
        );
        assert!(usage("-i 3x").contains("'3x' is not a number of seconds, or a time with units"));
        assert!(usage("sample -d 25h").contains("of at most a day"));
    }

    #[test]
    fn every_command_has_a_help_page_listing_its_options() {
        for command in Command::ALL {
            let page = help::command(command);
            assert!(page.starts_with(&format!("tsnap {} - ", command.name())));
            for o in options::OPTIONS {
                let applies = o.commands & command.bit() != 0;
                let entry = match o.short {
                    Some(c) => format!("    -{c}, --{} ", o.long),
                    None => format!("        --{} ", o.long),
                };
                let listed = page.lines().any(|l| format!("{l} ").starts_with(&entry));
                if o.commands != options::EVERY {
                    assert_eq!(listed, applies, "--{} in {}", o.long, command.name());
                }
            }
        }
        assert_eq!(Command::Snap.bit(), options::SNAP);
        assert_eq!(Command::Columns.bit(), options::COLUMNS);
    }

    /// The kubectl plugin tells tsnap's command from its first argument: its list is ours.
    #[test]
    fn the_plugins_list_of_commands_is_tsnaps() {
        let plugin = include_str!("../../scripts/kubectl-tsnap");
        let listed = plugin
            .lines()
            .find_map(|l| l.strip_prefix("case ${1-} in "))
            .and_then(|l| l.strip_suffix(") command=$1 ;; esac"))
            .expect("no list of commands in kubectl-tsnap");
        assert_eq!(listed, Command::ALL.map(Command::name).join("|"));
    }
}
