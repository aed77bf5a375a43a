//! Root wearing a target's credentials while it touches the target's files and sockets.
//!
//! What root may do in a container's filesystem is far more than what the container's own
//! user may: create files in directories it could not write, connect to sockets it could not
//! open. So before it touches anything inside a target, root takes the target's effective uid
//! and gid and its supplementary groups, and, when that uid is 0 too, drops its effective
//! capabilities (so no CAP_DAC_OVERRIDE): then the kernel grants exactly what it would grant
//! the target. The saved uid stays 0, so everything is given back afterwards. Credentials
//! belong to a thread in Linux, and tsnap has one. A user other than root switches nothing:
//! it can only do what it may anyway.

use crate::parse::{self, status};
use rustix::fs::{Gid, Uid};
use rustix::io;
use rustix::process::{getegid, geteuid, getgroups};
use rustix::thread::{
    CapabilitySet, CapabilitySets, capabilities, set_capabilities, set_thread_groups,
    set_thread_res_gid, set_thread_res_uid,
};

/// A process's identity for permission checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
}

impl Creds {
    /// The effective uid and gid and the supplementary groups in a process's `status`.
    pub fn from_status(status_file: &[u8]) -> Option<Creds> {
        let effective = |key: &[u8]| {
            parse::words(status::field(status_file, key)?)
                .nth(1)
                .and_then(parse::dec_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        let groups = parse::words(status::field(status_file, b"Groups").unwrap_or_default())
            .map(|g| parse::dec_u64(g).and_then(|n| u32::try_from(n).ok()))
            .collect::<Option<Vec<u32>>>()?;
        Some(Creds {
            uid: effective(b"Uid")?,
            gid: effective(b"Gid")?,
            groups,
        })
    }
}

/// tsnap's thread in a target's credentials, until dropped.
pub struct AsTarget {
    saved: Option<Saved>,
}

/// What to give back.
struct Saved {
    gid: Gid,
    groups: Vec<Gid>,
    /// The capabilities, when they were dropped with the uid kept at 0.
    caps: Option<CapabilitySets>,
    uid_switched: bool,
}

impl AsTarget {
    /// Takes `target`'s credentials, when tsnap runs as root; nothing otherwise.
    pub fn switch(target: &Creds) -> io::Result<AsTarget> {
        if !geteuid().is_root() {
            return Ok(AsTarget { saved: None });
        }
        let mut guard = AsTarget {
            saved: Some(Saved {
                gid: getegid(),
                groups: getgroups()?,
                caps: None,
                uid_switched: false,
            }),
        };
        let groups: Vec<Gid> = target.groups.iter().map(|&g| Gid::from_raw(g)).collect();
        set_thread_groups(&groups)?;
        set_thread_res_gid(None, Some(Gid::from_raw(target.gid)), None)?;
        if let Some(saved) = &mut guard.saved {
            if target.uid == 0 {
                let caps = capabilities(None)?;
                saved.caps = Some(caps);
                set_capabilities(
                    None,
                    CapabilitySets {
                        effective: CapabilitySet::empty(),
                        ..caps
                    },
                )?;
            } else {
                set_thread_res_uid(None, Some(Uid::from_raw(target.uid)), None)?;
                saved.uid_switched = true;
            }
        }
        Ok(guard)
    }
}

impl Drop for AsTarget {
    fn drop(&mut self) {
        let Some(saved) = self.saved.take() else {
            return;
        };
        // Root's uid first, which brings its capabilities back, then the rest. Nothing to do
        // if a step fails: tsnap would go on with less privilege, not more.
        if saved.uid_switched {
            let _ = set_thread_res_uid(None, Some(Uid::ROOT), None);
        }
        if let Some(caps) = saved.caps {
            let _ = set_capabilities(None, caps);
        }
        let _ = set_thread_res_gid(None, Some(saved.gid), None);
        let _ = set_thread_groups(&saved.groups);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creds_from_status() {
        let status = b"Name:\tjava\nUid:\t1000\t1001\t1000\t1000\nGid:\t50\t51\t50\t50\n\
Groups:\t4 24 1000 \nNSpid:\t7\n";
        assert_eq!(
            Creds::from_status(status),
            Some(Creds {
                uid: 1001,
                gid: 51,
                groups: vec![4, 24, 1000]
            })
        );
        let none = b"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n";
        assert_eq!(Creds::from_status(none).unwrap().groups, Vec::<u32>::new());
        assert_eq!(Creds::from_status(b"Uid:\t0\t0\t0\t0\n"), None);
        assert_eq!(
            Creds::from_status(b"Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\tx\n"),
            None
        );
    }

    #[test]
    fn root_wears_the_target_and_gets_itself_back() {
        if !geteuid().is_root() {
            return;
        }
        // In a thread of its own: credentials are per thread, and the test runner's other
        // threads keep theirs.
        std::thread::spawn(|| {
            let before = (geteuid(), getegid(), getgroups().unwrap());
            let caps = capabilities(None).unwrap();
            {
                let target = Creds {
                    uid: 65534,
                    gid: 65533,
                    groups: vec![65532],
                };
                let _as = AsTarget::switch(&target).unwrap();
                assert_eq!(geteuid().as_raw(), 65534);
                assert_eq!(getegid().as_raw(), 65533);
                assert_eq!(getgroups().unwrap(), [Gid::from_raw(65532)]);
                assert!(capabilities(None).unwrap().effective.is_empty());
            }
            assert_eq!((geteuid(), getegid(), getgroups().unwrap()), before);
            {
                let root_target = Creds {
                    uid: 0,
                    gid: 0,
                    groups: vec![],
                };
                let _as = AsTarget::switch(&root_target).unwrap();
                assert!(geteuid().is_root());
                assert!(capabilities(None).unwrap().effective.is_empty());
            }
            assert_eq!(capabilities(None).unwrap(), caps);
            assert_eq!((geteuid(), getegid(), getgroups().unwrap()), before);
        })
        .join()
        .unwrap();
    }
}
