//! JSON items (`.json` files and `.jsonl` lines): one article object with `title`,
//! `body`|`content`|`text`, `published`, `source` (a name or `{name, url}`), `url`, `author`.

use serde_json::{Map, Value};

/// The fields of a JSON article item.
#[derive(Debug, Default, Clone)]
pub struct JsonItem {
    pub title: Option<String>,
    pub body: String,
    pub published: Option<String>,
    pub source: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
}

/// Why a JSON item is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    Malformed(String),
    NotAnObject(&'static str),
    NoBody(Vec<String>),
}

fn string_field(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match obj.get(*n) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parse one article item.
pub fn parse_item(text: &str) -> Result<JsonItem, JsonError> {
    let value: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| JsonError::Malformed(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(JsonError::NotAnObject(kind_of(&value)));
    };
    let body = string_field(&obj, &["body", "content", "text"]);
    let Some(body) = body else {
        let mut keys: Vec<String> = obj.keys().cloned().collect();
        keys.sort();
        return Err(JsonError::NoBody(keys));
    };
    let (source, source_url) = match obj.get("source") {
        Some(Value::String(s)) if !s.trim().is_empty() => (Some(s.trim().to_string()), None),
        Some(Value::Object(o)) => (
            string_field(o, &["name", "title"]),
            string_field(o, &["url", "link"]),
        ),
        _ => (None, None),
    };
    Ok(JsonItem {
        title: string_field(&obj, &["title", "headline"]),
        body,
        published: string_field(
            &obj,
            &[
                "published",
                "published_at",
                "publish_date",
                "pubdate",
                "date",
                "time",
            ],
        ),
        source,
        url: string_field(&obj, &["url", "link"]).or(source_url),
        author: string_field(&obj, &["author", "byline"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_fields() {
        let it = parse_item(
            r#"{"title":"T","content":"正文。","published":"2022-06-01","source":{"name":"萍乡日报","url":"http://x"}}"#,
        )
        .unwrap();
        assert_eq!(it.title.as_deref(), Some("T"));
        assert_eq!(it.body, "正文。");
        assert_eq!(it.source.as_deref(), Some("萍乡日报"));
        assert_eq!(it.url.as_deref(), Some("http://x"));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse_item("{\"title\":"),
            Err(JsonError::Malformed(_))
        ));
        assert!(matches!(
            parse_item("[1]"),
            Err(JsonError::NotAnObject("an array"))
        ));
        assert!(matches!(
            parse_item(r#"{"title":"x","body":"  "}"#),
            Err(JsonError::NoBody(_))
        ));
    }
}
