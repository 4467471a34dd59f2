//! Bad input is rejected with a reason a human can act on, and no input makes the cleaner panic
//! (random bytes, truncations of every corpus file under every format).

use newsflow_cleaner::{clean, CleanError};
use newsflow_e2e::corpus_dir;
use newsflow_shared::records::RawArticle;

fn run(path: &str, bytes: &[u8]) -> Result<newsflow_shared::records::CleanArticle, CleanError> {
    clean(&RawArticle {
        source_path: path.to_string(),
        received_at: None,
        bytes: bytes.to_vec().into(),
    })
}

fn reason(path: &str, bytes: &[u8]) -> (String, &'static str) {
    let e = run(path, bytes).expect_err("must be rejected");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "one line: {msg}");
    (msg, e.reason_code())
}

#[test]
fn empty_input() {
    let (msg, code) = reason("a.txt", b"");
    assert_eq!(code, "empty_input");
    assert!(msg.contains("empty"), "{msg}");
}

#[test]
fn whitespace_only_and_chrome_only_have_no_body() {
    let (msg, code) = reason("a.txt", b"  \n\n \t \n");
    assert_eq!(code, "empty_body", "{msg}");
    let chrome = "首页 | 新闻 | 财经 | 政务 | 专题\n当前位置:首页 > 新闻\n版权所有 某某网\n";
    let (msg, code) = reason("a.txt", chrome.as_bytes());
    assert_eq!(code, "empty_body", "{msg}");
    assert!(msg.contains("no article body"), "{msg}");
}

#[test]
fn undecodable_bytes() {
    // Binary data.
    let bin: Vec<u8> = (0..2048u32).map(|i| (i * 7 % 256) as u8).collect();
    let (msg, code) = reason("a.txt", &bin);
    assert!(matches!(code, "binary" | "undecodable"), "{code}: {msg}");
    assert!(msg.contains("UTF-8"), "tells what to send instead: {msg}");
    // Latin-1 (windows-1252) text: not one of the supported encodings.
    let latin1: Vec<u8> = b"Caf\xe9 cr\xe8me: the r\xe9gion's \xe9conomie grew 5% in the ann\xe9e \xe0 venir, \xe9t\xe9 \xe9t\xe9."
        .to_vec();
    let (msg, code) = reason("a.txt", &latin1);
    assert!(
        matches!(code, "unsupported_encoding" | "undecodable"),
        "{code}: {msg}"
    );
    assert!(msg.contains("UTF-8"), "{msg}");
}

#[test]
fn malformed_json() {
    let (msg, code) = reason("item.json", br#"{"title": "x", "body": "unterminated"#);
    assert_eq!(code, "malformed_json");
    assert!(
        msg.contains("malformed JSON") && msg.contains("line"),
        "{msg}"
    );
    let (msg, code) = reason("batch.jsonl#3", b"not json at all");
    assert_eq!(code, "malformed_json", "{msg}");
    let (msg, code) = reason("item.json", b"[1, 2]");
    assert_eq!(code, "json_not_object", "{msg}");
}

#[test]
fn json_without_body() {
    let (msg, code) = reason(
        "item.json",
        r#"{"title":"标题","published":"2022-01-01"}"#.as_bytes(),
    );
    assert_eq!(code, "json_without_body");
    assert!(msg.contains("\"body\"") && msg.contains("title"), "{msg}");
    let (_, code) = reason("b.jsonl#1", br#"{"title":"x","text":"   "}"#);
    assert_eq!(code, "json_without_body");
}

#[test]
fn json_items_clean() {
    let item = r#"{"title":"萍乡经开区","body":"今年以来,全区完成财政总收入17.9亿元,同比增长8.8%。\n\n完成规上工业总产值326亿元,同比增长6.7%。","published":"2022年7月22日","source":"萍乡日报","url":"http://example.org/a"}"#;
    let a = run("batch.jsonl#2", item.as_bytes()).unwrap();
    assert_eq!(
        a.text,
        "今年以来,全区完成财政总收入17.9亿元,同比增长8.8%。\n完成规上工业总产值326亿元,同比增长6.7%。"
    );
    assert_eq!(a.title.as_deref(), Some("萍乡经开区"));
    assert_eq!(a.source.published.as_deref(), Some("2022-07-22"));
    assert_eq!(a.source.name.as_deref(), Some("萍乡日报"));
    assert_eq!(a.source.url.as_deref(), Some("http://example.org/a"));
    assert_eq!(a.source.path.as_deref(), Some("batch.jsonl#2"));
    // An HTML body inside JSON.
    let item = r#"{"title":"T","content":"<p>1-5月,全区规模以上工业增加值增长8.1%。</p><p>固定资产投资增长10%。</p>"}"#;
    let a = run("x.json", item.as_bytes()).unwrap();
    assert_eq!(
        a.text,
        "1-5月,全区规模以上工业增加值增长8.1%。\n固定资产投资增长10%。"
    );
}

/// xorshift64*: a deterministic generator for test inputs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const PATHS: [&str; 5] = ["x.txt", "x.html", "x.json", "b.jsonl#1", "noext"];

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let alphabet: Vec<u8> =
        "<p>今年</p>{\"body\":\"增长8.8%\"}|  \n相关阅读•(jìn)12.5%来源:2022-07-22 "
            .bytes()
            .collect();
    for i in 0..1500 {
        let len = (rng.next() % 600) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(3) {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        let _ = run(PATHS[i % PATHS.len()], &bytes);
    }
}

#[test]
fn truncated_corpus_files_never_panic() {
    for sub in ["seeds", "dev/articles"] {
        let dir = corpus_dir().join(sub);
        for entry in std::fs::read_dir(dir).expect("corpus dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            let step = (bytes.len() / 23).max(1);
            for cut in (0..bytes.len()).step_by(step) {
                for path in PATHS {
                    let _ = run(path, &bytes[..cut]);
                    let _ = run(path, &bytes[cut..]);
                }
            }
        }
    }
}
