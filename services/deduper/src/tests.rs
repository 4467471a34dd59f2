//! Decision tests over the in-memory store: the cases SPEC §4 names, on synthetic canonical
//! texts (the cleaner's output is exercised end to end in `tests/dedup.rs`).

use super::*;
use crate::store::MemoryStore;
use newsflow_shared::records::{ArticleId, DuplicateKind, Lang, Script, Source};
use std::sync::Arc;

pub(crate) const BULLETIN_MAY: &str =
    "据介绍，2017年5月份，高新区紧扣建设世界一流科技园区的总方向，\
全力实施创新驱动发展战略，地区生产总值同比增长12.3%，比目标增速高出0.3个百分点。\
内资实际进资469.94亿元，同比增长81.1%，完成年度任务的91.78%。\
园区坚持项目带动，围绕电子信息、先进制造、生物医药和现代服务业四大主导产业，\
持续开展招商引资和项目建设攻坚行动，重点项目建设进展顺利，新开工项目按计划推进，\
续建项目加快建设，竣工项目及时投产达效。同时，园区不断优化营商环境，\
深化放管服改革，推行企业开办一窗通办，为企业提供全生命周期服务，\
市场主体活力持续增强，新登记企业数量保持较快增长，创新能力稳步提升，\
高新技术企业和科技型中小企业数量继续位居全省前列，发展质量和效益进一步提高。";

fn article(path: &str, text: &str) -> CleanArticle {
    let lang = if text.chars().any(crate::key::is_han) {
        Lang::Zh
    } else {
        Lang::En
    };
    CleanArticle::new(
        Source {
            path: Some(path.to_string()),
            ..Source::default()
        },
        lang,
        Script::Hans,
        text.to_string(),
    )
}

fn decide(d: &mut InMemoryDeduper, path: &str, text: &str) -> Decision {
    d.decide(&article(path, text))
}

fn dup(decision: &Decision) -> &DuplicateRecord {
    match decision {
        Decision::Duplicate(r) => r,
        Decision::Unique(a) => panic!("expected a duplicate, got unique {:?}", a.source.path),
    }
}

fn unique(decision: &Decision) -> &CleanArticle {
    match decision {
        Decision::Unique(a) => a,
        Decision::Duplicate(r) => panic!(
            "expected unique, got duplicate of {:?}",
            r.duplicate_of_path
        ),
    }
}

#[test]
fn first_sighting_is_unique_and_a_redrop_is_an_exact_duplicate() {
    let mut d = InMemoryDeduper::default();
    let first = decide(&mut d, "a.txt", BULLETIN_MAY);
    assert_eq!(unique(&first).revision_of, None);
    let again = decide(&mut d, "copy/a.txt", BULLETIN_MAY);
    let r = dup(&again);
    assert_eq!(r.kind, DuplicateKind::Exact);
    assert_eq!(r.duplicate_of, ArticleId::of_text(BULLETIN_MAY));
    assert_eq!(r.duplicate_of_path.as_deref(), Some("a.txt"));
    assert_eq!(r.similarity, 1.0);
}

#[test]
fn a_lightly_edited_copy_is_a_near_duplicate() {
    let mut d = InMemoryDeduper::default();
    decide(&mut d, "a.txt", BULLETIN_MAY);
    let edited = BULLETIN_MAY
        .replace("据介绍，", "记者从管委会获悉，")
        .replace("，为企业提供全生命周期服务", "")
        + "（完）";
    let r = dup(&decide(&mut d, "b.html", &edited)).clone();
    assert_eq!(r.kind, DuplicateKind::Near);
    assert_eq!(r.duplicate_of_path.as_deref(), Some("a.txt"));
    assert!(
        r.similarity >= 0.8 && r.similarity < 1.0,
        "{}",
        r.similarity
    );
}

#[test]
fn punctuation_and_spacing_noise_is_a_near_duplicate() {
    let mut d = InMemoryDeduper::default();
    decide(&mut d, "a.txt", BULLETIN_MAY);
    let noisy = BULLETIN_MAY.replace('，', ", ").replace('。', ".\n\n");
    let r = dup(&decide(&mut d, "b.txt", &noisy)).clone();
    assert_eq!(r.kind, DuplicateKind::Near);
    assert_eq!(r.similarity, 1.0);
}

#[test]
fn a_different_article_on_the_same_topic_is_unique() {
    let mut d = InMemoryDeduper::default();
    decide(&mut d, "a.txt", BULLETIN_MAY);
    let other = "今年上半年，高新区规模以上工业增加值同比增长9.6%，\
        增速居全市各区县首位。其中，电子信息产业产值增长15.2%，先进制造业增长8.1%。\
        高新区管委会表示，下半年将继续围绕主导产业开展精准招商，\
        加快推进重点项目建设，确保全年目标任务圆满完成，为全市经济发展作出更大贡献。";
    let u = unique(&decide(&mut d, "c.txt", other)).clone();
    assert_eq!(u.revision_of, None);
}

#[test]
fn template_bulletins_with_new_figures_are_new_editions() {
    let mut d = InMemoryDeduper::default();
    let may = decide(&mut d, "2017-05.txt", BULLETIN_MAY);
    let may_id = unique(&may).article_id.clone();
    let june = BULLETIN_MAY
        .replace("5月份", "6月份")
        .replace("12.3%", "12.8%")
        .replace("469.94亿元", "512.06亿元")
        .replace("81.1%", "79.4%");
    let u = unique(&decide(&mut d, "2017-06.txt", &june)).clone();
    assert_eq!(u.revision_of, Some(may_id));
    // A third edition is new again, and a re-drop of June is still a duplicate.
    let july = june.replace("6月份", "7月份").replace("91.78%", "95.02%");
    assert!(unique(&decide(&mut d, "2017-07.txt", &july))
        .revision_of
        .is_some());
    assert_eq!(
        dup(&decide(&mut d, "again/2017-06.txt", &june)).kind,
        DuplicateKind::Exact
    );
}

#[test]
fn english_near_duplicates_use_word_shingles() {
    let mut d = InMemoryDeduper::default();
    let text = "Since this year, Huai'an Industrial Park has earnestly implemented the decisions \
        of the Municipal Party Committee and the municipal government, adhered to the principle \
        of cultivating stock and expanding increment, and made great efforts to achieve a stable \
        start in the first quarter. Gross industrial output rose 12.4 percent to 3.26 billion \
        yuan, and fixed asset investment grew 8.8% over the same period last year, the park said.";
    decide(&mut d, "en.txt", text);
    let copy = text
        .replace("Since this year", "This year")
        .replace("  ", " ")
        + " (Reporter: Li)";
    assert_eq!(
        dup(&decide(&mut d, "en2.html", &copy)).kind,
        DuplicateKind::Near
    );
    let revised = text.replace("12.4 percent", "13.1 percent");
    assert!(unique(&decide(&mut d, "en3.txt", &revised))
        .revision_of
        .is_some());
}

#[test]
fn empty_texts_only_meet_exact_duplicates() {
    let mut d = InMemoryDeduper::default();
    assert!(matches!(decide(&mut d, "a", "。。。"), Decision::Unique(_)));
    assert!(matches!(decide(&mut d, "b", "！！！"), Decision::Unique(_)));
    assert!(matches!(
        decide(&mut d, "c", "。。。"),
        Decision::Duplicate(_)
    ));
}

#[test]
fn a_redelivery_replays_the_same_decision() {
    let store = Arc::new(MemoryStore::default());
    let deduper = Deduper::new(store.clone());
    let a = article("a.txt", BULLETIN_MAY);
    let b = article("b.txt", &BULLETIN_MAY.replace("据介绍，", "据了解，"));
    futures::executor::block_on(async {
        let first = deduper.decide(&a, "msg-1", 1).await.unwrap();
        assert!(matches!(first, Decision::Unique(_)));
        let near = deduper.decide(&b, "msg-2", 2).await.unwrap();
        assert!(matches!(near, Decision::Duplicate(_)));
        // Redeliveries of msg-1 and msg-2: same decisions, nothing new stored.
        let keys = store.len();
        assert_eq!(deduper.decide(&a, "msg-1", 1).await.unwrap(), first);
        assert_eq!(deduper.decide(&b, "msg-2", 2).await.unwrap(), near);
        assert_eq!(store.len(), keys);
        // A different message with the same text is an exact duplicate, not a replay.
        let again = deduper.decide(&a, "msg-3", 3).await.unwrap();
        assert_eq!(dup(&again).kind, DuplicateKind::Exact);
    });
}

#[test]
fn a_crash_after_claiming_resumes_and_decides_once() {
    // msg-1 claimed its article key and some bands, then crashed (state pending). A near
    // duplicate arrives meanwhile; then msg-1 is redelivered. Exactly one of them passes.
    let store = Arc::new(MemoryStore::default());
    let deduper = Deduper::new(store.clone());
    let a = article("a.txt", BULLETIN_MAY);
    let b = article("b.txt", &BULLETIN_MAY.replace("据介绍，", "据了解，"));
    let fp = Fingerprint::of_text(&a.text);
    futures::executor::block_on(async {
        let pending = decide::ArticleRecord::pending(&a, &fp, "msg-1", 1);
        let key = format!("a.{}", a.article_id);
        store
            .put(&key, serde_json::to_vec(&pending).unwrap().into())
            .await
            .unwrap();
        for (band, hash) in fp.bands.iter().enumerate().take(3) {
            let k = format!("b.{band}.{hash:016x}");
            store
                .put(&k, a.article_id.as_str().to_string().into())
                .await
                .unwrap();
        }
        let b_decision = deduper.decide(&b, "msg-2", 2).await.unwrap();
        let a_decision = deduper.decide(&a, "msg-1", 1).await.unwrap();
        let passed = [&a_decision, &b_decision]
            .iter()
            .filter(|d| matches!(d, Decision::Unique(_)))
            .count();
        assert_eq!(passed, 1, "a: {a_decision:?}\nb: {b_decision:?}");
        // And replaying either again changes nothing.
        assert_eq!(deduper.decide(&a, "msg-1", 1).await.unwrap(), a_decision);
        assert_eq!(deduper.decide(&b, "msg-2", 2).await.unwrap(), b_decision);
    });
}

#[test]
fn outcome_labels() {
    let mut d = InMemoryDeduper::default();
    let u = decide(&mut d, "a", BULLETIN_MAY);
    assert_eq!(Outcome::of(&u).label(), "unique");
    let e = decide(&mut d, "b", BULLETIN_MAY);
    assert_eq!(Outcome::of(&e).label(), "exact");
}

/// What a near copy of the bulletin decides (arriving 5th) when the bulletin is already in the
/// store as arrival `order` with `state`.
fn copy_meets(order: u64, state: decide::State) -> Decision {
    let store = Arc::new(MemoryStore::default());
    let deduper = Deduper::new(store.clone());
    let a = article("a.txt", BULLETIN_MAY);
    let b = article("b.txt", &BULLETIN_MAY.replace("据介绍，", "据了解，"));
    futures::executor::block_on(async {
        crate::testing::seed(&*store, &a, "msg-a", order, state)
            .await
            .unwrap();
        deduper.decide(&b, "msg-b", 5).await.unwrap()
    })
}

#[test]
fn a_copy_follows_an_earlier_arrival_even_while_it_is_deciding() {
    let d = copy_meets(1, decide::State::Pending);
    assert_eq!(dup(&d).kind, DuplicateKind::Near);
    assert_eq!(dup(&d).duplicate_of_path.as_deref(), Some("a.txt"));
}

#[test]
fn a_copy_follows_a_later_arrival_once_it_is_decided_unique() {
    let d = copy_meets(9, decide::State::Unique { revision_of: None });
    assert_eq!(dup(&d).kind, DuplicateKind::Near);
}

#[test]
fn a_copy_never_follows_a_later_arrival_that_is_itself_a_duplicate() {
    // The later article was judged a duplicate (of this very copy, say): following it would
    // drop both, so the copy passes.
    let state = decide::State::Near {
        of: ArticleId("someone".into()),
        of_path: None,
        agree: 128,
    };
    unique(&copy_meets(9, state));
}

#[test]
fn a_later_arrival_that_never_decides_is_waited_for_then_passed_over() {
    // A stalled or dead decider: after the bounded wait the copy passes rather than risk both
    // being dropped (the in-memory store's pause is instant, so this runs at once).
    unique(&copy_meets(9, decide::State::Pending));
}

#[test]
fn a_copy_found_in_the_first_wave_claims_no_further_bands() {
    let store = Arc::new(MemoryStore::default());
    let deduper = Deduper::new(store.clone());
    let a = article("a.txt", BULLETIN_MAY);
    // An edited copy (estimated J about 0.85): without the stop it would win about a dozen
    // bands of its own.
    let edited = BULLETIN_MAY
        .replace("据介绍，", "据了解，")
        .replace("同时，", "此外，")
        .replace("持续开展", "深入开展");
    let b = article("b.txt", &edited);
    futures::executor::block_on(async {
        deduper.decide(&a, "msg-1", 1).await.unwrap();
        let before = store.len();
        let d = deduper.decide(&b, "msg-2", 2).await.unwrap();
        assert_eq!(dup(&d).kind, DuplicateKind::Near);
        let added = store.len() - before;
        // Its own record plus at most the first wave's bands (one of which it lost).
        assert!(added <= 1 + 3, "the copy added {added} keys");
    });
}
