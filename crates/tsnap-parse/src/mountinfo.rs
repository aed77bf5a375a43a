//! `/proc/PID/mountinfo` (proc(5)): one mount a line, `ID PARENT MAJ:MIN ROOT POINT OPTIONS
//! [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS`, with space, tab, newline and backslash in
//! paths written as octal escapes (`\040`). tsnap reads it for the cgroup mounts, for the
//! `hidepid` option of the procfs it reads, to say why other users' processes are missing,
//! and for the network and user-space file systems a target's files lie on.

/// The fields of a mount tsnap uses, still escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount<'a> {
    /// The directory of the filesystem that is mounted (for cgroup mounts, a cgroup path
    /// relative to the reader's cgroup namespace root).
    pub root: &'a [u8],
    /// Where it is mounted, as the process whose file it is sees it.
    pub point: &'a [u8],
    /// The filesystem type (`proc`, `cgroup2`, ...).
    pub fstype: &'a [u8],
    /// Options of the filesystem itself (`rw,hidepid=2`, a v1 cgroup's controllers).
    pub super_options: &'a [u8],
}

/// The mounts of a mountinfo file; malformed lines are skipped.
pub fn mounts(buf: &[u8]) -> impl Iterator<Item = Mount<'_>> {
    buf.split(|&b| b == b'\n').filter_map(|line| {
        // Fields are separated by one space; spaces in paths are escaped.
        let mut w = line.split(|&b| b == b' ');
        let root = w.nth(3)?;
        let point = w.next()?;
        w.find(|f| *f == b"-")?;
        let fstype = w.next()?;
        let super_options = w.nth(1)?;
        Some(Mount {
            root,
            point,
            fstype,
            super_options,
        })
    })
}

/// The mount point and filesystem type of the first mount whose field number `field` is
/// `value`: field 0 is the mount's id, field 2 the device of its filesystem (`MAJOR:MINOR`),
/// which every mount of one filesystem shares.
pub fn find<'a>(buf: &'a [u8], field: usize, value: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut w = line.split(|&b| b == b' ');
        if w.clone().nth(field)? != value {
            return None;
        }
        let point = w.nth(4)?;
        w.find(|f| *f == b"-")?;
        Some((point, w.next()?))
    })
}

/// Whether a filesystem of type `fstype` is served by a process (FUSE: sshfs, s3fs, gcsfuse,
/// or one the target runs) or over the network (NFS, CIFS/SMB, Ceph, 9p, AFS, Lustre): a
/// call into it may wait as long as its server likes, in a state no signal ends.
pub fn served(fstype: &[u8]) -> bool {
    const NETWORK: [&[u8]; 14] = [
        b"nfs",
        b"nfs4",
        b"cifs",
        b"smb3",
        b"smbfs",
        b"ceph",
        b"9p",
        b"afs",
        b"coda",
        b"ncpfs",
        b"lustre",
        b"orangefs",
        b"virtiofs",
        b"gfs2",
    ];
    fstype.starts_with(b"fuse") || NETWORK.contains(&fstype)
}

/// Appends `raw` to `out` with its `\NNN` octal escapes decoded.
pub fn unescape(raw: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < raw.len() {
        let octal = raw.get(i + 1..i + 4).filter(|d| {
            raw[i] == b'\\' && d[0] <= b'3' && d.iter().all(|b| (b'0'..=b'7').contains(b))
        });
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') << 6 | (d[1] - b'0') << 3 | (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(raw[i]);
                i += 1;
            }
        }
    }
}

/// The mount a path (absolute, as the process sees it) lies on: the last mounted at the
/// longest mount point that is the path or one of its directories; its point unescaped into
/// `point`.
pub fn mount_of<'a>(mountinfo: &'a [u8], path: &[u8], point: &mut Vec<u8>) -> Option<Mount<'a>> {
    let mut best: Option<(usize, Mount<'a>)> = None;
    let mut p = Vec::new();
    for m in mounts(mountinfo) {
        p.clear();
        unescape(m.point, &mut p);
        let under = path
            .strip_prefix(&p[..])
            .is_some_and(|rest| rest.is_empty() || rest[0] == b'/' || p.last() == Some(&b'/'));
        if under && best.as_ref().is_none_or(|(len, _)| p.len() >= *len) {
            best = Some((p.len(), m));
            point.clear();
            point.extend_from_slice(&p);
        }
    }
    best.map(|(_, m)| m)
}

/// The `hidepid` value of the procfs mounted at `mount_point`, unless it is off.
pub fn hidepid<'a>(mountinfo: &'a [u8], mount_point: &[u8]) -> Option<&'a [u8]> {
    let mut point = Vec::new();
    mounts(mountinfo).find_map(|m| {
        point.clear();
        unescape(m.point, &mut point);
        if point != mount_point || m.fstype != b"proc" {
            return None;
        }
        let value = m
            .super_options
            .split(|&b| b == b',')
            .find_map(|o| o.strip_prefix(b"hidepid="))?;
        (!matches!(value, b"0" | b"off")).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on Linux 6.18 after `mount -t proc -o hidepid=2 proc /tmp/hp`.
    const MOUNTINFO: &[u8] = b"22 27 0:21 / /proc rw,relatime - proc proc rw\n\
        64 27 0:40 / /tmp/hp rw,relatime - proc proc rw,hidepid=invisible\n\
        65 27 0:41 / /tmp/with\\040space rw - proc proc rw,hidepid=ptraceable,subset=pid\n\
        66 27 0:42 / /tmp/tmp rw - tmpfs tmpfs rw,hidepid=2\n";

    #[test]
    fn finds_the_hidepid_option_of_that_mount() {
        assert_eq!(hidepid(MOUNTINFO, b"/proc"), None);
        assert_eq!(hidepid(MOUNTINFO, b"/tmp/hp"), Some(&b"invisible"[..]));
        assert_eq!(
            hidepid(MOUNTINFO, b"/tmp/with space"),
            Some(&b"ptraceable"[..])
        );
        assert_eq!(hidepid(MOUNTINFO, b"/tmp/tmp"), None, "not a procfs");
        assert_eq!(hidepid(MOUNTINFO, b"/tmp"), None);
        assert_eq!(hidepid(b"garbage\n\n1 2\n", b"/proc"), None);
        assert_eq!(
            hidepid(b"1 2 3 4 /proc rw - proc proc rw,hidepid=off", b"/proc"),
            None
        );
    }

    #[test]
    fn cgroup_mounts() {
        // This machine (hybrid), and a v1 container whose cgroup is mounted at the
        // hierarchy's root (docker with the host's cgroup namespace).
        let info = b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n\
1201 1200 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid master:12 - cgroup cgroup rw,cpu,cpuacct\n\
bad line\n";
        let all: Vec<Mount> = mounts(info).collect();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1].point, b"/sys/fs/cgroup/memory");
        assert_eq!(all[1].super_options, b"rw,memory");
        assert_eq!(all[2].fstype, b"cgroup2");
        assert_eq!(all[3].root, b"/docker/abc");
        assert_eq!(all[3].point, b"/sys/fs/cgroup/cpu,cpuacct");
        assert_eq!(all[3].super_options, b"rw,cpu,cpuacct");
        assert_eq!(mounts(b"1 2 3 / /x rw -").count(), 0);
    }

    #[test]
    fn the_mount_a_path_lies_on() {
        let info = b"22 1 0:21 / / rw - ext4 /dev/sda1 rw\n\
            30 22 0:50 / /mnt/fs rw - fuse.hangfs hangfs rw\n\
            31 22 0:51 / /mnt/fs2 rw - nfs4 srv:/x rw\n\
            32 30 0:52 / /mnt/fs/in\\040side rw - tmpfs tmpfs rw\n\
            33 22 0:53 / /mnt/fs rw - ext4 /dev/sdb rw\n";
        let mut point = Vec::new();
        let mut on = |path: &[u8]| mount_of(info, path, &mut point).map(|m| m.fstype);
        assert_eq!(on(b"/etc/passwd"), Some(&b"ext4"[..]));
        assert_eq!(on(b"/mnt/fs2/a"), Some(&b"nfs4"[..]));
        assert_eq!(on(b"/mnt/fs/in side/x"), Some(&b"tmpfs"[..]));
        assert_eq!(
            on(b"/mnt/fs/a"),
            Some(&b"ext4"[..]),
            "mounted over: the last one"
        );
        assert_eq!(on(b"/mnt/fsx"), Some(&b"ext4"[..]), "not a directory of it");
        mount_of(info, b"/mnt/fs2", &mut point);
        assert_eq!(point, b"/mnt/fs2");
        assert_eq!(mount_of(b"garbage", b"/", &mut point), None);
    }

    #[test]
    fn mounts_by_id_or_device_and_which_are_served() {
        let info = b"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
31 22 0:50 / /tmp rw,nosuid - fuse.tarpit tarpit rw,user_id=0\n\
32 22 0:51 / /mnt/with\\040space rw - nfs4 srv:/x rw\n";
        assert_eq!(find(info, 2, b"8:1"), Some((&b"/"[..], &b"ext4"[..])));
        let fuse = Some((&b"/tmp"[..], &b"fuse.tarpit"[..]));
        assert_eq!(find(info, 0, b"31"), fuse);
        assert_eq!(find(info, 2, b"0:50"), fuse);
        assert_eq!(find(info, 2, b"0:51").map(|m| m.1), Some(&b"nfs4"[..]));
        assert_eq!(find(info, 2, b"0:5"), None);
        assert_eq!(find(info, 0, b"3"), None);
        assert_eq!(find(b"x y 0:5\n1 2 0:5 / /x\n", 2, b"0:5"), None);
        for fs in [
            &b"fuse"[..],
            b"fuseblk",
            b"fuse.sshfs",
            b"nfs",
            b"cifs",
            b"9p",
            b"ceph",
        ] {
            assert!(served(fs), "{fs:?}");
        }
        for fs in [&b"ext4"[..], b"tmpfs", b"overlay", b"xfs", b"proc", b"nfsd"] {
            assert!(!served(fs), "{fs:?}");
        }
    }

    #[test]
    fn escapes() {
        let mut out = Vec::new();
        unescape(br"/mnt/a\040b\134c\\d\0", &mut out);
        assert_eq!(out, b"/mnt/a b\\c\\\\d\\0");
        out.clear();
        unescape(br"\777\400x\", &mut out);
        assert_eq!(out, br"\777\400x\");
    }
}
