//! MinHash signatures and LSH banding: find the earlier articles whose shingle sets overlap an
//! article's by Jaccard ≥ 0.8 without comparing it to every stored article.
//!
//! ## Permutations
//! Each shingle is hashed once with xxh3-64 ([`crate::key`]) and folded to 32 bits,
//! `x = lo32(h) ^ hi32(h)`. The k = 128 permutations are `π_i(x) = fmix32(x ^ s_i)`: the input
//! xor-ed with a per-permutation 32-bit seed, then MurmurHash3's finaliser (two multiplies and
//! three xor-shifts, a bijection of u32 with full avalanche), so every π_i is a permutation of
//! the 32-bit space and different seeds order a set independently. The seeds come from a
//! SplitMix64 stream with a fixed seed. All arithmetic is 32-bit, so the inner loop (128
//! permutations per shingle) vectorises 8 lanes wide with AVX2, selected at run time.
//! (The multiply-add-shift family `hi32(a_i·x + b_i)` with 64-bit `a_i, b_i` is strongly
//! universal but needs 64-bit multiplies, which x86 vector units lack: measured 3× slower.)
//! The signature is `min_x π_i(x)` per permutation, 32 bits each (512 bytes). Everything is
//! fixed by constants here, so signatures are identical across versions and machines; any
//! change needs a new [`SIGNATURE_VERSION`].
//!
//! ## Banding: 16 bands × 8 rows (all 128 permutations)
//! Two articles with Jaccard `s` share at least one band with probability `1 − (1 − s^8)^16`:
//!
//! | s        | 0.30   | 0.50  | 0.60  | 0.70  | 0.75  | 0.80  | 0.85  | 0.90   | 0.95 |
//! |----------|--------|-------|-------|-------|-------|-------|-------|--------|------|
//! | P(cand.) | 0.001  | 0.061 | 0.237 | 0.613 | 0.815 | 0.947 | 0.994 | 0.9999 | 1.0  |
//!
//! The S-curve's midpoint is (1/16)^(1/8) ≈ 0.71, below the 0.8 threshold on purpose: a missed
//! candidate is a duplicate let through (false negative 5.3% at s = 0.80, 0.6% at 0.85, 0.01%
//! at 0.9), while an extra candidate only costs one KV read, because every candidate is
//! confirmed by the estimated Jaccard (share of equal signature entries) ≥ 0.8. The suggested
//! 9 × 13 would miss 60% of the pairs at s = 0.80 and 31% at 0.85 (midpoint 0.84); 20 × 6 would
//! make 27% of the pairs at s = 0.5 candidates for 0.2% fewer misses at 0.8.
//! The estimate itself has a standard deviation of √(s(1−s)/128) ≈ 0.035 at s = 0.8.

use crate::key::DedupKey;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Permutations per signature.
pub const NUM_PERM: usize = 128;
/// LSH bands.
pub const BANDS: usize = 16;
/// Signature rows per band.
pub const ROWS: usize = NUM_PERM / BANDS;
/// Bumped whenever the shingling, hashing or permutations change: stored signatures of another
/// version can't be compared.
pub const SIGNATURE_VERSION: u32 = 1;

const PERM_SEED: u64 = 0x6E65_7773_666C_6F77; // "newsflow"

/// The per-permutation seeds, built once.
struct Permutations {
    seeds: [u32; NUM_PERM],
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn permutations() -> &'static Permutations {
    static PERMS: std::sync::OnceLock<Permutations> = std::sync::OnceLock::new();
    PERMS.get_or_init(|| {
        let mut state = PERM_SEED;
        let mut seeds = [0u32; NUM_PERM];
        for s in seeds.iter_mut() {
            *s = (splitmix64(&mut state) >> 32) as u32;
        }
        Permutations { seeds }
    })
}

/// MurmurHash3's 32-bit finaliser: a bijection on u32.
#[inline(always)]
fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// A MinHash signature of [`NUM_PERM`] 32-bit minima.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature(pub [u32; NUM_PERM]);

impl Signature {
    /// The signature of a set of shingle hashes (duplicates don't matter). An empty set gives
    /// all `u32::MAX`, which [`Signature::is_empty`] reports.
    pub fn from_hashes(hashes: impl Iterator<Item = u64>) -> Self {
        let mut sig = [u32::MAX; NUM_PERM];
        let p = permutations();
        let mut batch = [0u32; 64];
        let mut n = 0;
        for h in hashes {
            batch[n] = (h as u32) ^ ((h >> 32) as u32);
            n += 1;
            if n == batch.len() {
                update(&mut sig, p, &batch);
                n = 0;
            }
        }
        update(&mut sig, p, &batch[..n]);
        Signature(sig)
    }

    /// The signature of a dedup key's shingles.
    pub fn of_key(key: &DedupKey) -> Self {
        Self::from_hashes(key.shingle_hashes())
    }

    /// No shingles at all (empty key): such an article takes no part in near-duplicate search.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&v| v == u32::MAX)
    }

    /// Estimated Jaccard similarity: the share of equal entries.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let equal = self
            .0
            .iter()
            .zip(other.0.iter())
            .filter(|(a, b)| a == b)
            .count();
        equal as f64 / NUM_PERM as f64
    }

    /// One 64-bit hash per LSH band (xxh3 of the band's rows, seeded with the band index).
    pub fn band_hashes(&self) -> [u64; BANDS] {
        let mut out = [0u64; BANDS];
        for (band, rows) in self.0.chunks_exact(ROWS).enumerate() {
            let mut bytes = [0u8; ROWS * 4];
            for (i, v) in rows.iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
            }
            out[band] = xxh3_64_with_seed(&bytes, band as u64);
        }
        out
    }

    /// Lower-case hex, 8 digits per entry (the stored form).
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::with_capacity(NUM_PERM * 8);
        for v in self.0 {
            // Into the one buffer: a `format!` per entry was 128 allocations per article.
            let _ = write!(s, "{v:08x}"); // writing to a String cannot fail
        }
        s
    }

    /// Parse [`Signature::to_hex`] output.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != NUM_PERM * 8 || !s.is_ascii() {
            return None;
        }
        let mut sig = [0u32; NUM_PERM];
        for (i, v) in sig.iter_mut().enumerate() {
            *v = u32::from_str_radix(&s[i * 8..i * 8 + 8], 16).ok()?;
        }
        Some(Signature(sig))
    }
}

/// Fold a batch of shingle hashes into the signature. Dispatches to an AVX2 build of the same
/// loop when the CPU has it (8 lanes of 32-bit multiplies there).
fn update(sig: &mut [u32; NUM_PERM], p: &Permutations, xs: &[u32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above); the function is the plain
            // scalar loop compiled with AVX2 enabled, it has no other requirement.
            unsafe { update_avx2(sig, p, xs) };
            return;
        }
    }
    update_generic(sig, p, xs);
}

#[inline(always)]
fn update_generic(sig: &mut [u32; NUM_PERM], p: &Permutations, xs: &[u32]) {
    for &x in xs {
        for (s, seed) in sig.iter_mut().zip(&p.seeds) {
            *s = (*s).min(fmix32(x ^ seed));
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2(sig: &mut [u32; NUM_PERM], p: &Permutations, xs: &[u32]) {
    update_generic(sig, p, xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig_of(text: &str) -> Signature {
        Signature::of_key(&DedupKey::new(text))
    }

    /// Exact Jaccard of the shingle sets, the quantity the signature estimates.
    fn jaccard(a: &str, b: &str) -> f64 {
        use std::collections::HashSet;
        let ka = DedupKey::new(a);
        let kb = DedupKey::new(b);
        let sa: HashSet<&str> = ka.shingles().collect();
        let sb: HashSet<&str> = kb.shingles().collect();
        sa.intersection(&sb).count() as f64 / sa.union(&sb).count() as f64
    }

    fn words(n: usize, seed: u64) -> Vec<String> {
        let mut st = seed;
        (0..n)
            .map(|_| format!("w{}", splitmix64(&mut st) % 5000))
            .collect()
    }

    #[test]
    fn identical_sets_are_identical_signatures() {
        let s = sig_of("同一篇文章的文本内容完全相同");
        assert_eq!(s, sig_of("同一篇文章的文本内容完全相同"));
        assert!((s.similarity(&s) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn estimate_tracks_exact_jaccard() {
        // 400 words; replace a growing tail to sweep the Jaccard range.
        let base = words(400, 1);
        for replaced in [10usize, 40, 80, 160, 300] {
            let mut other = base.clone();
            let fresh = words(replaced, 99 + replaced as u64);
            for (i, w) in fresh.into_iter().enumerate() {
                other[i * (400 / replaced)] = format!("x{w}");
            }
            let (a, b) = (base.join(" "), other.join(" "));
            let exact = jaccard(&a, &b);
            let est = sig_of(&a).similarity(&sig_of(&b));
            // 4 standard deviations of a 128-permutation estimate.
            let tol = 4.0 * (exact * (1.0 - exact) / NUM_PERM as f64).sqrt() + 0.02;
            assert!(
                (est - exact).abs() <= tol,
                "replaced {replaced}: exact {exact:.3} est {est:.3}"
            );
        }
    }

    #[test]
    fn permutations_and_signatures_are_stable() {
        // If these change, every stored signature becomes incomparable: bump SIGNATURE_VERSION.
        let p = permutations();
        assert_eq!(
            p.seeds[0],
            (splitmix64(&mut PERM_SEED.clone()) >> 32) as u32
        );
        assert_eq!(fmix32(1), 0x514E_28B7);
        let s = sig_of("abcde fghij");
        assert_eq!(Signature::from_hex(&s.to_hex()), Some(s.clone()));
        assert_eq!(&s.to_hex()[..16], STABLE_PREFIX);
    }
    const STABLE_PREFIX: &str = "abde4eb90990ab79";

    #[test]
    fn estimates_are_unbiased_with_binomial_spread() {
        // 300 pairs of random sets of 400 hashes sharing 267 (Jaccard 267/533 ≈ 0.5): the mean
        // error must be ~0 and the variance close to J(1-J)/128, as for truly random
        // permutations.
        let mut st = 7u64;
        let (pairs, n, shared) = (300, 400usize, 267usize);
        let exact = shared as f64 / (2 * n - shared) as f64;
        let mut errors = Vec::with_capacity(pairs);
        for _ in 0..pairs {
            let common: Vec<u64> = (0..shared).map(|_| splitmix64(&mut st)).collect();
            let a: Vec<u64> = (0..n - shared).map(|_| splitmix64(&mut st)).collect();
            let b: Vec<u64> = (0..n - shared).map(|_| splitmix64(&mut st)).collect();
            let sa = Signature::from_hashes(common.iter().chain(&a).copied());
            let sb = Signature::from_hashes(common.iter().chain(&b).copied());
            errors.push(sa.similarity(&sb) - exact);
        }
        let mean = errors.iter().sum::<f64>() / pairs as f64;
        let var = errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (pairs - 1) as f64;
        let expected_var = exact * (1.0 - exact) / NUM_PERM as f64;
        assert!(mean.abs() < 0.01, "bias {mean}");
        assert!(
            var > expected_var * 0.7 && var < expected_var * 1.4,
            "variance {var} vs {expected_var}"
        );
    }

    #[test]
    fn generic_and_dispatched_loops_agree() {
        let p = permutations();
        let xs: Vec<u32> = (0..1000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        let mut a = [u32::MAX; NUM_PERM];
        let mut b = [u32::MAX; NUM_PERM];
        update(&mut a, p, &xs);
        update_generic(&mut b, p, &xs);
        assert_eq!(a, b);
    }

    #[test]
    fn empty_key_gives_empty_signature() {
        assert!(sig_of("，。！").is_empty());
        assert!(!sig_of("a").is_empty());
    }

    #[test]
    fn hex_rejects_garbage() {
        assert_eq!(Signature::from_hex("zz"), None);
        assert_eq!(Signature::from_hex(&"g".repeat(NUM_PERM * 8)), None);
    }
}
