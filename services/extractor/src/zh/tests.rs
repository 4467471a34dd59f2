//! Table-driven tests of the Chinese reader: one short article per rule of SPEC §5, and the
//! figures it must (and must not) give.

use crate::{extract, Taxonomy};
use newsflow_shared::records::{CleanArticle, IndicatorEvent, Lang, Script, Source};

fn article(
    title: Option<&str>,
    published: Option<&str>,
    source: Option<&str>,
    text: &str,
) -> CleanArticle {
    let mut a = CleanArticle::new(
        Source {
            path: Some("t.txt".into()),
            name: source.map(str::to_string),
            url: None,
            published: published.map(str::to_string),
        },
        Lang::Zh,
        Script::Hans,
        text.to_string(),
    );
    a.title = title.map(str::to_string);
    a
}

/// `indicator value_base yoy start..end status comparator region`, one string per event.
fn render(e: &IndicatorEvent) -> String {
    let n = |x: &Option<serde_json::Number>| x.as_ref().map_or("-".to_string(), |n| n.to_string());
    format!(
        "{} {} {} {}..{} {} {} {}",
        e.indicator,
        n(&e.value_base),
        n(&e.yoy_pct),
        e.period.start.as_deref().unwrap_or("?"),
        e.period.end.as_deref().unwrap_or("?"),
        serde_json::to_value(e.status).unwrap().as_str().unwrap(),
        e.comparator,
        e.region.as_deref().unwrap_or("?"),
    )
}

fn run(
    title: Option<&str>,
    published: Option<&str>,
    source: Option<&str>,
    text: &str,
) -> Vec<String> {
    extract(
        &article(title, published, source, text),
        &Taxonomy::embedded(),
    )
    .iter()
    .map(render)
    .collect()
}

fn check(title: &str, published: &str, text: &str, want: &[&str]) {
    let got = run(Some(title), Some(published), None, text);
    assert_eq!(got, want, "\ntext: {text}");
}

#[test]
fn values_rates_and_sub_items() {
    check(
        "萍乡经开区做强工业经济",
        "2022-07-22",
        "1至5月,全区完成财政总收入17.9亿元,同比增长8.8%;完成全社会固定资产投资87亿元,同比增长10%,其中工业投资完成42.18亿元,同比增长16.2%;完成外贸出口84亿元,增幅25%。",
        &[
            "fiscal_revenue 1790000000 8.8 2022-01..2022-05 actual = 萍乡经开区",
            "fixed_asset_investment 8700000000 10 2022-01..2022-05 actual = 萍乡经开区",
            "industrial_investment 4218000000 16.2 2022-01..2022-05 actual = 萍乡经开区",
            "exports 8400000000 25 2022-01..2022-05 actual = 萍乡经开区",
        ],
    );
}

#[test]
fn lists_aligned_by_respectively_and_each() {
    check(
        "国家级开发区上半年主要经济指标",
        "2004-08-10",
        "1—6月,49个国家级经济技术开发区共实现工业总产值6692.63亿元、工业增加值1839.73亿元,出口额250.73亿美元,合同外资金额78.94亿美元,实际利用外资53.86亿美元,与上年同期相比分别增长42.4%、36.8%、57.4%、16.5%和48.5%。",
        &[
            "industrial_output 669263000000 42.4 2004-01..2004-06 actual = 国家级经济技术开发区",
            "industrial_value_added 183973000000 36.8 2004-01..2004-06 actual = 国家级经济技术开发区",
            "exports 25073000000 57.4 2004-01..2004-06 actual = 国家级经济技术开发区",
            "foreign_capital_utilized 5386000000 48.5 2004-01..2004-06 actual = 国家级经济技术开发区",
        ],
    );
    check(
        "金华开发区2024年目标任务",
        "2024-03-01",
        "2024年,金华开发区确定的主要目标是:固定资产投资、工业投资和服务业投资各增长12%左右;全社会消费品零售总额增长6%以上。",
        &[
            "fixed_asset_investment - 12 2024-01..2024-12 target = 金华开发区",
            "industrial_investment - 12 2024-01..2024-12 target = 金华开发区",
            "retail_sales - 6 2024-01..2024-12 target >= 金华开发区",
        ],
    );
}

#[test]
fn amounts_listed_after_respectively() {
    check(
        "滨海市经济运行",
        "2023-07-20",
        "1-6月,全市固定资产投资、工业投资分别完成456.7亿元和201.2亿元,同比分别增长12.3%和15.2%;外贸进出口总值125.6亿元,同比下降3.2%。",
        &[
            "fixed_asset_investment 45670000000 12.3 2023-01..2023-06 actual = 滨海市",
            "industrial_investment 20120000000 15.2 2023-01..2023-06 actual = 滨海市",
            "foreign_trade 12560000000 -3.2 2023-01..2023-06 actual = 滨海市",
        ],
    );
}

#[test]
fn an_aggregate_qualified_by_a_threshold_is_still_an_event() {
    check(
        "东川县经济运行",
        "2015-06-20",
        "1-5月,全县500万元以上固定资产投资完成45.6亿元,增长15.2%;全部工业总产值123亿元,增长8%。",
        &[
            "fixed_asset_investment 4560000000 15.2 2015-01..2015-05 actual = 东川县",
            "industrial_output 12300000000 8 2015-01..2015-05 actual = 东川县",
        ],
    );
}

#[test]
fn an_elided_list_item_takes_the_head_noun() {
    check(
        "滨海市经济运行",
        "2023-07-20",
        "1-6月,全市高技术产业投资、制造业、民间投资分别增长17%、12%和5.7%。",
        &[
            "high_tech_investment - 17 2023-01..2023-06 actual = 滨海市",
            "manufacturing_investment - 12 2023-01..2023-06 actual = 滨海市",
        ],
    );
}

#[test]
fn status_words_and_their_reach() {
    // 预计 heading a list governs it; a clause with its own verb is actual.
    check(
        "萍乡经开区",
        "2022-07-22",
        "1至5月,引进省外2000万元以上项目19个,预计实际进资51.6亿元,增长9.8%;预计完成实际利用外资5735万美元,增长13%,完成现汇1794万美元。",
        &[
            "domestic_capital_inflow 5160000000 9.8 2022-01..2022-05 forecast = 萍乡经开区",
            "foreign_capital_utilized 57350000 13 2022-01..2022-05 forecast = 萍乡经开区",
            "foreign_capital_cash 17940000 - 2022-01..2022-05 actual = 萍乡经开区",
        ],
    );
    // 提出 heads its sentence; 以上 binds to its own figure.
    check(
        "钟祥市工业",
        "2022-02-10",
        "钟祥市提出一季度工业产值完成268亿元以上,全市规模工业增加值增速18%。",
        &[
            "industrial_output 26800000000 - 2022-01..2022-03 target >= 钟祥市",
            "industrial_value_added - 18 2022-01..2022-03 target = 钟祥市",
        ],
    );
    // A status word in an aside before the list does not head it.
    check(
        "钟祥市工业",
        "2022-06-10",
        "按照年度计划,1-5月全市完成固定资产投资87亿元,同比增长10%。",
        &["fixed_asset_investment 8700000000 10 2022-01..2022-05 actual = 钟祥市"],
    );
    // 全年预计 → forecast for the whole year.
    check(
        "常州经开区召开会议",
        "2023-12-28",
        "今年常州经开区全年预计可完成地区生产总值992亿元、限上贸易销售额457亿元、实际利用外资7456万美元。",
        &[
            "gdp 99200000000 - 2023-01..2023-12 forecast = 常州经开区",
            "foreign_capital_utilized 74560000 - 2023-01..2023-12 forecast = 常州经开区",
        ],
    );
    // 预计 inside one clause of an actual list is that clause only.
    check(
        "1-5月全县主要经济指标",
        "2021-06-22",
        "1-5月全县固定资产投资比上年同期增长3.3%;分领域看,工业投资增长55.9%,农林牧渔业投资下降2.7%,房地产开发投资预计下降19.8%。",
        &[
            "fixed_asset_investment - 3.3 2021-01..2021-05 actual = ?",
            "industrial_investment - 55.9 2021-01..2021-05 actual = ?",
            "real_estate_investment - -19.8 2021-01..2021-05 forecast = ?",
        ],
    );
}

#[test]
fn periods_govern_their_paragraph_and_years_follow_the_rules() {
    check(
        "前10月武汉规模以上工业产值",
        "2006-11-21",
        "上半年,规模以上工业完成产值1343.18亿元,同比增长24.8%。\n10月份,全市完成工业总产值233.47亿元,比上年同月增长16.4%。\n1—10月,规模以上工业企业累计实现销售产值2256.05亿元,同比增长21.6%。",
        &[
            "industrial_output 134318000000 24.8 2006-01..2006-06 actual = 武汉市",
            "industrial_output 23347000000 16.4 2006-10..2006-10 actual = 武汉市",
            "industrial_sales_output 225605000000 21.6 2006-01..2006-10 actual = 武汉市",
        ],
    );
    // 今年 target → Jan..Dec of the publication year; a bare past year with 全年 → that year.
    check(
        "曾都经济开发区瞄准规模工业产值200亿元",
        "2013-02-19",
        "今年该区把规模工业产值200亿元作为奋斗目标,力争比上年增加50亿元。\n回顾2012年,该区全年完成规模工业产值162亿元,工业产值和农产品加工产值继续双双超过百亿元。",
        &[
            "industrial_output 20000000000 - 2013-01..2013-12 target = 曾都经济开发区",
            "industrial_output 16200000000 - 2012-01..2012-12 actual = 曾都经济开发区",
        ],
    );
    // Comparisons are not periods; 环比 and percentage points are not growth.
    check(
        "国家统计局:2018年5月份规模以上工业增加值增长6.8%",
        "2018-06-14",
        "2018年5月份,全国规模以上工业增加值同比实际增长6.8%,比4月份回落0.2个百分点。从环比看,5月份规模以上工业增加值比上月增长0.58%。1-5月份,全国规模以上工业增加值同比增长6.9%,增速与1-4月份持平。",
        &[
            "industrial_value_added - 6.8 2018-05..2018-05 actual = 全国",
            "industrial_value_added - 6.9 2018-01..2018-05 actual = 全国",
        ],
    );
}

#[test]
fn regions_resolve_and_comparison_figures_are_events() {
    check(
        "1—2月份朔州市规上工业增加值增长8.1%",
        "2025-03-28",
        "今年1—2月份,全市纳入统计的484家规上工业企业实现增加值比上年同期增长8.1%,分别高出全国(5.9%)和全省(6.4%)平均水平2.2个和1.7个百分点。",
        &[
            "industrial_value_added - 8.1 2025-01..2025-02 actual = 朔州市",
            "industrial_value_added - 5.9 2025-01..2025-02 actual = 全国",
            "industrial_value_added - 6.4 2025-01..2025-02 actual = 山西省",
        ],
    );
    check(
        "郏县1-5月份工业经济运行分析",
        "2025-06-24",
        "今年1-5月份,全县规上工业增加值比上年同期增长10.2%(全市9.4%),增速在平顶山市六个县(市)中居第五位。",
        &[
            "industrial_value_added - 10.2 2025-01..2025-05 actual = 郏县",
            "industrial_value_added - 9.4 2025-01..2025-05 actual = 平顶山市",
        ],
    );
    // Another place named in the clause wins; 其中 inherits it.
    check(
        "长沙前4月全社会用电量增长7.1%",
        "2014-05-21",
        "2014年1至4月,长沙市全社会用电量达到70.25亿千瓦时,比上年同期增长7.1%;其中工业用电量为23.29亿千瓦时,增长5.9%。\n放眼全省,1至4月湖南全省全社会用电量为456.09亿千瓦时,比上年同期增长4.1%。其中第二、三产业用电增势较快:全省第二产业用电268.42亿千瓦时,第三产业用电64.42亿千瓦时,分别增长7.1%和15%。",
        &[
            "electricity_consumption 7025000000 7.1 2014-01..2014-04 actual = 长沙市",
            "electricity_consumption 2329000000 5.9 2014-01..2014-04 actual = 长沙市",
            "electricity_consumption 45609000000 4.1 2014-01..2014-04 actual = 湖南省",
        ],
    );
    // The publishing body names the subject when title and lead don't.
    let got = run(
        Some("1-5月全县主要经济指标运行情况"),
        Some("2021-06-22"),
        Some("乳源瑶族自治县统计局"),
        "1-5月,全县一般公共预算收入完成1.86亿元,比上年同期下降27.2%。",
    );
    assert_eq!(
        got,
        ["general_budget_revenue 186000000 -27.2 2021-01..2021-05 actual = 乳源瑶族自治县"]
    );
}

#[test]
fn breakdowns_and_non_indicators_give_nothing() {
    for text in [
        // sectors and products
        "1-5月,全区第一产业实现增加值72.61亿元,增长3.8%;全省第二产业用电量268.42亿千瓦时,增长7.1%。",
        "1—7月份,全市规上工业中,汽车制造业增加值增长11.6%,拉动全市规上工业增长1.3个百分点。",
        // sub-areas after 分区域看, subsets (限上), look-alikes
        "分区域看,东部沿海33家国家级开发区上半年实现工业总产值6084.6亿元,同比增长42.4%。",
        "1-5月,限上批发业实现销售额81.50亿元,比上年同期下降18.9%。",
        "6月份,工业企业实现出口交货值10547亿元,同比增长2.8%;发电量5551亿千瓦时,增长6.7%。",
        "全区人均生产总值为91243元,比上年多14545元;万元GDP能耗下降9.7%。",
        // one project's figures, thresholds, milestones, completion rates, percentage points
        "某钢铁基地项目总投资500亿元,一期投产达效后可实现开票销售200亿元以上、税收5亿元左右。",
        "工业产值和农产品加工产值继续双双超过百亿元。",
        "规模以上工业增加值增速较1-4月加快1.6个百分点,完成年度任务的91.78%。",
        "记者梳理了中部地区GDP过万亿元的省会城市。",
        // a sub-area of the subject, named (a district or a park in a city report)
        "1-5月,武进区实现地区生产总值1234亿元,增长6.1%;高新区规上工业增加值增长9.2%。",
        // averages and other bases are not year-on-year
        "1-5月,全市规上工业总产值两年平均增长5.2%,工业投资比2019年同期增长12%。",
    ] {
        let got = run(Some("常州市经济运行"), Some("2024-06-01"), None, text);
        assert!(got.is_empty(), "{text}\n→ {got:?}");
    }
}

#[test]
fn a_paragraph_without_a_period_is_under_the_title_period() {
    check(
        "1-6月份滨海市经济运行情况",
        "2023-07-20",
        "从环比看,6月份社会消费品零售总额比上月增长1.2%。\n一般公共预算收入完成23.4亿元,同比增长6.7%。\n力争全年实现规上工业增加值增长10%。",
        &[
            "general_budget_revenue 2340000000 6.7 2023-01..2023-06 actual = 滨海市",
            "industrial_value_added - 10 2023-01..2023-12 target = 滨海市",
        ],
    );
}

#[test]
fn chinese_numerals_and_multi_period_sentences() {
    check(
        "四月份西城区主要经济指标完成情况",
        "2011-05-20",
        "四月份,全区规模以上工业企业完成现价工业总产值四十九点三亿元,比去年同期增长百分之五点九;一至四月份,全区累计完成现价工业总产值二百五十七点九亿元,比去年同期增长百分之八点九。",
        &[
            "industrial_output 4930000000 5.9 2011-04..2011-04 actual = 西城区",
            "industrial_output 25790000000 8.9 2011-01..2011-04 actual = 西城区",
        ],
    );
}

#[test]
fn a_figure_repeated_in_title_body_or_table_is_one_event() {
    let body = "2022年潘集区全年地区生产总值达到295.4亿元,按可比价格计算比上年增长7.7%。\n表1  2022年潘集区生产总值及其增长速度\n单位:亿元\n| 指  标 | 绝对数 | 比上年增长% |\n| 生产总值 | 295.4 | 7.7 |\n| 第一产业 | 24.4 | 3.3 |";
    let got = run(Some("潘集区2022年经济社会发展概况"), None, None, body);
    assert_eq!(
        got,
        ["gdp 29540000000 7.7 2022-01..2022-12 actual = 潘集区"]
    );
    // The same body printed twice by the page.
    let once = "1-5月,全区完成财政总收入17.9亿元,同比增长8.8%。";
    let got = run(
        Some("萍乡经开区"),
        Some("2022-07-22"),
        None,
        &format!("{once}\n{once}"),
    );
    assert_eq!(got.len(), 1, "{got:?}");
}

#[test]
fn tables_with_region_columns_and_missing_values() {
    let text = "附表 主要经济指标完成情况(2022年1-5月)\n指标名称\t计量单位\t北京市\t西城区\n本期\t±%\t本期\t±%\n一、现价工业总产值\t亿元\t9075.6\t-5.6\t281.5\t4.9\n三、固定资产投资 (不含农户)\t%\t--\t2.8\t--\t19.3\n四、建安投资\t%\t--\t-1.5\t--\t1.2";
    let got = run(
        Some("2022年1-5月西城区主要经济指标完成情况"),
        None,
        Some("西城区统计局"),
        text,
    );
    assert_eq!(
        got,
        [
            "industrial_output 907560000000 -5.6 2022-01..2022-05 actual = 北京市",
            "industrial_output 28150000000 4.9 2022-01..2022-05 actual = 西城区",
            "fixed_asset_investment - 2.8 2022-01..2022-05 actual = 北京市",
            "fixed_asset_investment - 19.3 2022-01..2022-05 actual = 西城区",
        ]
    );
    // Indicator only in the title: the total row, with one event per period column.
    let text = "2017年1-5月\t单位:万元\n项 目\t2017年5月\t同比增长(%)\t2017年1-5月\t同比增长(%)\n全 市\t13604203\t-1.5\t68630320\t4.4\n东城区\t145171\t-10.2\t664382\t-4.3";
    let got = run(
        Some("北京市2017年1-5月分区规模以上工业总产值"),
        Some("2017-06-15"),
        None,
        text,
    );
    assert_eq!(
        got,
        [
            "industrial_output 136042030000 -1.5 2017-05..2017-05 actual = 北京市",
            "industrial_output 686303200000 4.4 2017-01..2017-05 actual = 北京市",
        ]
    );
}

#[test]
fn event_ids_are_stable() {
    let a = article(
        Some("萍乡经开区"),
        Some("2022-07-22"),
        None,
        "1至5月,全区完成财政总收入17.9亿元,同比增长8.8%。",
    );
    let t = Taxonomy::embedded();
    let x = extract(&a, &t);
    let y = extract(&a, &t);
    assert_eq!(x[0].event_id, y[0].event_id);
    assert_eq!(x[0].evidence, "全区完成财政总收入17.9亿元,同比增长8.8%");
}
