//! Chinese and Arabic numerals, magnitude units and money/energy units, read exactly
//! (`17.9`, `1,794`, `两`, `十二`, `一百二十`, `四十九点三`, `百分之五点九`, `42.18亿元`), so the
//! readers never go through a float.

use rust_decimal::Decimal;
use std::str::FromStr;

/// An Arabic number as written: optional sign, thousands separators, decimals.
pub fn parse_arabic(s: &str) -> Option<Decimal> {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != ',' && *c != '\u{FF0C}' && !c.is_whitespace())
        .map(|c| match c {
            '−' | '－' => '-',
            '．' => '.',
            c => c,
        })
        .collect();
    if cleaned.is_empty() || cleaned == "-" {
        return None;
    }
    Decimal::from_str(&cleaned).ok()
}

fn digit(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// True for the characters a Chinese numeral is written with.
pub fn is_chinese_numeral_char(c: char) -> bool {
    digit(c).is_some() || matches!(c, '十' | '百' | '千' | '万' | '亿' | '点')
}

/// A whole Chinese numeral below 10^16 (`十二`, `一百零八`, `两千三百万`).
fn parse_chinese_integer(s: &str) -> Option<Decimal> {
    if s.is_empty() {
        return None;
    }
    let mut total = Decimal::ZERO; // completed 亿 groups
    let mut section = Decimal::ZERO; // completed 万 groups inside the current 亿 group
    let mut small = Decimal::ZERO; // below 万
    let mut pending: Option<u32> = None;
    let mut any = false;
    for c in s.chars() {
        if let Some(d) = digit(c) {
            pending = Some(d);
            any = true;
            continue;
        }
        let unit: u32 = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' | '亿' => {
                small += Decimal::from(pending.take().unwrap_or(0));
                if c == '万' {
                    section += small * Decimal::from(10_000);
                } else {
                    total += (section + small) * Decimal::from(100_000_000);
                    section = Decimal::ZERO;
                }
                small = Decimal::ZERO;
                any = true;
                continue;
            }
            _ => return None,
        };
        // `十二` = 12: a bare 十 counts one ten.
        let d = pending.take().unwrap_or(1);
        small += Decimal::from(d * unit);
        any = true;
    }
    small += Decimal::from(pending.unwrap_or(0));
    any.then_some(total + section + small)
}

/// A Chinese numeral with an optional decimal part (`四十九点三` → 49.3).
pub fn parse_chinese(s: &str) -> Option<Decimal> {
    let (int, frac) = match s.split_once('点') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let mut v = if int.is_empty() {
        Decimal::ZERO
    } else {
        parse_chinese_integer(int)?
    };
    if let Some(f) = frac {
        if f.is_empty() {
            return None;
        }
        let mut digits = String::from("0.");
        for c in f.chars() {
            digits.push(char::from_digit(digit(c)?, 10)?);
        }
        v += Decimal::from_str(&digits).ok()?;
    }
    Some(v)
}

/// Arabic or Chinese numeral.
pub fn parse_number(s: &str) -> Option<Decimal> {
    if s.chars().any(|c| c.is_ascii_digit()) {
        parse_arabic(s)
    } else {
        parse_chinese(s)
    }
}

/// The multiplier of a magnitude prefix (`万`, `亿`, `万亿`, `千`, `百`).
pub fn magnitude(m: &str) -> Option<Decimal> {
    Some(match m {
        "" => Decimal::ONE,
        "百" => Decimal::from(100),
        "千" => Decimal::from(1000),
        "万" => Decimal::from(10_000),
        "亿" => Decimal::from(100_000_000),
        "万亿" => Decimal::from(1_000_000_000_000u64),
        _ => return None,
    })
}

/// The base unit (`CNY`, `USD`, `kWh`) of a unit word (`元`, `美元`, `千瓦时`, `度`).
pub fn base_unit(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "元" | "人民币" => "CNY",
        "美元" => "USD",
        "千瓦时" | "度" | "kWh" => "kWh",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numerals() {
        let cases: &[(&str, &str)] = &[
            ("17.9", "17.9"),
            ("1,794", "1794"),
            ("-1.5", "-1.5"),
            ("68630320", "68630320"),
            ("两", "2"),
            ("十二", "12"),
            ("一百二十", "120"),
            ("四十九点三", "49.3"),
            ("二百五十七点九", "257.9"),
            ("一百零八点九", "108.9"),
            ("三十八", "38"),
            ("五点九", "5.9"),
            ("两千三百万", "23000000"),
            ("一亿零五百万", "105000000"),
            ("十", "10"),
        ];
        for (s, want) in cases {
            assert_eq!(parse_number(s), Some(d(want)), "{s}");
        }
        assert_eq!(parse_number("点"), None);
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn units() {
        assert_eq!(magnitude("亿").unwrap() * d("42.18"), d("4218000000"));
        assert_eq!(magnitude("万亿").unwrap() * d("1.9"), d("1900000000000"));
        assert_eq!(base_unit("美元"), Some("USD"));
        assert_eq!(base_unit("度"), Some("kWh"));
        assert_eq!(base_unit("吨"), None);
    }
}
