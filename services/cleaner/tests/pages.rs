//! Page shapes beyond the seeds: a hot-articles list above the article, a borderless `|` table
//! whose header row looks like navigation, a disclaimer sentence in the footer, an English HTML
//! page with a byline and an aside.

use newsflow_cleaner::clean;
use newsflow_shared::records::{CleanArticle, Lang, RawArticle};

fn run(path: &str, text: &str) -> CleanArticle {
    clean(&RawArticle {
        source_path: path.to_string(),
        received_at: None,
        bytes: text.as_bytes().to_vec().into(),
    })
    .expect("cleans")
}

const PORTAL_DUMP: &str = "欢迎访问某某新闻网,我们竭诚为您服务。
首页 | 新闻 | 财经 | 体育 | 娱乐 | 科技
热门文章
 · 某市一季度GDP增长5.2%
 · 某县规上工业增加值增长8.1%
当前位置:首页 > 财经 > 正文

某市1-3月经济运行情况
发布时间:2023年4月20日 10:30  来源:某市统计局  作者:张三

  一季度,全市地区生产总值达到1234.5亿元,同比增长5.6%。
  其中,规模以上工业增加值增长7.2%,固定资产投资增长10.3%。

表1 主要指标
指标 | 数值 | 增长%
生产总值 | 1234.5 | 5.6
工业增加值 | -- | 7.2

  下一步,全市将继续推进高质量发展。

(责任编辑:李四)
本网站所刊登的信息仅供参考,不代表本网观点。
上一篇:某市2月经济 下一篇:某市4月经济
Copyright 2023 某某新闻网 版权所有
";

#[test]
fn list_above_the_article_and_borderless_table() {
    let a = run("inbox/portal.txt", PORTAL_DUMP);
    assert_eq!(a.title.as_deref(), Some("某市1-3月经济运行情况"));
    assert_eq!(a.source.published.as_deref(), Some("2023-04-20T10:30:00"));
    assert_eq!(a.source.name.as_deref(), Some("某市统计局"));
    assert_eq!(a.author.as_deref(), Some("张三"));
    assert_eq!(a.editor.as_deref(), Some("李四"));
    assert_eq!(
        a.text,
        "一季度,全市地区生产总值达到1234.5亿元,同比增长5.6%。\n\
         其中,规模以上工业增加值增长7.2%,固定资产投资增长10.3%。\n\
         表1 主要指标\n\
         指标\t数值\t增长%\n\
         生产总值\t1234.5\t5.6\n\
         工业增加值\t--\t7.2\n\
         下一步,全市将继续推进高质量发展。"
    );
}

#[test]
fn english_html_page() {
    let html = r#"<html><head><title>City GDP grows 5% - Daily News</title>
<meta property="article:published_time" content="2023-04-20T10:30:00+08:00"></head>
<body><header><div class="logo">Daily News</div><ul class="menu"><li><a href="/">Home</a></li>
<li><a href="/biz">Business</a></li></ul></header>
<article><h1>City GDP grows 5%</h1><p class="byline">By Jane Doe | Source: City Statistics Bureau</p>
<p>The city's GDP reached 123.4 billion yuan in the first quarter, up 5.6% year on year.The industrial added value grew 7.2%.</p>
<p>Fixed asset investment rose 10.3%, the bureau said on Thursday.</p>
<div class="related"><h3>Related</h3><ul><li><a href="/x">County output up 8%</a></li></ul></div>
</article><aside><p>Subscribe to our newsletter for the latest economic news every morning, delivered to your inbox.</p></aside>
<footer>Copyright 2023 Daily News</footer></body></html>"#;
    let a = run("inbox/page.html", html);
    assert_eq!(a.lang, Lang::En);
    assert_eq!(a.title.as_deref(), Some("City GDP grows 5%"));
    assert_eq!(a.source.published.as_deref(), Some("2023-04-20T10:30:00"));
    assert_eq!(a.source.name.as_deref(), Some("City Statistics Bureau"));
    assert_eq!(
        a.text,
        "The city's GDP reached 123.4 billion yuan in the first quarter, up 5.6% year on year. \
         The industrial added value grew 7.2%.\n\
         Fixed asset investment rose 10.3%, the bureau said on Thursday."
    );
}

#[test]
fn full_width_forms_fold_but_symbols_stay() {
    let a = run(
        "inbox/fw.txt",
        "１－５月，全区完成工业总产值３２６亿元，同比增长６．７％；新建厂房１２００㎡，①号线开通。",
    );
    assert_eq!(
        a.text,
        "1-5月,全区完成工业总产值326亿元,同比增长6.7%;新建厂房1200㎡,①号线开通。"
    );
}

#[test]
fn gb2312_layout_table_portal() {
    let html = r#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>某县前三季度经济运行情况</title></head>
<body><table width="100%"><tr><td><a href="/">首页</a> | <a href="/a">政务公开</a> | <a href="/b">统计数据</a> | <a href="/c">互动交流</a></td></tr></table>
<table width="980"><tr><td width="200" valign="top"><table><tr><td><a href="/x">通知公告</a></td></tr><tr><td><a href="/y">统计法规</a></td></tr></table></td>
<td valign="top"><table><tr><td align="center"><font size="4"><b>某县前三季度经济运行情况</b></font></td></tr>
<tr><td>发布日期:2021-10-25  来源:某县统计局</td></tr>
<tr><td class="content">　　前三季度,全县实现地区生产总值156.3亿元,同比增长9.1%。<br>　　其中,第一产业增加值21.2亿元,增长7.5%;第二产业增加值60.1亿元,增长10.2%。<br>　　全县固定资产投资同比增长12.4%,社会消费品零售总额46.8亿元,增长13.5%。</td></tr>
</table></td></tr></table>
<table><tr><td>版权所有:某县人民政府 技术支持:某某科技 ICP备案号:12345</td></tr></table></body></html>"#;
    let (bytes, _, _) = encoding_rs::GB18030.encode(html);
    let a = clean(&RawArticle {
        source_path: "inbox/county.htm".into(),
        received_at: None,
        bytes: bytes.into_owned().into(),
    })
    .expect("cleans");
    assert_eq!(a.title.as_deref(), Some("某县前三季度经济运行情况"));
    assert_eq!(a.source.published.as_deref(), Some("2021-10-25"));
    assert_eq!(a.source.name.as_deref(), Some("某县统计局"));
    assert_eq!(
        a.text,
        "前三季度,全县实现地区生产总值156.3亿元,同比增长9.1%。\n\
         其中,第一产业增加值21.2亿元,增长7.5%;第二产业增加值60.1亿元,增长10.2%。\n\
         全县固定资产投资同比增长12.4%,社会消费品零售总额46.8亿元,增长13.5%。"
    );
}
