//! `/etc/passwd` (passwd(5)): `NAME:PASSWORD:UID:GID:GECOS:HOME:SHELL` lines. A static binary
//! has no NSS, so user names come from the container's own file, read as bytes.

use super::dec_u64;

/// The name of the first entry with `uid`; NIS `+`/`-` lines and malformed lines are skipped.
pub fn user_name(buf: &[u8], uid: u32) -> Option<&[u8]> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut f = line.split(|&b| b == b':');
        let name = f.next()?;
        if name.is_empty() || matches!(name[0], b'+' | b'-' | b'#') {
            return None;
        }
        (dec_u64(f.nth(1)?)? == u64::from(uid)).then_some(name)
    })
}

/// The uid of the first entry named `name`, as [`user_name`] skips lines.
pub fn uid_of(buf: &[u8], name: &[u8]) -> Option<u32> {
    buf.split(|&b| b == b'\n').find_map(|line| {
        let mut f = line.split(|&b| b == b':');
        let first = f.next()?;
        if first != name || name.is_empty() || matches!(name[0], b'+' | b'-' | b'#') {
            return None;
        }
        u32::try_from(dec_u64(f.nth(1)?)?).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let passwd = b"root:x:0:0:root:/root:/bin/bash\n+nis::0:0:::\n\
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbroken:x\n\
app:x:1000:1000::/home/app:/bin/sh\ndup:x:1000:1000::/:/bin/sh";
        assert_eq!(user_name(passwd, 0), Some(&b"root"[..]));
        assert_eq!(user_name(passwd, 65534), Some(&b"nobody"[..]));
        assert_eq!(user_name(passwd, 1000), Some(&b"app"[..]));
        assert_eq!(user_name(passwd, 7), None);
        assert_eq!(uid_of(passwd, b"nobody"), Some(65534));
        assert_eq!(uid_of(passwd, b"app"), Some(1000));
        assert_eq!(uid_of(passwd, b"+nis"), None);
        assert_eq!(uid_of(passwd, b"broken"), None);
        assert_eq!(uid_of(passwd, b""), None);
        assert_eq!(user_name(b"", 0), None);
        assert_eq!(user_name(b":x:0:0::/:\n", 0), None);
        assert_eq!(user_name(b"a:x:-1:0::/:\n", 0), None);
    }
}
