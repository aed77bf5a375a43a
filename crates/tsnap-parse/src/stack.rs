//! `/proc/PID/task/TID/stack`: the kernel stack, innermost frame first, one per line.
//!
//! Line shapes: `[<0>] do_sys_poll+0x2e7/0x490` (addresses hidden, 4.15+),
//! `[<ffffffff810b4e3a>] futex_wait_queue_me+0xc4/0x120` (older kernels), with an optional
//! ` [module]` suffix, and on 3.x kernels a last line `[<ffffffffffffffff>] 0xffffffffffffffff`
//! that names no function.

/// Function names of the frames, innermost first; lines that name no function are skipped.
pub fn frames(buf: &[u8]) -> impl Iterator<Item = &[u8]> {
    buf.split(|&b| b == b'\n').filter_map(frame_name)
}

/// The function of one line: after `] `, up to `+offset` or the end.
fn frame_name(line: &[u8]) -> Option<&[u8]> {
    let start = line.iter().position(|&b| b == b']')? + 1;
    let rest = line[start..].trim_ascii_start();
    let end = rest
        .iter()
        .position(|&b| b == b'+' || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() || name.starts_with(b"0x") {
        None
    } else {
        Some(name)
    }
}

/// Frames of the system call entry path, which every stack of a thread in a syscall shares and
/// which say nothing about what it waits for (x86_64 and arm64, old and new kernels). Compiler
/// suffixes such as `.constprop.0` are ignored.
pub fn is_entry_frame(name: &[u8]) -> bool {
    let base = name.split(|&b| b == b'.').next().unwrap_or(name);
    matches!(
        base,
        b"entry_SYSCALL_64_after_hwframe"
            | b"entry_SYSCALL_64"
            | b"entry_SYSCALL_64_fastpath"
            | b"entry_SYSCALL_64_safe_stack"
            | b"do_syscall_64"
            | b"x64_sys_call"
            | b"system_call_fastpath"
            | b"system_call"
            | b"tracesys"
            | b"tracesys_phase2"
            | b"entry_INT80_compat"
            | b"do_int80_syscall_32"
            | b"do_fast_syscall_32"
            | b"entry_SYSENTER_compat_after_hwframe"
            | b"el0t_64_sync"
            | b"el0t_64_sync_handler"
            | b"el0_sync"
            | b"el0_svc"
            | b"el0_svc_handler"
            | b"el0_svc_common"
            | b"do_el0_svc"
            | b"invoke_syscall"
    )
}

/// Frames of the scheduler and of the sleeping primitives built on it (the kernel's `__sched`
/// functions, which `in_sched_functions` recognises), which a stack of a sleeping thread may
/// start with on kernels that do not leave them out. The kernel's `wchan` is the first frame
/// that is not one of them, so a stack read anyway gives the `wchan` without reading it.
/// Compiler suffixes such as `.constprop.0` are ignored.
pub fn is_sched_frame(name: &[u8]) -> bool {
    let base = name.split(|&b| b == b'.').next().unwrap_or(name);
    let base = base.strip_prefix(b"__").unwrap_or(base);
    let prefixes: [&[u8]; 12] = [
        b"schedule",
        b"io_schedule",
        b"preempt_schedule",
        b"wait_for_completion",
        b"mutex_lock",
        b"rt_mutex_slowlock",
        b"rwsem_down_",
        b"down",
        b"bit_wait",
        b"out_of_line_wait_on_bit",
        b"wait_on_bit",
        b"percpu_down_",
    ];
    prefixes.iter().any(|p| base.starts_with(p))
        || matches!(
            base,
            b"cond_resched"
                | b"_cond_resched"
                | b"wait_for_common"
                | b"wait_for_common_io"
                | b"do_wait_for_common"
                | b"do_nanosleep"
                | b"usleep_range_state"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(buf: &[u8]) -> Vec<&str> {
        frames(buf)
            .map(|f| std::str::from_utf8(f).unwrap())
            .collect()
    }

    #[test]
    fn linux_6_x86_64() {
        // A thread blocked in read(2) on a pipe, Linux 6.18.
        let stack = b"[<0>] anon_pipe_read+0x2b8/0x4d0\n[<0>] vfs_read+0x2bf/0x380\n[<0>] ksys_read+0x6e/0xf0\n[<0>] do_syscall_64+0x86/0x1230\n[<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";
        assert_eq!(
            names(stack),
            [
                "anon_pipe_read",
                "vfs_read",
                "ksys_read",
                "do_syscall_64",
                "entry_SYSCALL_64_after_hwframe"
            ]
        );
    }

    #[test]
    fn linux_4_x86_64_with_addresses_and_modules() {
        // A umount blocked on writeback, Linux 4.14 (posted to a kernel list).
        let stack = b"[<ffffffff81098bcd>] io_schedule+0xd/0x30\n[<ffffffff8111ab6f>] wait_on_page_bit_common+0xdf/0x160\n[<ffffffff8111b0ec>] __filemap_fdatawait_range+0xec/0x140\n[<ffffffff8111b195>] filemap_fdatawait_keep_errors+0x15/0x40\n[<ffffffff811ab5a9>] sync_inodes_sb+0x1e9/0x220\n[<ffffffff811b15be>] sync_filesystem+0x4e/0x80\n[<ffffffff8118203d>] generic_shutdown_super+0x1d/0x110\n[<ffffffffa08a48cc>] ceph_kill_sb+0x2c/0x80 [ceph]\n[<ffffffff81181ca4>] deactivate_locked_super+0x34/0x60\n[<ffffffff811a2f56>] cleanup_mnt+0x36/0x70\n[<ffffffff8108e86f>] task_work_run+0x6f/0x90\n[<ffffffff81001a9b>] do_syscall_64+0x27b/0x2c0\n[<ffffffff81a00071>] entry_SYSCALL_64_after_hwframe+0x3d/0xa2\n[<ffffffffffffffff>] 0xffffffffffffffff\n";
        let all = names(stack);
        assert_eq!(all.len(), 13);
        assert_eq!(all[0], "io_schedule");
        assert_eq!(all[7], "ceph_kill_sb");
        assert_eq!(all[12], "entry_SYSCALL_64_after_hwframe");
        let mut kept = all.iter().filter(|f| !is_entry_frame(f.as_bytes()));
        assert_eq!(kept.next_back(), Some(&"task_work_run"));
    }

    #[test]
    fn aarch64() {
        // A thread in futex(2) on an arm64 server (Linux 6.x, posted to a kernel list).
        let stack = b"[<0>] futex_wait_queue+0x104/0x210\n[<0>] __futex_wait+0x184/0x268\n[<0>] futex_wait+0xf4/0x2c8\n[<0>] do_futex+0x17c/0x240\n[<0>] __arm64_sys_futex+0x1d8/0x308\n[<0>] invoke_syscall.constprop.0+0xdc/0x1e8\n[<0>] do_el0_svc+0x154/0x1d0\n[<0>] el0_svc+0x54/0x140\n[<0>] el0t_64_sync_handler+0x10c/0x138\n[<0>] el0t_64_sync+0x1ac/0x1b0\n";
        assert_eq!(frames(stack).count(), 10);
        let kept: Vec<&str> = names(stack)
            .into_iter()
            .filter(|f| !is_entry_frame(f.as_bytes()))
            .collect();
        assert_eq!(
            kept,
            [
                "futex_wait_queue",
                "__futex_wait",
                "futex_wait",
                "do_futex",
                "__arm64_sys_futex"
            ]
        );
    }

    #[test]
    fn junk_lines_are_skipped() {
        assert!(names(b"").is_empty());
        assert!(names(b"\n\n[<0>]\n[<0>] \nno bracket\n]").is_empty());
        assert_eq!(names(b"[<0>] f\n[<0>] g+"), ["f", "g"]);
    }

    #[test]
    fn scheduler_frames_are_not_the_wchan() {
        for name in [
            "__schedule",
            "schedule",
            "schedule_timeout",
            "schedule_hrtimeout_range_clock",
            "io_schedule",
            "do_nanosleep",
            "__mutex_lock.constprop.0",
            "rwsem_down_read_slowpath",
            "wait_for_completion_killable",
            "__cond_resched",
        ] {
            assert!(is_sched_frame(name.as_bytes()), "{name}");
        }
        for name in [
            "poll_schedule_timeout.constprop.0",
            "futex_wait_queue",
            "hrtimer_nanosleep",
            "anon_pipe_read",
            "ep_poll",
            "do_wait",
            "do_select",
        ] {
            assert!(!is_sched_frame(name.as_bytes()), "{name}");
        }
    }
}
