//! The same story via another site, encoding or script cleans to the same canonical text (and so
//! the same `article_id`): an HTML re-post, a GB18030 copy and a Big5 Traditional copy of the
//! dev articles and seeds, generated here.

use encoding_rs::{BIG5, GB18030};
use ferrous_opencc::{config::BuiltinConfig, OpenCC};
use newsflow_cleaner::clean;
use newsflow_e2e::corpus_dir;
use newsflow_shared::records::{CleanArticle, RawArticle, Script};
use std::path::PathBuf;

fn corpus_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["seeds", "dev/articles"] {
        let mut v: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join(sub))
            .expect("corpus dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        v.sort();
        files.extend(v);
    }
    files
}

fn clean_bytes(path: &str, bytes: Vec<u8>) -> CleanArticle {
    let raw = RawArticle {
        source_path: path.to_string(),
        received_at: None,
        bytes: bytes.into(),
    };
    clean(&raw).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn original(path: &PathBuf) -> CleanArticle {
    let bytes = std::fs::read(path).expect("read");
    clean_bytes(&path.display().to_string(), bytes)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A portal page around the article: navigation, breadcrumb, title, info line, body
/// paragraphs and tables, share widget, related list, footer.
fn html_repost(a: &CleanArticle) -> String {
    let mut body = String::new();
    let mut in_table = false;
    for line in a.text.lines() {
        if line.contains('\t') {
            if !in_table {
                body.push_str("<table border=\"1\">\n");
                in_table = true;
            }
            body.push_str("<tr>");
            for cell in line.split('\t') {
                body.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            body.push_str("</tr>\n");
        } else {
            if in_table {
                body.push_str("</table>\n");
                in_table = false;
            }
            body.push_str(&format!("<p>{}</p>\n", escape(line)));
        }
    }
    if in_table {
        body.push_str("</table>\n");
    }
    let title = escape(a.title.as_deref().unwrap_or("新闻"));
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_新闻中心_某某网</title>
<script>var x = "<p>not text</p>";</script><style>p {{ color: red }}</style></head>
<body>
<div id="top-nav"><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/biz/">财经</a> | <a href="/gov/">政务</a></div>
<div class="breadcrumb">当前位置:<a href="/">首页</a> &gt; <a href="/news/">新闻中心</a> &gt; 正文</div>
<div class="wrap"><div class="left">
<h1>{title}</h1>
<div class="info">发布时间:2024-03-01 08:00 &nbsp; 来源:某某网 &nbsp; 字号:<a>大</a> <a>中</a> <a>小</a></div>
<div class="content">
{body}</div>
<div class="share">分享到:<a>微信</a> <a>微博</a></div>
</div>
<div class="right"><h3>热门文章</h3><ul><li><a href="/1">某地一季度经济运行稳中有进,规上工业增加值增长8.8%</a></li>
<li><a href="/2">又一重大项目签约落地,总投资100亿元</a></li></ul></div></div>
<footer>版权所有 © 某某网 京ICP备12345678号</footer>
</body></html>"#
    )
}

#[test]
fn html_repost_cleans_to_the_same_text() {
    let mut checked = 0;
    for path in corpus_files() {
        let a = original(&path);
        let html = html_repost(&a);
        let b = clean_bytes("repost/page.html", html.into_bytes());
        assert_eq!(b.text, a.text, "HTML re-post of {} differs", path.display());
        assert_eq!(b.article_id, a.article_id);
        assert_eq!(b.source.name.as_deref(), Some("某某网"));
        checked += 1;
    }
    assert!(checked >= 30);
}

#[test]
fn gb18030_copy_cleans_to_the_same_text() {
    let mut checked = 0;
    for path in corpus_files() {
        let bytes = std::fs::read(&path).expect("read");
        let Ok(text) = String::from_utf8(bytes) else {
            continue; // already a GB18030 file (x_a04)
        };
        let a = original(&path);
        let (gb, _, unmappable) = GB18030.encode(&text);
        assert!(!unmappable, "GB18030 encodes all of Unicode");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let b = clean_bytes(&format!("gb/{name}"), gb.into_owned());
        assert_eq!(b.text, a.text, "GB18030 copy of {name} differs");
        assert_eq!(b.article_id, a.article_id);
        assert_eq!(b.title, a.title);
        assert_eq!(b.source.published, a.source.published);
        checked += 1;
    }
    assert!(checked >= 30);
}

#[test]
fn big5_traditional_copy_cleans_to_the_same_text() {
    // Taiwan standard forms (`為`, `群`): the ones Big5 can encode.
    let s2t = OpenCC::from_config(BuiltinConfig::S2tw).expect("s2tw tables");
    let mut checked = 0;
    for path in corpus_files() {
        let a = original(&path);
        if a.script != Script::Hans {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        // A no-break space is whitespace either way; Big5 has no code for it.
        let traditional = s2t.convert(&text).replace('\u{a0}', " ");
        let (big5, _, unmappable) = BIG5.encode(&traditional);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if unmappable {
            // Big5 lacks some characters (e.g. `—` variants); such a page can't be sent in Big5.
            let missing: String = traditional
                .chars()
                .filter(|c| BIG5.encode(&c.to_string()).2)
                .collect();
            eprintln!("{name}: not representable in Big5 ({missing}), skipped");
            continue;
        }
        let b = clean_bytes(&format!("big5/{name}"), big5.into_owned());
        assert_eq!(b.script, Script::Hant, "{name}: script as received");
        assert_eq!(b.text, a.text, "Big5 Traditional copy of {name} differs");
        assert_eq!(b.article_id, a.article_id);
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} articles checked");
}
