//! Regions in English text (SPEC §5 Regions): place names are capitalised words ending in a
//! place word (`Yueyang Economic Development Zone`, `Guanshao Industrial Park`, `Lianhua
//! County`). The subject is the place named in the title, else the lead, else the publishing
//! body; `the whole district`, `the county`, `the zone` are the subject; a different place
//! named in a figure's clause wins. Two spellings of one place (`Daya Bay Development Zone`,
//! `Daya Bay Economic and Technological Development Zone`) are the same place.

const PLACE_WORDS: &[&str] = &[
    "Zone",
    "Park",
    "District",
    "County",
    "City",
    "Province",
    "Area",
    "Region",
    "Town",
    "Township",
    "Prefecture",
    "Municipality",
    "Village",
];
/// Capitalised words that start a sentence or title but are not part of a name.
const NOT_NAME: &[&str] = &[
    "The", "In", "From", "Since", "During", "This", "That", "Its", "Our", "A", "An", "At", "By",
    "For", "As", "On", "Of", "And", "First", "Second", "Third", "Fourth", "Fifth",
];

/// Place names in `s`, as `(byte start, byte end)` ranges of `s`, in order.
pub fn place_names(s: &str) -> Vec<(usize, usize)> {
    // Words with their byte ranges.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let part = c.is_alphanumeric() || matches!(c, '-' | '\'' | '‘' | '’');
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                words.push((st, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        words.push((st, s.len()));
    }
    let text_of = |w: (usize, usize)| &s[w.0..w.1];
    let name_word = |w: &str| {
        let mut cs = w.chars();
        match cs.next() {
            // Capitalised, but not an acronym (`GDP of Zhejiang Province`).
            Some(c) if c.is_uppercase() => {
                !(w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()))
            }
            // `Huai ‘an`: an apostrophe-led syllable of a romanised name.
            Some('‘' | '\'' | '’') => cs.next().is_some_and(|c| c.is_alphabetic()),
            _ => false,
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = text_of(words[i]);
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("’s"))
            .unwrap_or(w);
        if !PLACE_WORDS.contains(&w) || i == 0 {
            i += 1;
            continue;
        }
        // Extend the name over following place words (`New Area`, `Zone City`)? Only directly.
        let end = words[i].0 + w.len();
        let mut j = i;
        while j > 0 {
            let prev = text_of(words[j - 1]);
            let joined_by_space_only = s[words[j - 1].1..words[j].0].chars().all(|c| c == ' ');
            if !joined_by_space_only {
                break;
            }
            if name_word(prev)
                || ((prev == "and" || prev == "of") && j >= 2 && name_word(text_of(words[j - 2])))
            {
                j -= 1;
            } else {
                break;
            }
        }
        while j < i
            && (NOT_NAME.contains(&text_of(words[j])) || matches!(text_of(words[j]), "and" | "of"))
        {
            j += 1;
        }
        if j < i {
            out.push((words[j].0, end));
        }
        i += 1;
    }
    out
}

/// The same place written two ways: same first word and same place word.
pub fn same_place(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        let ws: Vec<String> = s
            .split(|c: char| c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            })
            .collect();
        (ws.first().cloned(), ws.last().cloned())
    };
    let (fa, la) = key(a);
    let (fb, lb) = key(b);
    let norm = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    (fa.is_some() && fa == fb && la == lb)
        || norm(a).contains(&norm(b))
        || norm(b).contains(&norm(a))
}

/// Size of a kind of place: province 5 > city 4 > county/district 3 > zone/park 2 > town 1.
fn rank(name: &str) -> Option<u8> {
    let last = name.split_whitespace().last()?;
    Some(match last {
        "Province" | "Region" | "Municipality" => 5,
        "City" | "Prefecture" => 4,
        "County" | "District" => 3,
        "Zone" | "Park" | "Area" => 2,
        "Town" | "Township" | "Village" => 1,
        _ => return None,
    })
}

/// Whether `place` is a smaller kind of place than `subject` (a park in a district report):
/// figures for it are a breakdown of the subject, not events.
pub fn is_inside(place: &str, subject: &str) -> bool {
    matches!((rank(place), rank(subject)), (Some(p), Some(s)) if p < s)
}

/// The subject: the first place named in `candidates` (title, lead, publishing body, …).
pub fn subject<'a>(candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    for c in candidates {
        if let Some((a, b)) = place_names(c).first() {
            return Some(c[*a..*b].to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<&str> {
        place_names(s).into_iter().map(|(a, b)| &s[a..b]).collect()
    }

    #[test]
    fn place_names_in_titles_and_clauses() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Yueyang Economic Development Zone: grasp projects",
                &["Yueyang Economic Development Zone"],
            ),
            (
                "The first quarter of Guanshao Industrial Park achieved",
                &["Guanshao Industrial Park"],
            ),
            (
                "Huai ‘an Industrial Park: adhere to",
                &["Huai ‘an Industrial Park"],
            ),
            (
                "Qingyuan High-tech Zone: the main",
                &["Qingyuan High-tech Zone"],
            ),
            ("Lianhua County: analysis", &["Lianhua County"]),
            (
                "Xiangzhou District of Zhuhai City has",
                &["Xiangzhou District", "Xiangzhou District of Zhuhai City"],
            ),
            ("Zhejiang Daily | Xu Jun: Pay close attention", &[]),
            ("the whole district achieved", &[]),
            ("In Guangdong Province, GDP grew", &["Guangdong Province"]),
            ("The GDP of Zhejiang Province grew", &["Zhejiang Province"]),
            ("Xinyu City's GDP grew", &["Xinyu City"]),
        ];
        for (s, want) in cases {
            assert_eq!(names(s), *want, "{s}");
        }
    }

    #[test]
    fn subject_and_aliases() {
        assert_eq!(
            subject([
                "Zhejiang Daily | Xu Jun: Pay",
                "Source: Xiangzhou District Statistics Bureau"
            ]),
            Some("Xiangzhou District".to_string())
        );
        assert!(same_place(
            "Daya Bay Development Zone",
            "Daya Bay Economic and Technological Development Zone"
        ));
        assert!(same_place(
            "Xiangzhou District",
            "Xiangzhou District of Zhuhai City"
        ));
        assert!(!same_place("Xiangzhou District", "Guangdong Province"));
    }
}
