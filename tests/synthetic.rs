//! Edge cases no live thread shows on demand, in /proc trees built by the test: syscall
//! numbers out of the table, fds closed or out of range, `*at` calls on the working
//! directory, files a kernel does not provide.

use crate::util::{TempDir, foreign_arch, run};
use std::path::Path;

/// A stat line for thread `tid` named `comm` in `state`.
fn stat_line(tid: u32, comm: &str, state: char) -> String {
    format!(
        "{tid} ({comm}) {state} 1 {tid} {tid} 0 -1 4194560 10 0 2 0 5 3 0 0 20 0 3 0 1000 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
    )
}

struct Tree(TempDir);

impl Tree {
    fn new() -> Tree {
        let t = Tree(TempDir::new("proc"));
        t.file("uptime", "200.00 300.00\n");
        t
    }

    fn file(&self, path: &str, content: &str) {
        let p = self.0.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn link(&self, path: &str, target: &str) {
        let p = self.0.0.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
    }

    /// Thread `tid` of process 500 with the given syscall file (and no stack file).
    fn thread(&self, tid: u32, comm: &str, syscall: &str) {
        let dir = format!("500/task/{tid}");
        self.file(&format!("{dir}/stat"), &stat_line(tid, comm, 'D'));
        self.file(&format!("{dir}/schedstat"), "1000000 0 1\n");
        self.file(&format!("{dir}/syscall"), syscall);
        self.file(&format!("{dir}/wchan"), "some_wait");
        self.file(&format!("{dir}/io"), "rchar: 0\n");
    }

    fn path(&self) -> &Path {
        &self.0.0
    }
}

#[test]
fn syscall_and_filename_edge_cases() {
    let t = Tree::new();
    t.file("500/stat", &stat_line(500, "proc", 'S'));
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
    let out = run(&[
        "--proc",
        t.path().to_str().unwrap(),
        "-i",
        "0",
        "-f",
        "csv",
        "-o",
        "tid,comm,state,wchan,syscall,filename,kstack",
    ])
    .ok();
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
         505,user,D,some_wait,[running],,-\n\
         506,negative-fd,D,some_wait,read,-,-\n\
         507,garbled,D,some_wait,-,-,-\n"
    );
    assert_eq!(
        out.stderr,
        "syscall: not readable for 1 of 8 threads (unexpected file format)\n\
         kstack: not readable for 8 of 8 threads (this kernel does not provide the file)\n",
        "one line per column, in column order"
    );
}

#[test]
fn threads_whose_files_vanish_are_dropped_silently() {
    let t = Tree::new();
    t.file("600/stat", &stat_line(600, "proc", 'R'));
    t.file("600/task/600/stat", &stat_line(600, "alive", 'R'));
    // Listed, but with no files: it exited between the listing and the read.
    std::fs::create_dir_all(t.path().join("600/task/601")).unwrap();
    let out = run(&[
        "--proc",
        t.path().to_str().unwrap(),
        "-i",
        "0",
        "-o",
        "tid,comm",
    ])
    .ok();
    assert_eq!(out.stdout, "tid comm\n600 alive\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_stack_larger_than_the_buffer_and_fds_above_65535() {
    let t = Tree::new();
    t.file("500/stat", &stat_line(500, "proc", 'S'));
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
    let out = run(&[
        "--proc",
        t.path().to_str().unwrap(),
        "-i",
        "0",
        "-f",
        "json",
        "-o",
        "tid,syscall,filename,kstack",
    ])
    .ok();
    let rows = out.json();
    let kstack = rows[0]["kstack"].as_str().unwrap();
    assert_eq!(kstack.matches("()").count(), 400);
    assert!(kstack.starts_with("deep_function_number_399()->"));
    assert!(kstack.ends_with("->deep_function_number_0()"));
    if !foreign_arch() {
        assert_eq!(rows[0]["syscall"], "read");
        assert_eq!(rows[0]["filename"], "/data/fd-seventy-thousand-and-one");
    }
}
