//! Every option, defined once: its names, the commands it applies to, its help, and what it
//! sets. Parsing looks options up here, checks that each applies to the command given, and
//! the help lists them from here; a new option is one more entry.

use super::suggest::nearest;
use super::{Command, Print, SortKey};
use crate::columns::{self, Column};
use crate::error::Error;
use crate::output::Format;
use crate::select::Selection;
use std::ffi::OsString;
use std::path::PathBuf;

/// Sets of commands, one bit each (see [`Command::bit`]).
pub const SNAP: u8 = 1;
pub const DUMP: u8 = 1 << 1;
pub const SAMPLE: u8 = 1 << 2;
pub const WATCH: u8 = 1 << 3;
pub const REPORT: u8 = 1 << 4;
pub const COLUMNS: u8 = 1 << 5;
pub const TOP: u8 = 1 << 6;
/// The commands that read processes.
const READING: u8 = SNAP | DUMP | SAMPLE | WATCH | TOP;
pub const EVERY: u8 = READING | REPORT | COLUMNS;

pub struct Opt {
    pub short: Option<char>,
    /// The long name, without its dashes.
    pub long: &'static str,
    /// What its value is called in the help (`PID[,PID...]`); empty for a switch.
    pub value: &'static str,
    /// The commands it applies to.
    pub commands: u8,
    /// Its help: the first text whose commands include the one asked about.
    pub help: &'static [(u8, &'static str)],
    /// Takes the value (empty for a switch) into what was given.
    pub set: fn(&mut Given, &OptionValue) -> Result<(), Error>,
}

impl Opt {
    /// Its help for `command`.
    pub fn help_for(&self, command: u8) -> &'static str {
        self.help
            .iter()
            .find(|(commands, _)| commands & command != 0)
            .map_or("", |&(_, text)| text)
    }
}

/// Options as given, before they are checked against the command.
#[expect(
    clippy::struct_excessive_bools,
    reason = "switches of the command line, each its own"
)]
#[derive(Default)]
pub struct Given {
    pub command: Option<Command>,
    pub file: Option<PathBuf>,
    pub selection: Selection,
    pub all: bool,
    pub only: Option<Vec<Column>>,
    pub group: Option<Vec<Column>>,
    pub add: Vec<Column>,
    pub format: Option<Format>,
    /// `-f folded` (sample, report): collapsed stacks instead of a format of rows.
    pub folded: bool,
    pub flame: Option<PathBuf>,
    pub diff: Option<PathBuf>,
    /// Seconds.
    pub interval: Option<f64>,
    pub duration: Option<f64>,
    pub hz: Option<u32>,
    pub exact: bool,
    pub save: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub host: Option<String>,
    pub keep_hours: Option<u32>,
    pub max_mb: Option<u64>,
    /// `--mode`: the mode of the files tsnap creates.
    pub mode: Option<u32>,
    pub proc_root: Option<PathBuf>,
    pub sys_root: Option<PathBuf>,
    pub java: bool,
    pub java_timeout: Option<f64>,
    /// `--java-budget`: percent of the time the JVM may be stopped for dumps.
    pub java_budget: Option<f64>,
    pub java_locks: bool,
    pub java_virtual: bool,
    pub sort: Option<Vec<SortKey>>,
    pub top: Option<usize>,
    pub collapse: bool,
    pub wide: bool,
    pub no_headers: bool,
    /// `--help` or `--version`: print, and do nothing else.
    pub print: Option<Print>,
    /// The options seen, to check they apply to the command.
    pub seen: Vec<&'static Opt>,
}

pub static OPTIONS: &[Opt] = &[
    Opt {
        short: Some('p'),
        long: "pid",
        value: "PID[,PID...]",
        commands: READING,
        help: &[(EVERY, "these processes (a thread id selects its process)")],
        set: |g, v| {
            for part in v.list()? {
                g.selection.pids.push(pid(part)?);
            }
            Ok(())
        },
    },
    Opt {
        short: Some('C'),
        long: "comm",
        value: "NAME[,NAME...]",
        commands: READING,
        help: &[(
            EVERY,
            "processes whose name (comm) or argv[0]'s base\n\
             name starts with NAME, or matches it with *\n\
             for any text (py*3); a NAME over 15 bytes\n\
             (comm's most) is matched on argv[0] only",
        )],
        set: |g, v| {
            let names = v.list()?.into_iter().map(|n| n.as_bytes().to_vec());
            g.selection.comms.extend(names);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "container",
        value: "ID[,ID...]",
        commands: READING,
        help: &[(
            EVERY,
            "processes in these containers: an id or its\n\
             start (6 hex digits or more; crictl ps or\n\
             docker ps), or its host name (the HOSTNAME of\n\
             its processes)",
        )],
        set: |g, v| {
            for id in v.list()? {
                g.selection.containers.push(container(id)?);
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "pod",
        value: "POD[,POD...]",
        commands: READING,
        help: &[(
            EVERY,
            "processes in these pods: a pod name (its\n\
             HOSTNAME), or its UID or its start: kubectl\n\
             get pod P -o jsonpath='{.metadata.uid}'",
        )],
        set: |g, v| {
            for uid in v.list()? {
                g.selection.pods.push(pod(uid)?);
            }
            Ok(())
        },
    },
    Opt {
        short: Some('u'),
        long: "user",
        value: "USER[,USER...]",
        commands: READING,
        help: &[(
            EVERY,
            "processes whose effective user is USER: a uid,\n\
             or a name in this host's /etc/passwd",
        )],
        set: |g, v| {
            for name in v.list()? {
                g.selection.users.push(user(name)?);
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "cgroup",
        value: "TEXT",
        commands: READING,
        help: &[(
            EVERY,
            "processes whose cgroup path holds TEXT; these three narrow\n-p and -C, or every process",
        )],
        set: |g, v| {
            let text = v.raw.as_encoded_bytes();
            if text.is_empty() {
                return Err(v.error("needs a value"));
            }
            g.selection.cgroups.push(text.to_vec());
            Ok(())
        },
    },
    Opt {
        short: Some('r'),
        long: "recursive",
        value: "",
        commands: READING,
        help: &[(EVERY, "also every descendant of the selected processes")],
        set: |g, _| {
            g.selection.recursive = true;
            Ok(())
        },
    },
    Opt {
        short: Some('a'),
        long: "all",
        value: "",
        commands: SNAP | SAMPLE | WATCH | TOP,
        help: &[(EVERY, "threads in every state, not only R and D")],
        set: |g, _| {
            g.all = true;
            Ok(())
        },
    },
    Opt {
        short: Some('o'),
        long: "columns",
        value: "COLS",
        commands: SNAP | WATCH,
        help: &[(EVERY, "exactly these columns (tsnap columns lists them)")],
        set: |g, v| {
            g.only.get_or_insert_with(Vec::new).extend(v.columns()?);
            Ok(())
        },
    },
    Opt {
        short: Some('g'),
        long: "group-by",
        value: "COLS",
        commands: SAMPLE | REPORT,
        help: &[(EVERY, "group by these columns (default comm,state)")],
        set: |g, v| {
            g.group.get_or_insert_with(Vec::new).extend(v.columns()?);
            Ok(())
        },
    },
    Opt {
        short: Some('G'),
        long: "add",
        value: "COLS",
        commands: SNAP | SAMPLE | WATCH | REPORT,
        help: &[
            (SNAP | WATCH, "the default columns plus these"),
            (SAMPLE | REPORT, "group by comm,state plus these"),
        ],
        set: |g, v| {
            g.add.extend(v.columns()?);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "exact",
        value: "",
        commands: SAMPLE | REPORT,
        help: &[(EVERY, "keep digits in names when grouping")],
        set: |g, _| {
            g.exact = true;
            Ok(())
        },
    },
    Opt {
        short: Some('f'),
        long: "format",
        value: "FMT",
        commands: SNAP | DUMP | SAMPLE | WATCH | REPORT | COLUMNS,
        help: &[
            (DUMP, "text (default) or json (one object per line)"),
            (COLUMNS, "table (default) or json (one object per column)"),
            (
                SAMPLE | REPORT,
                "table (default), csv, json (one object per\n\
                 line), or folded: one line per stack\n\
                 (process;pool;syscall;kernel... count)",
            ),
            (EVERY, "table (default), csv, or json (one object per line)"),
        ],
        set: |g, v| {
            let text = v.text()?;
            let lower = text.to_ascii_lowercase();
            g.folded = lower == "folded";
            g.format = match lower.as_str() {
                "text" => Some(Format::Table),
                "folded" => None,
                s => Some(Format::parse(s).ok_or_else(|| {
                    Error::Usage(format!("unknown format '{text}' (table, csv or json)"))
                })?),
            };
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "flame",
        value: "FILE",
        commands: SAMPLE | REPORT,
        help: &[(
            EVERY,
            "also write the stacks as a flame graph: one\n\
             self-contained HTML page (FILE must not\n\
             exist, or be empty)",
        )],
        set: |g, v| {
            g.flame = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "diff",
        value: "BASE",
        commands: REPORT,
        help: &[(
            EVERY,
            "what grew and shrank from the saved file\n\
             BASE to FILE (with -f folded or --flame)",
        )],
        set: |g, v| {
            g.diff = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: Some('i'),
        long: "interval",
        value: "TIME",
        commands: SNAP | DUMP | WATCH | TOP,
        help: &[
            (
                SNAP,
                "window for pcpu, runq, vcsw, ivcsw and the cgroup figures,\n\
                 default 0.5; 0 = lifetime averages and totals, as ps",
            ),
            (
                DUMP,
                "window for cpu= and the cgroup figures, default 0.5;\n\
                 0 = lifetime average",
            ),
            (WATCH, "time between snapshots, default 1"),
            (TOP, "time between screens, default 1"),
        ],
        set: |g, v| {
            g.interval = Some(v.seconds()?);
            Ok(())
        },
    },
    Opt {
        short: Some('d'),
        long: "duration",
        value: "TIME",
        commands: SAMPLE | WATCH,
        help: &[
            (SAMPLE, "how long to sample, default 5"),
            (WATCH, "stop after this long (default: until interrupted)"),
        ],
        set: |g, v| {
            g.duration = Some(v.seconds()?);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "hz",
        value: "N",
        commands: SAMPLE,
        help: &[(
            EVERY,
            "passes per second, 1 to 1000, default 20 (10 with --java)",
        )],
        set: |g, v| {
            let text = v.text()?;
            match text.parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => g.hz = Some(n),
                _ => {
                    return Err(Error::Usage(format!(
                        "--hz: '{text}' is not a number of passes a second from 1 to 1000"
                    )));
                }
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "save",
        value: "FILE",
        commands: SAMPLE | WATCH,
        help: &[(
            EVERY,
            "also append every row to FILE as JSON lines, for report",
        )],
        set: |g, v| {
            g.save = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "host",
        value: "NAME",
        commands: SAMPLE | WATCH,
        help: &[(
            EVERY,
            "the host rows and saved lines name (default $TSNAP_HOST,\nelse the host name)",
        )],
        set: |g, v| {
            let name = v.text()?;
            if name.is_empty() {
                return Err(v.error("needs a value"));
            }
            g.host = Some(name.to_string());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "output-dir",
        value: "DIR",
        commands: WATCH,
        help: &[(
            EVERY,
            "write CSV to DIR/tsnap-YYYY-MM-DD.HH.csv, one file an hour,\nappending (.jsonl with -f json)",
        )],
        set: |g, v| {
            g.output_dir = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "keep-hours",
        value: "N",
        commands: WATCH,
        help: &[(
            EVERY,
            "delete tsnap's own hourly files of hours ended N hours ago\n(at the start and each new hour)",
        )],
        set: |g, v| {
            g.keep_hours = Some(v.count()?);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "max-mb",
        value: "M",
        commands: WATCH,
        help: &[(
            EVERY,
            "keep tsnap's files in DIR under M MiB: oldest hours deleted\n\
             first, a snapshot over M/64 cut per container in turn",
        )],
        set: |g, v| {
            g.max_mb = Some(v.count()?.into());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "mode",
        value: "MODE",
        commands: SAMPLE | WATCH,
        help: &[(
            EVERY,
            "the mode (octal) of the files tsnap creates, default 0600;\n\
             a directory it creates gets x where r is set (0700)",
        )],
        set: |g, v| {
            let text = v.text()?;
            match u32::from_str_radix(text, 8) {
                Ok(m) if m <= 0o777 && m & 0o600 == 0o600 => g.mode = Some(m),
                _ => {
                    return Err(v.error(&format!(
                        "'{text}' is not an octal mode from 0600 to 0777 that lets its owner \
                         read and write (0640, 0644)"
                    )));
                }
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "proc",
        value: "DIR",
        commands: READING,
        help: &[(
            EVERY,
            "read this procfs mount (or a copy of one) instead of /proc",
        )],
        set: |g, v| {
            g.proc_root = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "sys",
        value: "DIR",
        commands: READING,
        help: &[(
            EVERY,
            "the sysfs mount of that system, for its cgroups (/sys)",
        )],
        set: |g, v| {
            g.sys_root = Some(v.path());
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "java",
        value: "",
        commands: DUMP | SAMPLE | WATCH,
        help: &[
            (DUMP, "merge in each JVM's own thread dump (HotSpot only)"),
            (
                SAMPLE | WATCH,
                "each thread's Java state and frames from its\n\
                 JVM's thread dumps, paced by --java-budget\n\
                 (HotSpot only)",
            ),
        ],
        set: |g, _| {
            g.java = true;
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "java-locks",
        value: "",
        commands: DUMP,
        help: &[(
            EVERY,
            "--java with the holders of java.util.concurrent locks (jstack -l): a longer pause",
        )],
        set: |g, _| {
            g.java = true;
            g.java_locks = true;
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "virtual",
        value: "",
        commands: DUMP,
        help: &[(
            EVERY,
            "--java with the JVM's virtual threads, grouped (JDK 21+: its JSON thread dump)",
        )],
        set: |g, _| {
            g.java = true;
            g.java_virtual = true;
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "java-timeout",
        value: "TIME",
        commands: DUMP | SAMPLE | WATCH,
        help: &[(EVERY, "how long to wait for the JVM, default 5")],
        set: |g, v| {
            g.java_timeout = Some(v.seconds()?);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "java-budget",
        value: "PCT",
        commands: SAMPLE | WATCH,
        help: &[(
            EVERY,
            "--java stops the JVM at most this percent of\n\
             the time, default 1 (a dump a second at most)",
        )],
        set: |g, v| {
            g.java_budget = Some(v.percent()?);
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "sort",
        value: "KEYS",
        commands: SNAP | DUMP | WATCH,
        help: &[(
            EVERY,
            "order the threads by these columns, each\n\
             breaking the last's ties: numbers from the\n\
             highest, text from A; -COL from the highest\n\
             (Z), +COL from the lowest (A): state,-pcpu",
        )],
        set: |g, v| {
            let keys = g.sort.get_or_insert_with(Vec::new);
            for part in v.list()? {
                keys.push(match part.split_at_checked(1) {
                    Some(("-", name)) => SortKey {
                        column: column(name)?,
                        descending: true,
                    },
                    Some(("+", name)) => SortKey {
                        column: column(name)?,
                        descending: false,
                    },
                    _ => SortKey::new(column(part)?),
                });
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "top",
        value: "N",
        commands: SNAP | DUMP | WATCH,
        help: &[(
            EVERY,
            "only the first N threads after sorting (by pcpu without --sort)",
        )],
        set: |g, v| {
            let text = v.text()?;
            match text.parse::<usize>() {
                Ok(n) if n > 0 => g.top = Some(n),
                _ => {
                    return Err(Error::Usage(format!(
                        "--top: '{text}' is not a number of threads (a positive number)"
                    )));
                }
            }
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "collapse",
        value: "",
        commands: DUMP,
        help: &[(
            EVERY,
            "print threads alike (state, syscall, file, wchan, stack) once",
        )],
        set: |g, _| {
            g.collapse = true;
            Ok(())
        },
    },
    Opt {
        short: Some('w'),
        long: "wide",
        value: "",
        commands: SNAP | SAMPLE | WATCH | REPORT,
        help: &[(EVERY, "never cut table lines to the terminal's width")],
        set: |g, _| {
            g.wide = true;
            Ok(())
        },
    },
    Opt {
        short: None,
        long: "no-headers",
        value: "",
        commands: SNAP | SAMPLE | WATCH | REPORT,
        help: &[(
            EVERY,
            "no header line over a table or CSV on stdout\n(--output-dir files keep theirs)",
        )],
        set: |g, _| {
            g.no_headers = true;
            Ok(())
        },
    },
    Opt {
        short: Some('h'),
        long: "help",
        value: "",
        commands: EVERY,
        help: &[(EVERY, "this help; tsnap help COMMAND for one command's")],
        set: |g, _| {
            g.print = Some(Print::Help);
            Ok(())
        },
    },
    Opt {
        short: Some('V'),
        long: "version",
        value: "",
        commands: EVERY,
        help: &[(EVERY, "the version")],
        set: |g, _| {
            g.print = Some(Print::Version);
            Ok(())
        },
    },
];

/// The option called `-c`.
pub fn by_short(c: char) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.short == Some(c))
}

/// The option called `--name`, or the usage error for a name that is none, with the nearest
/// one when it is near.
pub fn by_long(name: &str) -> Result<&'static Opt, Error> {
    OPTIONS.iter().find(|o| o.long == name).ok_or_else(|| {
        let near = nearest(name, OPTIONS.iter().map(|o| o.long));
        Error::Usage(format!(
            "invalid option '--{name}'{}",
            near.map_or(String::new(), |n| format!("; did you mean '--{n}'?"))
        ))
    })
}

/// An option's value as given (empty for a switch), and the option it was given to.
pub struct OptionValue {
    pub opt: &'static Opt,
    pub raw: OsString,
}

impl OptionValue {
    fn error(&self, what: &str) -> Error {
        Error::Usage(format!("--{}: {what}", self.opt.long))
    }

    fn text(&self) -> Result<&str, Error> {
        self.raw
            .to_str()
            .ok_or_else(|| self.error("the value is not valid UTF-8"))
    }

    fn path(&self) -> PathBuf {
        PathBuf::from(&self.raw)
    }

    /// A comma-separated value, without empty parts.
    fn list(&self) -> Result<Vec<&str>, Error> {
        let parts: Vec<&str> = self.text()?.split(',').filter(|s| !s.is_empty()).collect();
        if parts.is_empty() {
            return Err(self.error("needs a value"));
        }
        Ok(parts)
    }

    /// A whole number from 1 up.
    fn count(&self) -> Result<u32, Error> {
        let text = self.text()?;
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(self.error(&format!("'{text}' is not a whole number from 1 up"))),
        }
    }

    /// A percent above 0 and at most 100.
    fn percent(&self) -> Result<f64, Error> {
        let text = self.text()?;
        // A decimal number, read as seconds are (to the billionth), without a float parser.
        let number = text.strip_suffix('%').unwrap_or(text).as_bytes();
        let decimal = !number.is_empty() && number.iter().all(|b| b.is_ascii_digit() || *b == b'.');
        match decimal
            .then(|| crate::parse::time::duration_ns(number))
            .flatten()
        {
            Some(n) if n > 0 && n <= 100_000_000_000 => Ok(n as f64 / 1e9),
            _ => Err(self.error(&format!("'{text}' is not a percent above 0, at most 100"))),
        }
    }

    fn columns(&self) -> Result<Vec<Column>, Error> {
        self.list()?.into_iter().map(column).collect()
    }

    /// A duration in seconds: a decimal number of seconds (`0.5`), or numbers with units
    /// (`500ms`, `1m30s`, `2h`); at most a day.
    fn seconds(&self) -> Result<f64, Error> {
        let text = self.text()?;
        match crate::parse::time::duration_ns(text.as_bytes()) {
            Some(ns) if ns <= 86_400_000_000_000 => Ok(ns as f64 / 1e9),
            _ => Err(self.error(&format!(
                "'{text}' is not a number of seconds, or a time with units (500ms, 1m30s, 2h), \
                 of at most a day"
            ))),
        }
    }
}

/// The column called `name`, or the usage error for a name that is none.
fn column(name: &str) -> Result<Column, Error> {
    Column::by_name(name).ok_or_else(|| {
        let near = nearest(name, columns::ALL.iter().map(|i| i.name));
        Error::Usage(match near {
            Some(n) => format!("unknown column '{name}'; did you mean '{n}'?"),
            None => format!("unknown column '{name}' (tsnap columns lists them)"),
        })
    })
}

fn pid(s: &str) -> Result<u32, Error> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Error::Usage(format!(
            "--pid: '{s}' is not a process id (a positive number)"
        ))),
    }
}

/// Whether `s` can be a host name: letters, digits, `-`, `.` and `_`, at most 253 bytes.
fn host_name(s: &str) -> bool {
    s.len() <= 253
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// A container as given to `--container`: the start of its id (hex digits, lowercased), or
/// its host name. Fewer than 6 hex digits would name too many containers.
fn container(s: &str) -> Result<Vec<u8>, Error> {
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    match (hex, host_name(s)) {
        (true, _) if s.len() < 6 => Err(Error::Usage(format!(
            "--container: '{s}' is too short for the start of an id (6 to 64 hex digits; \
             crictl ps or docker ps lists them)"
        ))),
        (true, _) => Ok(s.to_ascii_lowercase().into_bytes()),
        (false, true) => Ok(s.as_bytes().to_vec()),
        (false, false) => Err(Error::Usage(format!(
            "--container: '{s}' is not a container id, the start of one, or a host name \
             (crictl ps or docker ps lists ids and names)"
        ))),
    }
}

/// A pod as given to `--pod`: the start of its UID (hex digits and dashes, or the systemd
/// driver's underscores, lowercased with `-`), or its name.
fn pod(s: &str) -> Result<Vec<u8>, Error> {
    let uid = s
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b'-' || b == b'_');
    match (uid && s.len() <= 36, host_name(s)) {
        (true, _) => {
            let mut out = Vec::new();
            crate::parse::cgroup::uid_text(&mut out, s.as_bytes());
            Ok(out)
        }
        (false, true) => Ok(s.as_bytes().to_vec()),
        (false, false) => Err(Error::Usage(format!(
            "--pod: '{s}' is not a pod name or the start of a pod UID (kubectl get pods lists \
             names; kubectl get pod P -o jsonpath='{{.metadata.uid}}' prints P's UID)"
        ))),
    }
}

/// A user as given to `-u`: a uid, or a name in this host's `/etc/passwd` (tsnap's own
/// root, not a target's).
fn user(s: &str) -> Result<u32, Error> {
    if let Ok(uid) = s.parse::<u32>() {
        return Ok(uid);
    }
    let passwd = std::fs::read("/etc/passwd").unwrap_or_default();
    crate::parse::passwd::uid_of(&passwd, s.as_bytes()).ok_or_else(|| {
        Error::Usage(format!(
            "--user: no user '{s}' in /etc/passwd (give the uid: id -u NAME prints it)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_option_is_defined_once_with_help_for_each_of_its_commands() {
        for (i, o) in OPTIONS.iter().enumerate() {
            let same = |p: &Opt| p.long == o.long || (o.short.is_some() && p.short == o.short);
            assert!(!OPTIONS[i + 1..].iter().any(same), "--{} twice", o.long);
            for command in Command::ALL {
                if o.commands & command.bit() != 0 {
                    assert!(!o.help_for(command.bit()).is_empty(), "--{}", o.long);
                }
            }
            let named = by_long(o.long).ok().map(|p| p.long);
            assert_eq!(named, Some(o.long));
            if let Some(c) = o.short {
                assert_eq!(by_short(c).map(|p| p.long), Some(o.long));
            }
        }
    }

    #[test]
    fn unknown_names_get_the_nearest_when_near() {
        let message = |r: Result<&Opt, Error>| match r {
            Err(Error::Usage(m)) => m,
            _ => panic!("not a usage error"),
        };
        assert_eq!(
            message(by_long("intreval")),
            "invalid option '--intreval'; did you mean '--interval'?"
        );
        assert_eq!(
            message(by_long("frobnicate")),
            "invalid option '--frobnicate'"
        );
        let column = |n| match column(n) {
            Err(Error::Usage(m)) => m,
            _ => panic!("{n} is a column"),
        };
        assert_eq!(
            column("wchna"),
            "unknown column 'wchna'; did you mean 'wchan'?"
        );
        assert_eq!(
            column("bogus"),
            "unknown column 'bogus' (tsnap columns lists them)"
        );
        assert!(by_short('x').is_none());
    }
}
