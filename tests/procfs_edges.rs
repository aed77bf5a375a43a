//! Edge cases no live thread shows on demand, in /proc trees built by the test: syscall
//! numbers out of the table, fds closed or out of range, `*at` calls on the working
//! directory, files a kernel does not provide, copies that are not quite procfs.

use crate::support::fakeproc::{self, FakeProc};
use crate::util::foreign_arch;

/// A stat line for thread `tid` named `comm` in `state`, of a process of three threads.
fn stat_line(tid: u32, comm: &str, state: char) -> String {
    fakeproc::stat_line(tid, comm, state, 3)
}

/// A fake /proc with the threads of these cases.
struct Tree(FakeProc);

impl std::ops::Deref for Tree {
    type Target = FakeProc;

    fn deref(&self) -> &FakeProc {
        &self.0
    }
}

impl Tree {
    fn new() -> Tree {
        let t = Tree::without_uptime();
        t.file("uptime", "200.00 300.00\n");
        t
    }

    fn without_uptime() -> Tree {
        Tree(FakeProc::new("proc"))
    }

    /// Thread `tid` of process 500 with the given syscall file (and no stack file).
    fn thread(&self, tid: u32, comm: &str, syscall: &str) {
        self.thread_of(500, tid, comm, syscall);
    }

    /// Thread `tid` of process `pid`, in state D, with the given syscall file.
    fn thread_of(&self, pid: u32, tid: u32, comm: &str, syscall: &str) {
        let dir = format!("{pid}/task/{tid}");
        self.file(&format!("{dir}/stat"), stat_line(tid, comm, 'D'));
        self.file(&format!("{dir}/schedstat"), "1000000 0 1\n");
        self.file(&format!("{dir}/syscall"), syscall);
        self.file(&format!("{dir}/wchan"), "some_wait");
        self.file(&format!("{dir}/io"), "rchar: 0\n");
    }
}

#[test]
fn syscall_and_filename_edge_cases() {
    let t = Tree::new();
    t.file("500/stat", stat_line(500, "proc", 'S'));
    t.file("500/comm", "proc\n");
    t.thread(
        500,
        "on-cwd",
        "257 0xffffffffffffff9c 0x7ffc 0x0 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.thread(
        501,
        "closed-fd",
        "0 0x9 0x7f00 0x1000 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.thread(
        502,
        "stdout",
        "1 0x1 0x7f00 0x10 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.link("500/task/502/fd/1", "/dev/pts/3");
    t.thread(
        503,
        "unknown-nr",
        "999 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.thread(504, "fault", "-1 0x7ffc 0x7f00\n");
    t.thread(505, "user", "running\n");
    t.thread(
        506,
        "negative-fd",
        "0 0xffffffff 0x0 0x0 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.thread(507, "garbled", "0 0xZZ\n");
    let out = t.tsnap(&[
        "-i",
        "0",
        "-f",
        "csv",
        "-o",
        "tid,comm,state,wchan,syscall,filename,kstack",
    ]);
    if foreign_arch() {
        return;
    }
    assert_eq!(
        out.stdout,
        "tid,comm,state,wchan,syscall,filename,kstack\n\
         500,on-cwd,D,some_wait,openat,(cwd),-\n\
         501,closed-fd,D,some_wait,read,-,-\n\
         502,stdout,D,some_wait,write,/dev/pts/3 (stdout),-\n\
         503,unknown-nr,D,some_wait,sys_999,,-\n\
         504,fault,D,some_wait,[no_syscall],,-\n\
         505,user,R,some_wait,[running],,-\n\
         506,negative-fd,D,some_wait,read,-,-\n\
         507,garbled,D,some_wait,-,-,-\n"
    );
    assert_eq!(
        out.stderr,
        "threads: 8 (D 8)\n\
         syscall: not readable for 1 of 8 threads (unexpected file format)\n\
         kstack: not readable for 7 of 8 threads (this kernel does not provide the file)\n\
         kstack: not shown for 1 of 8 threads (running: the kernel keeps no current stack for a thread on a CPU)\n",
        "one line per column, in column order"
    );
}

#[test]
fn threads_whose_files_vanish_are_dropped_silently() {
    let t = Tree::new();
    t.file("600/stat", stat_line(600, "proc", 'R'));
    t.file("600/task/600/stat", stat_line(600, "alive", 'R'));
    // Listed, but with no files: it exited between the listing and the read.
    std::fs::create_dir_all(t.path().join("600/task/601")).unwrap();
    let out = t.tsnap(&["-i", "0", "-o", "tid,comm"]);
    assert_eq!(out.stdout, "threads: 1 (R 1)\ntid comm\n600 alive\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_stack_larger_than_the_buffer_and_fds_above_65535() {
    let t = Tree::new();
    t.file("500/stat", stat_line(500, "proc", 'S'));
    // 400 frames: about 16 KiB, four times the buffer a read starts with.
    let frames: String = (0..400)
        .map(|i| format!("[<0>] deep_function_number_{i}+0x1c/0x40\n"))
        .collect();
    t.thread(
        500,
        "deep",
        "0 0x11171 0x7f00 0x1000 0x0 0x0 0x0 0x7ffc 0x7f00\n",
    );
    t.file("500/task/500/stack", &frames);
    t.link("500/task/500/fd/70001", "/data/fd-seventy-thousand-and-one");
    let out = t.tsnap(&["-i", "0", "-f", "json", "-o", "tid,syscall,filename,kstack"]);
    let rows = out.rows();
    let kstack = rows[0]["kstack"].as_str().unwrap();
    assert_eq!(kstack.matches("()").count(), 400);
    assert!(kstack.starts_with("deep_function_number_399()->"));
    assert!(kstack.ends_with("->deep_function_number_0()"));
    if !foreign_arch() {
        assert_eq!(rows[0]["syscall"], "read");
        assert_eq!(rows[0]["filename"], "/data/fd-seventy-thousand-and-one");
    }
}

#[test]
fn a_copied_tree_self_process_dirs_without_task_and_threads_without_stat() {
    let t = Tree::new();
    // In a copy, `self` named the process that was copied, not tsnap: it is shown.
    t.link("self", "500");
    t.file("500/stat", stat_line(500, "copied-self", 'S'));
    t.thread(500, "copied-self", "running\n");
    // A thread with its status but no stat is told about, not dropped without a word.
    t.file(
        "500/task/501/status",
        "Name:\tno-stat\nState:\tS (sleeping)\n",
    );
    // A process directory without task/ is read as one thread: the process itself.
    t.file("600/stat", stat_line(600, "no-task-dir", 'R'));
    t.file("600/status", "Name:\tno-task-dir\nState:\tR (running)\n");
    let out = t.tsnap(&["-i", "0", "-a", "-f", "csv", "-o", "pid,tid,comm,state"]);
    assert_eq!(
        out.stdout,
        "pid,tid,comm,state\n500,500,copied-self,D\n600,600,no-task-dir,R\n"
    );
    assert_eq!(
        out.stderr,
        "threads: 2 (R 1, D 1)\n\
         stat: not readable for 1 of 3 threads (this kernel does not provide the file)\n",
        "the thread without stat is not counted"
    );
}

#[test]
fn without_uptime_the_footer_says_why_pcpu_is_missing() {
    let t = Tree::without_uptime();
    t.file("500/stat", stat_line(500, "proc", 'R'));
    t.thread(500, "busy", "running\n");
    let out = t.tsnap(&["-i", "0", "-f", "csv", "-o", "tid,pcpu,runq"]);
    assert_eq!(out.stdout, "tid,pcpu,runq\n500,-,-\n");
    let why = "(no uptime in this procfs mount: an average over a thread's life needs the time \
               since boot)";
    assert_eq!(
        out.stderr,
        format!(
            "threads: 1 (D 1)\npcpu: not readable for 1 of 1 threads {why}\nrunq: not readable for 1 of 1 threads {why}\n"
        )
    );
    // The dump's header leaves out the process's age.
    let dump = t.tsnap(&["dump", "-p", "500", "-i", "0"]);
    assert!(
        dump.stdout
            .contains("Thread dump of pid 500 (-), 1 thread\n"),
        "{}",
        dump.stdout
    );
}

#[test]
fn dump_json_has_null_for_an_unreadable_comm_and_cmdline() {
    let t = Tree::new();
    t.file("500/stat", stat_line(500, "proc", 'S'));
    t.thread(500, "unnamed", "running\n");
    t.file("700/stat", stat_line(700, "named", 'S'));
    t.file("700/comm", "named\n");
    t.file("700/cmdline", "prog\0--flag\0");
    t.thread_of(700, 700, "named", "running\n");
    let out = t.tsnap(&["dump", "-p", "500,700", "-i", "0", "-f", "json"]);
    let processes: Vec<_> = out
        .json()
        .into_iter()
        .filter(|l| l["type"] == "process")
        .collect();
    assert_eq!(processes.len(), 2);
    assert!(processes[0]["comm"].is_null() && processes[0]["cmdline"].is_null());
    assert_eq!(processes[1]["comm"], "named");
    assert_eq!(processes[1]["cmdline"], "prog --flag");
}
