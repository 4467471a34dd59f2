//! Bytes → text. Encodings are detected, never assumed: a BOM wins, then valid UTF-8, then (for
//! HTML) a declared charset that decodes cleanly, then `chardetng`'s guess. Only the encodings
//! newsrooms send (UTF-8, UTF-16, GB18030/GBK, Big5) are accepted; anything else, binary data
//! or bytes that decode into replacement-character soup are rejected with a reason.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

/// Why bytes could not become text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Empty,
    Binary {
        control_chars: usize,
        chars: usize,
    },
    Undecodable {
        encoding: &'static str,
        bad: usize,
        chars: usize,
    },
    Unsupported {
        guessed: &'static str,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "empty input: the file has no bytes"),
            DecodeError::Binary {
                control_chars,
                chars,
            } => write!(
                f,
                "binary data, not text: {control_chars} control characters in {chars}; \
                 send the article as UTF-8, GB18030 or Big5 text"
            ),
            DecodeError::Undecodable {
                encoding,
                bad,
                chars,
            } => write!(
                f,
                "undecodable bytes: best guess {encoding} leaves {bad} invalid sequences in \
                 {chars} characters; re-save the file as UTF-8"
            ),
            DecodeError::Unsupported { guessed } => write!(
                f,
                "unsupported encoding: looks like {guessed}; supported are UTF-8, UTF-16 \
                 (with BOM), GB18030/GBK and Big5 — re-save the file as UTF-8"
            ),
        }
    }
}

/// Decoded text and the encoding it was read with.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Share of invalid sequences tolerated (a truncated last character, a stray byte), beyond
/// which the text is rejected instead of being mangled into U+FFFD.
const MAX_BAD_PER_MILLE: usize = 5;

fn count_replacements(text: &str) -> usize {
    text.chars().filter(|&c| c == '\u{FFFD}').count()
}

fn control_chars(text: &str) -> usize {
    text.chars()
        .filter(|&c| (c < ' ' && !matches!(c, '\n' | '\r' | '\t' | '\x0c')) || c == '\x7f')
        .count()
}

fn decode_with(enc: &'static Encoding, bytes: &[u8]) -> (String, usize) {
    let (text, _) = enc.decode_without_bom_handling(bytes);
    let bad = count_replacements(&text);
    (text.into_owned(), bad)
}

fn accept(
    text: String,
    enc: &'static Encoding,
    bad_before: usize,
    bad: usize,
) -> Result<Decoded, DecodeError> {
    let chars = text.chars().count().max(1);
    let introduced = bad.saturating_sub(bad_before);
    if introduced * 1000 > chars * MAX_BAD_PER_MILLE {
        return Err(DecodeError::Undecodable {
            encoding: enc.name(),
            bad: introduced,
            chars,
        });
    }
    let ctrl = control_chars(&text);
    if ctrl * 100 > chars || text.contains('\0') {
        return Err(DecodeError::Binary {
            control_chars: ctrl,
            chars,
        });
    }
    Ok(Decoded {
        text,
        encoding: enc.name(),
    })
}

/// A charset declared by an HTML page (`<meta charset=…>` or `content="…; charset=…"`), looked
/// for in the first 2 KB only.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let pos = lower.windows(8).position(|w| w == b"charset=")?;
    let rest = &lower[pos + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

fn supported(enc: &'static Encoding) -> Option<&'static Encoding> {
    if enc == UTF_8 || enc == UTF_16LE || enc == UTF_16BE || enc == BIG5 {
        Some(enc)
    } else if enc == GBK || enc == GB18030 {
        // GB18030 is a superset of GBK and GB2312: always decode with it.
        Some(GB18030)
    } else {
        None
    }
}

/// UTF-16 without a BOM: many NUL bytes on one side of each code unit.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let even_nul = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let odd_nul = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    if odd_nul * 10 >= pairs * 3 && even_nul * 10 < pairs {
        Some(UTF_16LE)
    } else if even_nul * 10 >= pairs * 3 && odd_nul * 10 < pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decode `bytes`; `is_html` allows a declared `<meta charset>` to be considered.
pub fn decode(bytes: &[u8], is_html: bool) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (text, bad) = decode_with(enc, &bytes[bom_len..]);
        return accept(text, enc, 0, bad);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let bad = count_replacements(text);
        return accept(text.to_string(), UTF_8, bad, bad);
    }
    if let Some(enc) = sniff_utf16(bytes) {
        let (text, bad) = decode_with(enc, bytes);
        return accept(text, enc, 0, bad);
    }
    if is_html {
        if let Some(enc) = declared_charset(bytes).and_then(supported) {
            if enc != UTF_16LE && enc != UTF_16BE {
                let (text, bad) = decode_with(enc, bytes);
                if bad == 0 {
                    return accept(text, enc, 0, 0);
                }
            }
        }
    }
    let ctrl = bytes
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)) || b == 0x7f)
        .count();
    if ctrl * 100 > bytes.len() {
        return Err(DecodeError::Binary {
            control_chars: ctrl,
            chars: bytes.len(),
        });
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guessed = detector.guess(None, Utf8Detection::Allow);
    let (utf8_text, utf8_bad) = decode_with(UTF_8, bytes);
    if guessed == UTF_8 {
        // Mostly-valid UTF-8 (a truncated character) is still UTF-8.
        return accept(utf8_text, UTF_8, 0, utf8_bad);
    }
    let Some(enc) = supported(guessed) else {
        return Err(DecodeError::Unsupported {
            guessed: guessed.name(),
        });
    };
    let (text, bad) = decode_with(enc, bytes);
    if utf8_bad < bad {
        return accept(utf8_text, UTF_8, 0, utf8_bad);
    }
    accept(text, enc, 0, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(
            decode("今年以来".as_bytes(), false).unwrap().text,
            "今年以来"
        );
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice("今年以来".as_bytes());
        assert_eq!(decode(&b, false).unwrap().text, "今年以来");
    }

    #[test]
    fn utf16_with_bom() {
        let mut b = vec![0xFF, 0xFE];
        for u in "工业增加值增长8.8%".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode(&b, false).unwrap();
        assert_eq!(d.text, "工业增加值增长8.8%");
        assert_eq!(d.encoding, "UTF-16LE");
    }

    #[test]
    fn gb18030_and_big5_are_detected() {
        let text = "今年以来,全市规模以上工业企业共完成产值2309.45亿元,比上年同期增长22.5%,\
                    仅用十个月时间就超过了去年全年的工业总产值。";
        let (gb, _, _) = GB18030.encode(text);
        let d = decode(&gb, false).unwrap();
        assert_eq!(d.text, text);
        let trad = "今年以來,全市規模以上工業企業共完成產值2309.45億元,比上年同期增長22.5%,\
                    僅用十個月時間就超過了去年全年的工業總產值。";
        let (b5, _, _) = BIG5.encode(trad);
        let d = decode(&b5, false).unwrap();
        assert_eq!(d.text, trad);
        assert_eq!(d.encoding, "Big5");
    }

    #[test]
    fn binary_and_empty_are_rejected() {
        assert_eq!(decode(b"", false).unwrap_err(), DecodeError::Empty);
        let bin: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        assert!(decode(&bin, false).is_err());
    }
}
