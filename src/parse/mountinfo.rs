//! `/proc/PID/mountinfo` (proc(5)): one mount a line, `ID PARENT MAJ:MIN ROOT POINT OPTIONS
//! [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS`, with space, tab, newline and backslash in
//! paths written as octal escapes (`\040`).

/// The fields of a mount tsnap uses, still escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mount<'a> {
    /// The directory of the filesystem that is mounted (for cgroup mounts, a cgroup path
    /// relative to the reader's cgroup namespace root).
    pub root: &'a [u8],
    pub point: &'a [u8],
    pub fstype: &'a [u8],
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn escapes() {
        let mut out = Vec::new();
        unescape(br"/mnt/a\040b\134c\\d\0", &mut out);
        assert_eq!(out, b"/mnt/a b\\c\\\\d\\0");
        out.clear();
        unescape(br"\777\400x\", &mut out);
        assert_eq!(out, br"\777\400x\");
    }
}
