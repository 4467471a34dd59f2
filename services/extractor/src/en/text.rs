//! Text geometry for the English reader: paragraphs and sentences as byte ranges into the
//! canonical text, and clause boundaries inside a sentence. Tolerant of sentences glued by a
//! missing space (`…start.First, …`), which pages often have even after cleaning.

/// A sentence: byte range `[start, end)` of the text, and the index of its paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub para: usize,
}

/// Abbreviations whose final full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "u.s", "no", "co", "ltd", "inc", "mr", "mrs", "ms", "dr", "st", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "e.g", "i.e", "vs", "approx", "corp",
];

/// Sentences of `text`, paragraph by paragraph (a paragraph is a non-empty line).
pub fn sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut para = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if !body.trim().is_empty() {
            split_line(text, line_start, line_start + body.len(), para, &mut out);
            para += 1;
        }
        line_start += line.len();
    }
    out
}

fn split_line(text: &str, start: usize, end: usize, para: usize, out: &mut Vec<Sentence>) {
    let bytes = text.as_bytes();
    let mut s = start;
    let mut i = start;
    while i < end {
        let c = bytes[i];
        if matches!(c, b'.' | b'!' | b'?') && ends_sentence(text, start, i, end) {
            push_trimmed(text, s, i + 1, para, out);
            s = i + 1;
        }
        i += 1;
    }
    push_trimmed(text, s, end, para, out);
}

fn push_trimmed(text: &str, s: usize, e: usize, para: usize, out: &mut Vec<Sentence>) {
    let piece = &text[s..e];
    let lead = piece.len() - piece.trim_start().len();
    let trail = piece.len() - piece.trim_end().len();
    if lead + trail < piece.len() {
        out.push(Sentence {
            start: s + lead,
            end: e - trail,
            para,
        });
    }
}

/// Whether the stop at byte `i` ends a sentence (the line is `[line_start, end)`).
fn ends_sentence(text: &str, line_start: usize, i: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    if i + 1 >= end {
        return true;
    }
    let prev = if i > line_start { bytes[i - 1] } else { b' ' };
    let next = bytes[i + 1];
    if bytes[i] == b'.' && prev.is_ascii_digit() && next.is_ascii_digit() {
        return false; // decimal point
    }
    if bytes[i] == b'.' && is_abbreviation(&text[line_start..i]) {
        return false;
    }
    if next.is_ascii_whitespace() {
        // The next word must look like a sentence start.
        let rest = text[i + 1..end].trim_start();
        return rest.chars().next().is_some_and(|c| {
            c.is_uppercase() || c.is_ascii_digit() || matches!(c, '“' | '"' | '(' | '‘' | '\'')
        });
    }
    // Glued: `start.First` (a lower-case word or a figure, then a capital).
    next.is_ascii_uppercase()
        && (prev.is_ascii_lowercase()
            || matches!(prev, b'%' | b')' | b'"')
            || text[..i].ends_with('”'))
}

fn is_abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let word = word.to_ascii_lowercase();
    ABBREVIATIONS.contains(&word.as_str())
        || (word.len() == 1 && word.chars().all(|c| c.is_ascii_uppercase()))
}

/// Char offset of byte offset `byte` in `text`.
pub fn char_offset(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        sentences(text)
            .iter()
            .map(|s| &text[s.start..s.end])
            .collect()
    }

    #[test]
    fn sentence_splitting() {
        let cases: &[(&str, &[&str])] = &[
            (
                "1. Fiscal revenue.From January to May, revenue was 1.142 billion yuan.",
                &[
                    "1.",
                    "Fiscal revenue.",
                    "From January to May, revenue was 1.142 billion yuan.",
                ],
            ),
            (
                "It grew 3.5%.The zone said 57.35 million U.S. dollars were used.",
                &[
                    "It grew 3.5%.",
                    "The zone said 57.35 million U.S. dollars were used.",
                ],
            ),
            (
                "Title line\n\n2018-09-10 0 By\nBody. More",
                &["Title line", "2018-09-10 0 By", "Body.", "More"],
            ),
            ("mail jp.jiupainews.com ok", &["mail jp.jiupainews.com ok"]),
        ];
        for (text, want) in cases {
            assert_eq!(split(text), *want, "{text}");
        }
    }

    #[test]
    fn paragraphs_are_numbered() {
        let s = sentences("A one. A two.\n\nB one.");
        assert_eq!(s.iter().map(|s| s.para).collect::<Vec<_>>(), vec![0, 0, 1]);
    }
}
