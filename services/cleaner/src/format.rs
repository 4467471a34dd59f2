//! Which reader an input needs, told by the extension of its inbox path (`FILE.jsonl#N` is one
//! line of a batch), and sniffed from the first bytes when the extension says nothing.

/// Input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Json,
    JsonLine,
}

impl Format {
    /// The format of the input at `path` whose content starts with `bytes`.
    pub fn of(path: &str, bytes: &[u8]) -> Format {
        let (file, line_no) = match path.rsplit_once('#') {
            Some((f, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => (f, true),
            _ => (path, false),
        };
        let ext = file
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "html" | "htm" | "xhtml" | "shtml" => Format::Html,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::JsonLine,
            "txt" | "text" => Format::Text,
            _ if line_no => Format::JsonLine,
            _ => Self::sniff(bytes),
        }
    }

    fn sniff(bytes: &[u8]) -> Format {
        let head: Vec<u8> = bytes
            .iter()
            .skip_while(|b| b.is_ascii_whitespace() || **b == 0xEF || **b == 0xBB || **b == 0xBF)
            .take(512)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        if head.starts_with(b"{") {
            Format::Json
        } else if head.starts_with(b"<!doctype html")
            || head.starts_with(b"<html")
            || head.windows(5).any(|w| w == b"<body")
        {
            Format::Html
        } else {
            Format::Text
        }
    }

    /// Name for reports and reasons.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Html => "html",
            Format::Json => "json",
            Format::JsonLine => "jsonl",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_extension_and_sniffing() {
        assert_eq!(Format::of("a/b.TXT", b""), Format::Text);
        assert_eq!(Format::of("x.htm", b""), Format::Html);
        assert_eq!(Format::of("batch.jsonl#3", b"{}"), Format::JsonLine);
        assert_eq!(Format::of("batch.ndjson#12", b"{}"), Format::JsonLine);
        assert_eq!(Format::of("item.json", b"{}"), Format::Json);
        assert_eq!(
            Format::of("noext", b"  <!DOCTYPE html><html>"),
            Format::Html
        );
        assert_eq!(Format::of("noext", b"{\"title\":1}"), Format::Json);
        assert_eq!(Format::of("noext", "今年".as_bytes()), Format::Text);
    }
}
