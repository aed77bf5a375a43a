//! What the commands share: opening the procfs mount, starting the collector, checking that
//! the selection matched, listing again, the width of a table, and the footer of what could
//! not be read.

use crate::cli::{Args, Command};
use crate::collect::{Collector, Options};
use crate::columns::{Needs, needs as needs_of};
use crate::error::{Error, errno_name};
use crate::output::{Format, fit};
use crate::procfs::Mount;
use crate::save::Saver;
use crate::select::{self, Selection};
use rustix::fd::BorrowedFd;
use std::path::Path;

/// Opens the procfs mount at `path`: one that cannot be opened, or that is not procfs and
/// holds no process directory (`--proc` naming the wrong directory), is unusable.
fn open_mount(path: &Path) -> Result<Mount, Error> {
    let mount = Mount::open(path)
        .map_err(|e| Error::Fatal(format!("cannot open {}: {}", path.display(), errno_name(e))))?;
    if !mount.is_procfs() && !mount.has_processes() {
        return Err(Error::Fatal(format!(
            "{} is not a procfs mount and holds no process directories (--proc takes a mount of \
             procfs, or a copy of one)",
            path.display()
        )));
    }
    Ok(mount)
}

/// Opens the mount, resolves `-p` thread ids to their processes, and lists the selection.
/// Fails with [`Error::NoMatch`] when an explicit selection matches nothing.
pub fn start(path: &Path, mut opts: Options) -> Result<Collector, Error> {
    let mount = open_mount(path)?;
    let hidden = hidden_processes(&mount, path);
    let hint = hidden
        .as_deref()
        .map_or(String::new(), |h| format!(" ({h})"));
    resolve_pids(mount.fd(), &mut opts.selection, &hint)?;
    let long = |n: &&Vec<u8>| n.len() > 15 && !n.contains(&b'*');
    for name in opts.selection.comms.iter().filter(long) {
        crate::output::warn(&format!(
            "note: -C {} is longer than the 15 bytes a process name (comm) holds: matched \
             against argv[0]'s base name",
            String::from_utf8_lossy(name)
        ));
    }
    let selection = opts.selection.clone();
    let mut collector = Collector::new(mount, opts);
    collector
        .refresh()
        .map_err(|e| Error::Fatal(format!("cannot list {}: {}", path.display(), errno_name(e))))?;
    if collector.process_count() == 0 {
        let near = near_names(collector.mount().fd(), &selection);
        return Err(Error::NoMatch(format!(
            "{}{hint}{near}",
            nothing_matched(&selection)
        )));
    }
    if let Some(h) = hidden {
        crate::output::warn(&format!("note: {h}"));
    }
    Ok(collector)
}

/// Lists processes and threads again (after a window, or as sampling goes on), to show those
/// born meanwhile.
pub fn relist(collector: &mut Collector) -> Result<(), Error> {
    collector.refresh().map_err(listing_failed)
}

/// Lists processes again, and the threads of those whose threads may have changed (for
/// `watch`, see [`Collector::refresh_changed`]).
pub fn relist_changed(collector: &mut Collector) -> Result<(), Error> {
    collector.refresh_changed().map_err(listing_failed)
}

fn listing_failed(e: rustix::io::Errno) -> Error {
    Error::Fatal(format!("cannot list processes: {}", errno_name(e)))
}

/// Lists processes and threads again after a wait (snap's and dump's window, the JVMs'
/// answers): says which processes named by `-p` exited meanwhile, and fails when no selected
/// process is left to show.
pub fn relist_after_wait(collector: &mut Collector, selection: &Selection) -> Result<(), Error> {
    relist(collector)?;
    let named = selection.fixed();
    for pid in collector.exited() {
        if named {
            crate::output::warn(&format!("pid {pid} exited meanwhile"));
        }
    }
    if collector.process_count() == 0 {
        return Err(Error::NoMatch(
            "the selected processes exited meanwhile: nothing left to show".to_string(),
        ));
    }
    Ok(())
}

/// Why other users' processes may be missing: the procfs at `path` is mounted with
/// `hidepid` (and tsnap is not root, who sees them all).
fn hidden_processes(mount: &Mount, path: &Path) -> Option<String> {
    if rustix::process::geteuid().is_root() {
        return None;
    }
    let point = std::fs::canonicalize(path).ok()?;
    let value =
        crate::parse::mountinfo::hidepid(mount.mountinfo()?, point.as_os_str().as_encoded_bytes())?;
    Some(format!(
        "{} is mounted with hidepid={}: processes of other users are hidden",
        path.display(),
        String::from_utf8_lossy(value)
    ))
}

/// Starts a command that makes passes over time (sample, watch): its collector, keeping files
/// open between passes, and the `--save` file; and from then on, SIGINT and SIGTERM end it.
pub fn start_passes(args: &Args, also: Needs) -> Result<(Collector, Option<Saver>), Error> {
    let mut needs = needs_of(&args.columns)
        .union(needs_of(&args.sort_columns()))
        .union(also);
    if args.save.is_some() {
        needs = needs.union(needs_of(crate::save::SAVED));
    }
    let saver = args
        .save
        .as_deref()
        .map(|path| {
            let columns = crate::save::columns_read(needs, &args.columns);
            Saver::open(path, columns, &host(args), args.mode)
        })
        .transpose()?;
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

/// The host that rows from many nodes are told apart by: `--host`, else `$TSNAP_HOST` (a
/// DaemonSet sets it to the node's name, as the pod's own host name is the pod's), else the
/// host name (of tsnap's UTS namespace).
pub fn host(args: &Args) -> Vec<u8> {
    if let Some(name) = &args.host {
        return name.as_bytes().to_vec();
    }
    match std::env::var_os("TSNAP_HOST") {
        Some(name) if !name.is_empty() => name.into_encoded_bytes(),
        _ => rustix::system::uname().nodename().to_bytes().to_vec(),
    }
}

/// Replaces thread ids given to `-p` by their process ids; warns about ids that do not
/// exist, and fails if none does (and no `-C` may still match).
fn resolve_pids(root: BorrowedFd<'_>, selection: &mut Selection, hint: &str) -> Result<(), Error> {
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
    crate::sort::sort(&mut found);
    found.dedup();
    selection.pids = found;
    Ok(())
}

/// For `-C` names without `*` that matched nothing, the names running now near them.
fn near_names(root: BorrowedFd<'_>, selection: &Selection) -> String {
    let given: Vec<String> = (selection.comms.iter())
        .filter(|c| !c.contains(&b'*'))
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    if given.is_empty() {
        return String::new();
    }
    let running = select::names_now(root);
    let mut near: Vec<&str> = Vec::new();
    for name in &given {
        for n in crate::cli::suggest::near(name, &running, 3) {
            if !near.contains(&n) {
                near.push(n);
            }
        }
    }
    match near.is_empty() {
        true => String::new(),
        false => format!("; running now: {}", near.join(", ")),
    }
}

fn nothing_matched(selection: &Selection) -> String {
    if selection.narrowed() {
        let mut places = Vec::new();
        let text = |v: &Vec<u8>| String::from_utf8_lossy(v).into_owned();
        for (what, values) in [
            ("container", &selection.containers),
            ("pod", &selection.pods),
            ("cgroup holding", &selection.cgroups),
        ] {
            if !values.is_empty() {
                let values: Vec<String> = values.iter().map(text).collect();
                places.push(format!("{what} {}", values.join(" or ")));
            }
        }
        let names: Vec<String> = selection.comms.iter().map(text).collect();
        let named = match names.is_empty() {
            true => String::new(),
            false => format!(" named {}", names.join(" or ")),
        };
        let uids: Vec<String> = selection.users.iter().map(u32::to_string).collect();
        let of = match uids.is_empty() {
            true => String::new(),
            false => format!(" of uid {}", uids.join(" or ")),
        };
        let mut look = Vec::new();
        if !selection.containers.is_empty() {
            look.push("crictl ps or docker ps lists containers' ids and names");
        }
        if !selection.pods.is_empty() {
            look.push(
                "kubectl get pods lists pods' names; kubectl get pod P -o \
                 jsonpath='{.metadata.uid}' prints P's UID",
            );
        }
        let within = match (places.is_empty(), look.is_empty()) {
            (true, _) => String::new(),
            (false, true) => format!(" in {}", places.join(" and ")),
            (false, false) => format!(" in {} ({})", places.join(" and "), look.join("; ")),
        };
        format!("no process{named}{of}{within}")
    } else if !selection.comms.is_empty() {
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

/// The width the lines of a table (and the text around it) must fit (see
/// [`fit::table_width`]): snap, dump, watch, sample and report write a table or a text dump.
pub fn table_width(args: &Args) -> Option<usize> {
    let table = matches!(
        args.command,
        Command::Snap | Command::Dump | Command::Watch | Command::Sample | Command::Report
    ) && args.format == Format::Table;
    fit::table_width(table, args.wide)
}

/// Prints one line per column that could not be read, on stderr.
pub fn print_problems(collector: &Collector, noun: &str) {
    crate::problems::print(collector.problems(), collector.mount().fd(), noun);
}

/// Sleeps for `secs` seconds.
pub fn sleep(secs: f64) {
    std::thread::sleep(std::time::Duration::from_secs_f64(secs));
}
