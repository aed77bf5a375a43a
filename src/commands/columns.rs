//! `tsnap columns`: the catalogue, for people deciding what to ask for.

use crate::columns::{ALL, DEFAULT};
use crate::output::Out;

pub fn run(out: &mut Out) -> Result<(), crate::error::Error> {
    let width = ALL.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let b = &mut out.buf;
    for info in ALL {
        b.extend_from_slice(info.name.as_bytes());
        b.resize(b.len() + width + 2 - info.name.len(), b' ');
        b.extend_from_slice(info.meaning.as_bytes());
        b.push(b'\n');
        b.resize(b.len() + width + 2, b' ');
        b.extend_from_slice(b"from ");
        b.extend_from_slice(info.source.as_bytes());
        b.extend_from_slice(b"; needs ");
        b.extend_from_slice(info.privilege.as_bytes());
        b.push(b'\n');
    }
    b.extend_from_slice(b"\ndefault:");
    for c in DEFAULT {
        b.push(b' ');
        b.extend_from_slice(c.name().as_bytes());
    }
    b.push(b'\n');
    out.flush()
}
