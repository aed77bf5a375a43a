//! The reference of every command, option and column (`docs/reference.md`) and the man page
//! (`docs/tsnap.1`), made from the help pages, the option table and the column catalogue.
//! Only tests build this: the shipped binary carries no second copy of its help. The test
//! compares both files with what the code makes now, and rewrites them under
//! `TSNAP_BLESS=1`, so that the documents cannot drift from the code.

use super::help::{self, PAGES, Page, listed};
use super::options::{EVERY, OPTIONS, Opt};
use crate::columns::{ALL, DEFAULT, Info};

/// The command that rewrites both files.
const REGENERATE: &str = "TSNAP_BLESS=1 cargo test --lib reference";
/// Where they come from, for their first lines.
const SOURCES: &str = "src/cli/help.rs, src/cli/options.rs and src/columns/mod.rs";
/// The width the Markdown's prose is wrapped to.
const WIDTH: usize = 80;

/// A piece of help prose: lines at the margin are a paragraph, to be filled; indented lines
/// (a layout, a list of keys) are kept as they are.
#[derive(Debug, PartialEq)]
enum Block<'a> {
    Paragraph(String),
    Lines(Vec<&'a str>),
}

/// `text` as blocks: a blank line ends one, and so does a change between margin and indent.
/// Kept lines lose the indent they all share.
fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut blank = true;
    for line in text.lines() {
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        let indented = line.starts_with(' ');
        match (out.last_mut(), blank, indented) {
            (Some(Block::Lines(lines)), false, true) => lines.push(line),
            (Some(Block::Paragraph(p)), false, false) => {
                p.push(' ');
                p.push_str(line.trim());
            }
            (_, _, true) => out.push(Block::Lines(vec![line])),
            (_, _, false) => out.push(Block::Paragraph(line.trim().to_string())),
        }
        blank = false;
    }
    for block in &mut out {
        if let Block::Lines(lines) = block {
            let margin = lines
                .iter()
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            for line in lines.iter_mut() {
                *line = &line[margin..];
            }
        }
    }
    out
}

/// The main help page (`tsnap --help`) taken apart.
struct Main {
    /// Its first line: `tsnap - what ...`.
    name: String,
    /// The USAGE lines: how each command is called, and what it does.
    usage: Vec<(String, String)>,
    /// The paragraphs of its options section that are not options: what every command shares.
    description: String,
    /// The sections after its options (EXIT STATUS, EXAMPLES), as (heading, body).
    sections: Vec<(String, String)>,
}

/// The main help page, its sections found by their headings: after a blank line, a line of
/// capitals, or of capitals and then a parenthesis (`OPTIONS (snap; ...)`).
fn main_page(text: &str) -> Main {
    let mut lines = text.lines();
    let name = lines.next().unwrap_or("").to_string();
    let mut sections: Vec<(String, String)> = Vec::new();
    let mut previous_blank = false;
    for line in lines {
        let words = line.split(" (").next().unwrap_or("");
        let heading = previous_blank
            && words.len() > 1
            && words.bytes().all(|b| b.is_ascii_uppercase() || b == b' ');
        if heading {
            sections.push((line.to_string(), String::new()));
        } else if let Some((_, body)) = sections.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
        previous_blank = line.is_empty();
    }
    let mut description = String::new();
    if let Some((_, body)) = sections.iter().find(|(h, _)| h.starts_with("OPTIONS")) {
        for line in body.lines().filter(|l| !l.starts_with(' ')) {
            description.push_str(line);
            description.push('\n');
        }
    }
    let mut usage: Vec<(String, String)> = Vec::new();
    if let Some((_, body)) = sections.iter().find(|(h, _)| h == "USAGE") {
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            // A line with nothing in the left column goes on with the one before.
            match (line.starts_with("     "), usage.last_mut()) {
                (true, Some((_, what))) => {
                    what.push(' ');
                    what.push_str(line.trim());
                }
                _ => {
                    let line = line.trim();
                    let (call, what) = line.split_once("  ").unwrap_or((line, ""));
                    usage.push((call.to_string(), what.trim().to_string()));
                }
            }
        }
    }
    sections.retain(|(h, _)| h != "USAGE" && !h.starts_with("OPTIONS"));
    Main {
        name,
        usage,
        description,
        sections,
    }
}

/// "EXIT STATUS" as "Exit status".
fn sentence_case(heading: &str) -> String {
    let lower = heading.to_ascii_lowercase();
    let mut chars = lower.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// The commands of a set, in the order of the help pages.
fn commands_of(set: u8) -> String {
    let names: Vec<&str> = PAGES
        .iter()
        .filter(|p| set & p.command.bit() != 0)
        .map(|p| p.command.name())
        .collect();
    names.join(", ")
}

/// An option's names and value, as the help lists them: `-p, --pid PID[,PID...]`.
fn option_names(o: &Opt) -> String {
    let mut names = match o.short {
        Some(c) => format!("-{c}, --{}", o.long),
        None => format!("--{}", o.long),
    };
    if !o.value.is_empty() {
        names.push(' ');
        names.push_str(o.value);
    }
    names
}

/// What a column's values are, and whether it is shown by default: `number, default`.
fn kind(info: &Info) -> String {
    let kind = if info.numeric { "number" } else { "text" };
    match DEFAULT.contains(&info.column) {
        true => format!("{kind}, default"),
        false => kind.to_string(),
    }
}

/// A help text's lines (wrapped for the terminal) as one line.
fn joined(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- Markdown ----

/// Prose made literal in Markdown: what would start emphasis, code, HTML or an escape is
/// escaped (a `_` inside a word, as in `avg_threads`, starts nothing).
fn md(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let word = |j: Option<usize>| {
            j.and_then(|j| chars.get(j))
                .is_some_and(|c| c.is_alphanumeric())
        };
        let inside = word(i.checked_sub(1)) && word(Some(i + 1));
        if matches!(c, '\\' | '*' | '`' | '<' | '|') || (c == '_' && !inside) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A word that would start a list, a quote or a heading at the start of a line: never
/// wrapped to one.
fn starts_block(word: &str) -> bool {
    let digits = word.trim_end_matches(['.', ')']);
    matches!(word, "-" | "+" | "*" | ">" | "=")
        || word.starts_with('#')
        || (digits.len() < word.len()
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// `text` filled to [`WIDTH`], its first line after `first` and the others after `indent`.
fn fill(out: &mut String, text: &str, first: &str, indent: &str) {
    let mut line = first.to_string();
    let mut empty = first.is_empty();
    for word in text.split_whitespace() {
        let fits = line.chars().count() + 1 + word.chars().count() <= WIDTH;
        if !empty && !fits && !starts_block(word) {
            out.push_str(line.trim_end());
            out.push('\n');
            line = indent.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

/// Help prose as Markdown: paragraphs filled, indented lines as a block of text.
fn md_blocks(out: &mut String, text: &str) {
    for block in blocks(text) {
        out.push('\n');
        match block {
            Block::Paragraph(p) => fill(out, &md(&p), "", ""),
            Block::Lines(lines) => {
                out.push_str("```text\n");
                for line in lines {
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str("```\n");
            }
        }
    }
}

/// A heading's anchor, as GitHub makes it.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn md_command(out: &mut String, page: &Page) {
    let command = page.command;
    out.push_str(&format!("\n### tsnap {}\n\n", command.name()));
    fill(out, &md(&joined(page.title)), "", "");
    out.push_str(&format!("\n```text\n{}\n```\n", page.usage));
    md_blocks(out, page.about);
    let options: Vec<&Opt> = OPTIONS.iter().filter(|o| listed(o, command)).collect();
    if !options.is_empty() {
        out.push_str("\nOptions:\n\n");
        for o in options {
            let first = format!("- `{}`:", option_names(o));
            fill(out, &md(&joined(o.help_for(command.bit()))), &first, "  ");
        }
    }
    md_blocks(out, page.more);
}

fn md_column(out: &mut String, info: &Info) {
    let first = format!("- **`{}`** ({}):", info.name, kind(info));
    let text = format!(
        "{}. From `{}`; needs {}.",
        md(info.meaning),
        info.source,
        md(info.privilege.text())
    );
    fill(out, &text, &first, "  ");
}

/// `docs/reference.md`.
pub fn markdown() -> String {
    let main = main_page(&help::main());
    let mut out = format!(
        "# tsnap reference\n\n<!-- Generated from {SOURCES}\n     by `{REGENERATE}`: edit \
         those, not this file. -->\n\n"
    );
    fill(
        &mut out,
        &format!("{}. Version {}.", md(&main.name), env!("CARGO_PKG_VERSION")),
        "",
        "",
    );
    let mut contents = vec!["Description", "Commands", "Options", "Columns"];
    let headings: Vec<String> = main
        .sections
        .iter()
        .map(|(h, _)| sentence_case(h))
        .collect();
    contents.extend(headings.iter().map(String::as_str));
    let links: Vec<String> = contents
        .iter()
        .map(|h| format!("[{h}](#{})", anchor(h)))
        .collect();
    out.push('\n');
    fill(&mut out, &links.join(" · "), "Contents:", "");
    out.push_str("\n## Description\n");
    md_blocks(&mut out, &main.description);

    out.push_str("\n## Commands\n\n");
    for (call, what) in &main.usage {
        let first = match PAGES.iter().find(|p| p.synopsis == call) {
            Some(page) => {
                let link = anchor(&format!("tsnap {}", page.command.name()));
                format!("- [`{call}`](#{link}):")
            }
            None => format!("- `{call}`:"),
        };
        fill(&mut out, &md(what), &first, "  ");
    }
    for page in &PAGES {
        md_command(&mut out, page);
    }

    out.push_str("\n## Options\n\nEvery option, and the commands it applies to.\n\n");
    out.push_str("| Option | Commands |\n|---|---|\n");
    for o in OPTIONS {
        let commands = if o.commands == EVERY {
            "every command".to_string()
        } else {
            commands_of(o.commands)
        };
        out.push_str(&format!("| `{}` | {commands} |\n", option_names(o)));
    }

    out.push_str("\n## Columns\n\n");
    let defaults: Vec<&str> = DEFAULT.iter().map(|c| c.name()).collect();
    fill(
        &mut out,
        &format!(
            "Each column's name is its JSON key and CSV header; what it means, the /proc file \
             it is read from and the privilege that file needs. The default columns: {}.",
            defaults.join(" ")
        ),
        "",
        "",
    );
    out.push('\n');
    for info in ALL {
        md_column(&mut out, info);
    }

    for (heading, body) in &main.sections {
        out.push_str(&format!("\n## {}\n", sentence_case(heading)));
        md_blocks(&mut out, body);
    }
    out
}

// ---- roff ----

/// Text made literal in roff: backslashes and dashes escaped (a dash is what a user types),
/// other characters beyond ASCII named by their code point.
fn roff(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("\\[u{:04X}]", c as u32)),
        }
    }
    out
}

/// A roff text line: one starting with `.` or `'` would be a request.
fn roff_line(out: &mut String, line: &str) {
    if line.starts_with(['.', '\'']) {
        out.push_str("\\&");
    }
    out.push_str(line);
    out.push('\n');
}

/// Escaped text as source lines of at most [`WIDTH`] (roff fills them itself).
fn roff_fill(out: &mut String, text: &str) {
    let mut filled = String::new();
    fill(&mut filled, text, "", "");
    for line in filled.lines() {
        roff_line(out, line);
    }
}

/// Help prose as roff: paragraphs filled, indented lines kept (at the paragraphs' margin, so
/// that they fit the width as they fit the help's).
fn roff_blocks(out: &mut String, text: &str) {
    for block in blocks(text) {
        match block {
            Block::Paragraph(p) => {
                out.push_str(".PP\n");
                roff_fill(out, &roff(&p));
            }
            Block::Lines(lines) => {
                out.push_str(".PP\n.nf\n");
                for line in lines {
                    roff_line(out, &roff(line));
                }
                out.push_str(".fi\n");
            }
        }
    }
}

/// An option's names in bold and its value in italics.
fn roff_option(o: &Opt) -> String {
    let mut out = match o.short {
        Some(c) => format!("\\fB\\-{c}\\fR, \\fB\\-\\-{}\\fR", roff(o.long)),
        None => format!("\\fB\\-\\-{}\\fR", roff(o.long)),
    };
    if !o.value.is_empty() {
        out.push_str(&format!(" \\fI{}\\fR", roff(o.value)));
    }
    out
}

/// `docs/tsnap.1`.
pub fn man() -> String {
    let main = main_page(&help::main());
    let mut out = format!(
        ".\\\" Generated from {SOURCES} by\n.\\\" {REGENERATE}: edit those, not this file.\n\
         .TH TSNAP 1 \"\" \"tsnap {}\" \"User Commands\"\n.nh\n.ad l\n.SH NAME\n",
        env!("CARGO_PKG_VERSION")
    );
    roff_line(&mut out, &roff(&main.name));
    out.push_str(".SH SYNOPSIS\n.nf\n");
    for (call, _) in &main.usage {
        roff_line(&mut out, &roff(call));
    }
    out.push_str(".fi\n.SH DESCRIPTION\n");
    roff_blocks(&mut out, &main.description);

    out.push_str(".SH COMMANDS\n");
    for page in &PAGES {
        let command = page.command;
        out.push_str(&format!(".SS tsnap {}\n", command.name()));
        roff_fill(&mut out, &roff(&joined(page.title)));
        out.push_str(".PP\n.RS 4\n.nf\n");
        roff_line(&mut out, &roff(page.usage));
        out.push_str(".fi\n.RE\n");
        roff_blocks(&mut out, page.about);
        for o in OPTIONS.iter().filter(|o| listed(o, command)) {
            out.push_str(".TP\n");
            roff_line(&mut out, &roff_option(o));
            roff_fill(&mut out, &roff(&joined(o.help_for(command.bit()))));
        }
        roff_blocks(&mut out, page.more);
    }

    out.push_str(".SH OPTIONS\nEvery option, and the commands it applies to.\n");
    for o in OPTIONS {
        out.push_str(".TP\n");
        roff_line(&mut out, &roff_option(o));
        let commands = if o.commands == EVERY {
            "every command".to_string()
        } else {
            commands_of(o.commands)
        };
        roff_fill(&mut out, &commands);
    }

    out.push_str(".SH COLUMNS\n");
    let defaults: Vec<&str> = DEFAULT.iter().map(|c| c.name()).collect();
    roff_fill(
        &mut out,
        &roff(&format!(
            "Each column's name is its JSON key and CSV header. The default columns: {}.",
            defaults.join(" ")
        )),
    );
    for info in ALL {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR ({})\n",
            roff(info.name),
            kind(info)
        ));
        roff_fill(&mut out, &roff(&format!("{}.", info.meaning)));
        out.push_str(".br\n");
        roff_fill(
            &mut out,
            &roff(&format!(
                "From {}; needs {}.",
                info.source,
                info.privilege.text()
            )),
        );
    }

    for (heading, body) in &main.sections {
        out.push_str(&format!(".SH {heading}\n"));
        roff_blocks(&mut out, body);
    }
    out.push_str(
        ".SH SEE ALSO\n\\fBps\\fR(1), \\fBtop\\fR(1), \\fBjstack\\fR(1), \\fBproc\\fR(5)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file at `path` holds `text`, or is rewritten with it under `TSNAP_BLESS=1`.
    fn check(path: &str, text: &str) {
        let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        if std::env::var_os("TSNAP_BLESS").is_some_and(|v| v == "1") {
            std::fs::write(&full, text).unwrap();
            return;
        }
        let on_disk = std::fs::read_to_string(&full).unwrap_or_default();
        assert!(
            on_disk == text,
            "{path} does not match the code: regenerate it with {REGENERATE}"
        );
    }

    #[test]
    fn reference_and_man_page_match_the_code() {
        check("docs/reference.md", &markdown());
        check("docs/tsnap.1", &man());
    }

    #[test]
    fn reference_has_every_command_option_and_column() {
        let (reference, man) = (markdown(), man());
        for page in &PAGES {
            let name = page.command.name();
            assert!(reference.contains(&format!("### tsnap {name}\n")), "{name}");
            assert!(man.contains(&format!(".SS tsnap {name}\n")), "{name}");
        }
        for o in OPTIONS {
            assert!(
                reference.contains(&format!("`{}`", option_names(o))),
                "--{}",
                o.long
            );
            assert!(man.contains(&roff_option(o)), "--{}", o.long);
        }
        for info in ALL {
            assert!(
                reference.contains(&format!("- **`{}`**", info.name)),
                "{}",
                info.name
            );
            assert!(
                man.contains(&format!("\\fB{}\\fR (", info.name)),
                "{}",
                info.name
            );
        }
        for heading in ["EXIT STATUS", "EXAMPLES"] {
            assert!(man.contains(&format!(".SH {heading}\n")), "{heading}");
        }
    }

    #[test]
    fn main_page_is_taken_apart_by_its_headings() {
        let text = "tsnap - what\n\nUSAGE\n    tsnap a [X]     does a\n    tsnap b  does b\n      \
                    and more\n\nOPTIONS (a; more)\n    -x       an option\n\nTIME is (0.5) \
                    seconds.\n\nEXIT STATUS\n    0 yes\n\nEXAMPLES\n    tsnap a   an example\n";
        let main = main_page(text);
        assert_eq!(main.name, "tsnap - what");
        let usage = [("tsnap a [X]", "does a"), ("tsnap b", "does b and more")];
        let usage = usage.map(|(c, w)| (c.to_string(), w.to_string()));
        assert_eq!(main.usage, usage);
        assert_eq!(main.description, "\nTIME is (0.5) seconds.\n\n");
        let headings: Vec<&str> = main.sections.iter().map(|(h, _)| h.as_str()).collect();
        assert_eq!(headings, ["EXIT STATUS", "EXAMPLES"]);
        assert_eq!(main.sections[1].1, "    tsnap a   an example\n");
    }

    #[test]
    fn prose_is_split_into_paragraphs_and_kept_lines() {
        let text =
            "One line\nand the next.\n    kept   as is\n      and this\nThen more.\n\nNew.\n";
        assert_eq!(
            blocks(text),
            vec![
                Block::Paragraph("One line and the next.".into()),
                Block::Lines(vec!["kept   as is", "  and this"]),
                Block::Paragraph("Then more.".into()),
                Block::Paragraph("New.".into()),
            ]
        );
    }

    #[test]
    fn markdown_prose_is_literal_and_wrapped_without_starting_blocks() {
        assert_eq!(
            md("kworker/*:* avg_threads _x <0x1> a|b"),
            "kworker/\\*:\\* avg_threads \\_x \\<0x1> a\\|b"
        );
        let mut out = String::new();
        let words = format!("{} - (null) 2. more", "word ".repeat(15));
        fill(&mut out, &words, "", "  ");
        assert!(
            out.lines()
                .all(|l| !l.trim_start().starts_with("- ") && !l.trim_start().starts_with("2. ")),
            "{out}"
        );
        assert!(out.lines().count() > 1, "{out}");
    }

    #[test]
    fn roff_text_never_makes_a_request() {
        assert_eq!(roff("a-b \\n …"), "a\\-b \\en \\[u2026]");
        let mut out = String::new();
        roff_line(&mut out, ".SH not a heading");
        roff_line(&mut out, "'quoted");
        assert_eq!(out, "\\&.SH not a heading\n\\&'quoted\n");
    }
}
