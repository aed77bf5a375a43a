//! `tsnap columns`: the catalogue, for people deciding what to ask for, in lines that fit
//! the help's width.

use crate::cli::HELP_WIDTH;
use crate::columns::{ALL, DEFAULT};
use crate::output::{Out, fit};

pub fn run(out: &mut Out) -> Result<(), crate::error::Error> {
    let width = ALL.iter().map(|i| i.name.len()).max().unwrap_or(0);
    let b = &mut out.buf;
    let mut line = Vec::new();
    for info in ALL {
        line.clear();
        line.extend_from_slice(info.name.as_bytes());
        line.resize(width + 2, b' ');
        line.extend_from_slice(info.meaning.as_bytes());
        fit::wrap(b, &line, HELP_WIDTH, 0, width + 2);
        b.push(b'\n');
        line.clear();
        line.resize(width + 2, b' ');
        line.extend_from_slice(b"from ");
        line.extend_from_slice(info.source.as_bytes());
        line.extend_from_slice(b"; needs ");
        line.extend_from_slice(info.privilege.as_bytes());
        fit::wrap(b, &line, HELP_WIDTH, 0, width + 4);
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
