//! The help texts: each command's page is its prose around the list of its options, made from
//! the option table, so that the help cannot list an option that does not apply or miss one
//! that does.

use super::Command;
use super::options::{EVERY, OPTIONS, Opt};
use crate::output::fit;

/// A command's help page.
pub(super) struct Page {
    pub(super) command: Command,
    /// Its line in the list of commands: how it is called, and what it does.
    pub(super) synopsis: &'static str,
    summary: &'static str,
    /// The page's first line, after `tsnap NAME - `.
    pub(super) title: &'static str,
    pub(super) usage: &'static str,
    /// Prose before the options, and after them.
    pub(super) about: &'static str,
    pub(super) more: &'static str,
}

pub(super) static PAGES: [Page; 7] = [
    Page {
        command: Command::Snap,
        synopsis: "tsnap [snap] [OPTIONS]",
        summary: "active (R and D) threads now, as a table",
        title: "the threads running (R) or in uninterruptible sleep (D) now",
        usage: "tsnap [snap] [OPTIONS]",
        about: "",
        more: "\
Before the table, a block for each cgroup (at most 4, those with the most
threads shown; JSON: all, as {\"type\":\"cgroup\",...} lines; CSV: on stderr).

Above the table, the tally of the selected threads by state: threads: N (R a, D
b, S c, ...) (JSON: a {\"type\":\"summary\",...} line; CSV: on stderr). The
table shows kstack on its own indented line under its thread. Without -p or -C
every visible process is looked at, except tsnap itself.

On a terminal, unless -w, a table fits its width: numbers are never cut, comm
keeps 15 characters, and each text column is narrowed only as far as needed and
cut its own way (marked with …): filename, exe and cgroup keep their end,
endpoint its remote address and state, kstack its innermost frames. If that is
not enough, columns are left out in this order, said under the table: majflt,
minflt, nice, prio, psr, nlwp, ppid, nspid, statedesc, ivcsw, vcsw, cputime,
filename (with endpoint), cgroup (with container or pod), pcomm, exe; then text
columns go on their own line under each row, in this order: cmdline, exe,
cgroup, endpoint, filename, pod, user, wchan, pcomm, comm. Findings, cgroup
blocks and footers are wrapped, never cut. Into a pipe or a file nothing is cut.
",
    },
    Page {
        command: Command::Dump,
        synopsis: "tsnap dump [OPTIONS]",
        summary: "every thread of some processes, jstack-like",
        title: "a jstack-like text dump of every thread of the selected processes",
        usage: "tsnap dump (-p PID,... | -C NAME,...) [OPTIONS]",
        about: "\
For each process, a header (time, pid, name, command line, thread count, uptime,
and its cgroup's CPU, memory and pressure) and then every thread in tid order:

    \"NAME\" tid=N nid=0xHEX state=X (description) cpu=P% cputime=Nms
        syscall: ...
        file: ...
        socket: tcp 10.0.0.5:43512->10.0.3.7:5432 ESTABLISHED  (a socket's)
        wchan: ...
        at kernel_function        (innermost first, when the stack is readable)

nid is the thread id in hex, as jstack prints it: join the two dumps on it. The
header tallies the threads by state: threads: N (R a, D b, S c, ...). --top 5
keeps the five hottest threads over the window; --collapse prints threads alike
(state, syscall, file, wchan, stack, Java state and frames) once, as N threads:
\"a\", \"b\", ... and the lines they share.

With --java, the selected processes must be HotSpot JVMs (OpenJDK, Oracle,
Temurin, Corretto, ...), and tsnap asks each for its own thread dump, as jstack
does, and merges it in by nid: each thread gets its full Java name and, under
its first line,

    java: #N daemon prio=P ... STATUS      (the JVM's line for the thread)
        java.lang.Thread.State: ...
        at java.Frame(...)                 (Java frames and locks, as printed)
        - locked <0x...> (a ...)

The JVM's header comes first; after the threads, each contended monitor or
lock with its holder and waiters, then the JVM's deadlock report, if any, and
that deadlock as a finding. --java-locks asks with -l, as jstack -l does, to
name the holders of java.util.concurrent locks: HotSpot walks the whole heap
for them while the JVM is stopped (0.4 ms without, 380 to 540 ms with it for
800 MiB of live heap, JDK 17). --virtual asks the JVM (JDK 21+) for its JSON
thread dump too, into a file tsnap creates in its /tmp and removes, and shows
its virtual threads grouped by state and stack, each mounted one with its
carrier.

A JVM whose attach listener is not running yet gets one SIGQUIT, which makes
HotSpot start it; tsnap refuses to signal a process that does not catch SIGQUIT
(a JVM run with -Xrs: SIGQUIT would kill it), whose options turn attach off
(-XX:+DisableAttachMechanism) or that is not a HotSpot JVM. If the listener
does not come up in time, tsnap says so and prints the dump without the Java
view. Several JVMs are asked only when named (-p, --container, --pod), or with
--top N, which asks those of the N hottest threads; else tsnap lists them and
asks none.
",
        more: "",
    },
    Page {
        command: Command::Sample,
        synopsis: "tsnap sample [OPTIONS]",
        summary: "sample at a fixed rate, then aggregate (psn)",
        title: "sample threads at a fixed rate, then count them by group (psn)",
        usage: "tsnap sample [OPTIONS]",
        about: "\
Takes --hz passes a second for -d TIME over the active (R and D) threads, or all
with -a, and prints one row per group: samples (how many times the group was
seen) and avg_threads (samples divided by passes), most samples first. Digits in
comm, pcomm and filename show as * so that alike threads fall together
(kworker/*:*, socket:[*]); in endpoint all but the port of the service. Ctrl-C
ends sampling early and still prints the report. -f folded prints each thread's
stack (process, pool, syscall, kernel frames) instead, with its samples, the
footer on stderr; --flame FILE.html draws them as a flame graph page.
",
        more: "\
After the footer, a block for each cgroup of the sampled processes, over the
whole run: CPU limit, usage and throttling, memory and OOM kills, pressure (PSI)
and stall time. Then the findings, one line each with the evidence and what to
look at next (findings: none):
    hot              runnable (on a CPU or waiting for one) at least 90% of
                     the run
    blocked          in D in at least half the passes
    waiting-on-fs    asleep in one call on a file of a FUSE or network mount
                     throughout
    waiting-on-peer  in one receive call throughout, its connection received
                     no byte (tcp_info's bytes_received; else an empty queue
                     and no wake-up)
    starved          not hot, but waiting for a CPU at least 20% of the run
    cpu-saturated    threads of two or more cgroups waiting for a CPU: the
                     machine
    throttled        its cgroup throttled in at least 5% of the CPU periods
Idle waits (futex, epoll_wait, accept, a server awaiting a request) are never
findings. Threads of a process with one cause are one finding; causes come
first. A run under 1 s or 10 passes is not judged.
",
    },
    Page {
        command: Command::Watch,
        synopsis: "tsnap watch [OPTIONS]",
        summary: "a snapshot every interval (xcapture)",
        title: "a timestamped snapshot of the active threads every interval",
        usage: "tsnap watch [OPTIONS]",
        about: "\
Every row starts with the time (ISO 8601, milliseconds, UTC offset), the host,
the container and the pod. Runs until -d elapses or it is interrupted (Ctrl-C,
SIGTERM), then exits 0. On a terminal (without -w): the time of day, and host,
container and pod left out while every row so far has the same in them, said
once above the table.
",
        more: "",
    },
    Page {
        command: Command::Top,
        synopsis: "tsnap top [OPTIONS]",
        summary: "a screen that refreshes in place (top -H)",
        title: "a screen of the busiest threads, refreshed in place (top -H)",
        usage: "tsnap top [OPTIONS]",
        about: "\
Every interval: the tally of states, the cgroup lines, the findings of the
last whole 5 s (as sample judges them), then the active threads by pcpu over
the interval, with their state, wchan, syscall and file (the socket, when the
file is one). The screen fits the terminal and follows its size. It needs a
terminal: into a pipe or a file, use watch.
",
        more: "\
KEYS
    c, s, n, p      sort by cpu, state, name, pid
    /               show one process: its pid or the start of its name,
                    then Enter (empty: all again; Esc: as it was)
    r               threads in every state, or only R and D
    space           pause (the keys still work)
    q, Ctrl-C       quit (SIGTERM, SIGHUP too), the terminal put back
",
    },
    Page {
        command: Command::Report,
        synopsis: "tsnap report FILE [OPTIONS]",
        summary: "aggregate samples saved with --save",
        title: "aggregate rows saved by sample --save or watch --save",
        usage: "tsnap report FILE [OPTIONS]",
        about: "\
Counts the saved rows by group exactly as sample would have, so a capture taken
in a pod can be copied out and sliced many ways later. A truncated last line
(the writer was killed) is skipped with a warning. -f folded and --flame
FILE.html draw the saved stacks as sample does; with --diff BASE, what changed
from BASE to FILE: folded lines end in two counts (BASE's, then FILE's), the
page colours frames that grew red and those that shrank blue.
",
        more: "",
    },
    Page {
        command: Command::Columns,
        synopsis: "tsnap columns [-f json]",
        summary: "every column, its file and the privilege it needs",
        title: "every column: its name, what it means, the /proc file it comes\n\
                from and the privilege that file needs",
        usage: "tsnap columns [-f json]",
        about: "\
With -f json, one object per column with every fact the catalogue holds: what it
means, its file and privilege, whether it is numeric, its JSON type, how a table
cuts it, leaves it out or puts it under its row, how grouping masks it.
",
        more: "",
    },
];

/// `tsnap --help`: the commands, and snap's options.
pub fn main() -> String {
    let mut out =
        String::from("tsnap - what every thread of a process is doing, from /proc\n\nUSAGE\n");
    for page in &PAGES {
        line(&mut out, page.synopsis, page.summary);
    }
    line(
        &mut out,
        "tsnap help [COMMAND]",
        "this help, or one command's",
    );
    out.push_str("\nOPTIONS (snap; tsnap help COMMAND for the others)\n");
    options(&mut out, Command::Snap);
    out.push_str(
        "
Default columns: pid tid state pcpu comm wchan minflt majflt syscall filename
kstack

Before the threads, a block for each cgroup they live in: CPU limit, usage and
throttling, memory and OOM kills, pressure (PSI). What tsnap could not read (no
permission, no such file on this kernel) is shown as - (null in JSON) and told
once per column on stderr, with what would have allowed it.

EXIT STATUS
    0 success, 1 nothing matched or /proc unusable, 2 bad usage or a bad file

EXAMPLES
    tsnap -C java                 what the JVM's busy threads are doing
    tsnap -a -p 1234 -f json      every thread of process 1234 as JSON lines
    tsnap dump -p 1234            a thread dump to join with jstack by nid=0x...
    tsnap dump --java -p 1234     the same, merged with the JVM's thread dump
    tsnap sample -d 30s -G syscall,filename
                                  what active threads do for 30 s, psn-style
    tsnap -a -C java -G endpoint  which server each thread of the JVM waits for
    tsnap dump --java --top 5 -C java
                                  the five hottest threads, their Java frames
    tsnap sample --java -p 1234 -a -d 30s
                                  30 s by Java state and frames (1% pause)
",
    );
    fitted(out)
}

/// `tsnap help COMMAND`, `tsnap COMMAND --help`.
pub fn command(command: Command) -> String {
    let Some(page) = PAGES.iter().find(|p| p.command == command) else {
        return main();
    };
    let mut out = format!(
        "tsnap {} - {}\n\nUSAGE\n    {}\n",
        command.name(),
        page.title,
        page.usage
    );
    if !page.about.is_empty() {
        out.push('\n');
        out.push_str(page.about);
    }
    if OPTIONS.iter().any(|o| listed(o, command)) {
        out.push_str("\nOPTIONS\n");
        options(&mut out, command);
    }
    if !page.more.is_empty() {
        out.push('\n');
        out.push_str(page.more);
    }
    fitted(out)
}

/// Whether `o` is in the list of `command`'s options: help and version, which every command
/// takes, are listed once, on the main page (snap's).
pub(super) fn listed(o: &Opt, command: Command) -> bool {
    o.commands & command.bit() != 0 && (command == Command::Snap || o.commands != EVERY)
}

/// The options of `command`, one entry each, then what a TIME may be when one takes it.
fn options(out: &mut String, command: Command) {
    let mut times = false;
    for o in OPTIONS.iter().filter(|o| listed(o, command)) {
        let mut names = match o.short {
            Some(c) => format!("-{c}, --{}", o.long),
            None => format!("    --{}", o.long),
        };
        if !o.value.is_empty() {
            names.push(' ');
            names.push_str(o.value);
        }
        times |= o.value == "TIME";
        let help: Vec<&str> = o.help_for(command.bit()).lines().map(str::trim).collect();
        line(out, &names, &help.join(" "));
    }
    if times {
        out.push_str("\nTIME is seconds (0.5), or numbers with units: 500ms, 3s, 1m30s, 2h.\n");
    }
}

/// An indented entry: `left` in a column of 28, then (two spaces at least) `right`, wrapped
/// at [`WIDTH`] under itself.
fn line(out: &mut String, left: &str, right: &str) {
    let mut entry = String::from("    ");
    entry.push_str(left);
    for _ in left.chars().count()..28 {
        entry.push(' ');
    }
    while !entry.ends_with("  ") {
        entry.push(' ');
    }
    entry.push_str(right.trim_start());
    let mut wrapped = Vec::new();
    fit::wrap(&mut wrapped, entry.as_bytes(), WIDTH, 0, 32);
    out.push_str(&String::from_utf8_lossy(&wrapped));
    out.push('\n');
}

/// Every help page fits this many columns.
pub const WIDTH: usize = 80;

/// `text` with every line wrapped at [`WIDTH`]: a page's prose is written to fit, this keeps
/// a line that does not (a long name) readable.
fn fitted(text: String) -> String {
    String::from_utf8_lossy(&fit::wrap_text(text.as_bytes(), WIDTH)).into_owned()
}
