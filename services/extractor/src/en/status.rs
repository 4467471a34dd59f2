//! Status words (SPEC §5 Status): `strive to`, `aim to`, `plan to`, `target`, `goal` → target;
//! `is expected to`, `it is expected that`, `estimated` → forecast. A status word governs the
//! figures after it in its sentence (so one heading a list governs the whole list).

use super::ascii_regex;
use newsflow_shared::records::Status;
use regex::Regex;
use std::sync::LazyLock;

static TARGET: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b(strives?\s+(to|for)|striving\s+(to|for)|aim(s|ing)?\s+(to|at|for)|will\s+aim|plan(s|ning)?\s+to|planned\s+to|it\s+is\s+planned|targets?|targeted\s+(at|to)|goals?|objectives?|expected\s+targets?|endeavou?r\s+to|seeks?\s+to)\b").expect("target regex")
});
static FORECAST: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\b((is|are|was|were)\s+expected\s+to|it\s+is\s+expected|expected\s+to|estimated\s+(to|at)|an\s+estimated|it\s+is\s+estimated|(is|are)\s+projected\s+to|(is|are)\s+(predicted|anticipated)\s+to|it\s+is\s+(predicted|anticipated|projected)|forecast(s|ed)?\s+to|is\s+likely\s+to|expects?\s+to)\b").expect("forecast regex")
});

/// Status cues in `text[start..end]`: byte position and status, in order.
pub fn cues(text: &str, start: usize, end: usize) -> Vec<(usize, Status)> {
    let s = &text[start..end];
    let mut out: Vec<(usize, Status)> = TARGET
        .find_iter(s)
        .map(|m| (start + m.start(), Status::Target))
        .collect();
    for m in FORECAST.find_iter(s) {
        // `expected targets` is a target word, not a forecast.
        if !s[m.start()..]
            .to_ascii_lowercase()
            .starts_with("expected target")
        {
            out.push((start + m.start(), Status::Forecast));
        }
    }
    out.sort_by_key(|c| c.0);
    out
}

/// The status word governing a figure at byte `pos`: the last cue before it, if any.
pub fn cue_before(cues: &[(usize, Status)], pos: usize) -> Option<Status> {
    cues.iter().take_while(|c| c.0 <= pos).last().map(|c| c.1)
}

/// A paragraph that is an item of a list (`1. …`, `(2) …`, `- …`, `First, …`).
pub fn is_list_item(paragraph_start: &str) -> bool {
    static ITEM: LazyLock<Regex> = LazyLock::new(|| {
        ascii_regex(r"(?i)^\s*(\(?\d{1,2}[.)、]|\(\d{1,2}\)|[-•·*]\s|[a-h][.)]\s|\(?[ivx]{1,4}[.)]\s|(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(ly)?\b)")
            .expect("list item regex")
    });
    ITEM.is_match(paragraph_start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        let cases = [
            ("the zone will strive to achieve GDP of X", Status::Target),
            ("the park will aim to realize output of X", Status::Target),
            ("the county plans to reach X", Status::Target),
            ("the target for exports is X", Status::Target),
            (
                "It is expected that in the first half output will exceed X",
                Status::Forecast,
            ),
            ("exports are expected to reach X", Status::Forecast),
            ("the zone completed output of X", Status::Actual),
        ];
        for (text, want) in cases {
            let c = cues(text, 0, text.len());
            assert_eq!(
                cue_before(&c, text.len()).unwrap_or(Status::Actual),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn a_cue_governs_only_what_follows_it() {
        let text = "output was X, reaching the expected targets";
        let c = cues(text, 0, text.len());
        assert_eq!(cue_before(&c, text.find('X').unwrap()), None);
        assert_eq!(c[0].1, Status::Target);
    }
}
