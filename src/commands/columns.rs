//! `tsnap columns`: the catalogue, for people deciding what to ask for, in lines that fit
//! the help's width; with `-f json`, one object per column with every fact the catalogue
//! holds, for scripts.

use crate::cli::{Args, HELP_WIDTH};
use crate::columns::{ALL, DEFAULT, DROPPED_FIRST, Info, UNDER_THE_ROW_FIRST};
use crate::error::Error;
use crate::output::json::JsonLine;
use crate::output::{Cut, Format, Out, fit};

pub fn run(args: &Args, out: &mut Out) -> Result<(), Error> {
    match args.format {
        Format::Table => table(&mut out.buf),
        Format::Json => ALL.iter().for_each(|info| json(info, &mut out.buf)),
        Format::Csv => {
            return Err(Error::Usage(
                "columns writes a table or json, not csv".to_string(),
            ));
        }
    }
    out.flush()
}

fn table(b: &mut Vec<u8>) {
    let width = ALL.iter().map(|i| i.name.len()).max().unwrap_or(0);
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
        line.extend_from_slice(info.privilege.text().as_bytes());
        fit::wrap(b, &line, HELP_WIDTH, 0, width + 4);
        b.push(b'\n');
    }
    b.extend_from_slice(b"\ndefault:");
    for c in DEFAULT {
        b.push(b' ');
        b.extend_from_slice(c.name().as_bytes());
    }
    b.push(b'\n');
}

/// One line: `{"name":"comm","meaning":...,"privilege":"none",...,"dropped":[],"under":9}`.
fn json(info: &Info, b: &mut Vec<u8>) {
    let mut o = JsonLine::new(b);
    o.text("name", info.name.as_bytes())
        .text("meaning", info.meaning.as_bytes())
        .text("source", info.source.as_bytes())
        .text("privilege", info.privilege.key().as_bytes())
        .text("privilege_text", info.privilege.text().as_bytes())
        .boolean("default", DEFAULT.contains(&info.column))
        .boolean("numeric", info.numeric)
        .text("json", info.json_type().as_bytes())
        .text("cut", cut_name(info.cut).as_bytes())
        .text("mask", info.mask.key().as_bytes())
        .number_or_null("table_chars", info.table_chars);
    {
        // The ranks at which a table too wide for its terminal leaves it out, with the column
        // that must be shown too for that rank to apply.
        let mut dropped = o.array("dropped");
        for (rank, &(_, with)) in DROPPED_FIRST
            .iter()
            .enumerate()
            .filter(|(_, (c, _))| *c == info.column)
        {
            let mut d = dropped.object();
            d.number("rank", rank)
                .text_or_null("with", with.map(|w| w.name().as_bytes()));
            d.close();
        }
        dropped.close();
    }
    o.number_or_null(
        "under",
        UNDER_THE_ROW_FIRST.iter().position(|&c| c == info.column),
    );
    o.end();
}

fn cut_name(cut: Cut) -> &'static str {
    match cut {
        Cut::Never => "never",
        Cut::Name => "name",
        Cut::End => "end",
        Cut::Start => "start",
        Cut::Endpoint => "endpoint",
        Cut::Frames => "frames",
    }
}
