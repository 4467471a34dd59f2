//! When a file in the inbox is complete enough to take (SPEC §2): right after a writer closed it
//! or it was renamed in, or once its size and modification time have stayed the same for the
//! settle time (the rule for files found by a scan, whose events we never saw). Pure state,
//! driven by the caller's clock, so the rules are unit-tested without sleeping.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What a `stat` of the file said, as far as completeness goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub size: u64,
    pub mtime: SystemTime,
    /// Inode: a file replaced under the same name starts over.
    pub ino: u64,
}

/// The tracker's verdict on one file at one poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// Still being written, or not yet stable for the settle time.
    Waiting,
    /// Take it now; the tracker has forgotten it.
    Ready,
    /// It disappeared; the tracker has forgotten it.
    Gone,
}

#[derive(Debug)]
struct Candidate {
    last: Option<Observation>,
    stable_since: Instant,
    /// A close-after-write or a rename into the inbox happened after the last write.
    closed: bool,
}

/// Files seen in the inbox that are not yet taken.
#[derive(Debug)]
pub struct SettleTracker {
    settle: Duration,
    candidates: HashMap<PathBuf, Candidate>,
}

impl SettleTracker {
    pub fn new(settle: Duration) -> Self {
        SettleTracker {
            settle,
            candidates: HashMap::new(),
        }
    }

    pub fn settle(&self) -> Duration {
        self.settle
    }

    /// Number of files waiting to be taken.
    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.candidates.contains_key(path)
    }

    /// The files waiting, for the caller to `stat` and [`observe`](Self::observe).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.candidates.keys().cloned().collect()
    }

    /// A scan found the file: track it unless already tracked.
    pub fn discovered(&mut self, path: &Path, now: Instant) {
        self.entry(path, now);
    }

    /// A write (or create) event: not complete until closed or stable again.
    pub fn written(&mut self, path: &Path, now: Instant) {
        let c = self.entry(path, now);
        c.closed = false;
        c.stable_since = now;
    }

    /// A writer closed the file after writing, or it was renamed into the inbox.
    pub fn closed(&mut self, path: &Path, now: Instant) {
        self.entry(path, now).closed = true;
    }

    /// The file was removed or renamed away.
    pub fn forget(&mut self, path: &Path) {
        self.candidates.remove(path);
    }

    fn entry(&mut self, path: &Path, now: Instant) -> &mut Candidate {
        self.candidates
            .entry(path.to_path_buf())
            .or_insert_with(|| Candidate {
                last: None,
                stable_since: now,
                closed: false,
            })
    }

    /// Decide on `path` given a fresh `stat` (`None`: it no longer exists). `now` is the monotonic
    /// clock, `wall_now` the wall clock that `mtime` is measured against.
    pub fn observe(
        &mut self,
        path: &Path,
        seen: Option<Observation>,
        now: Instant,
        wall_now: SystemTime,
    ) -> Readiness {
        let Some(c) = self.candidates.get_mut(path) else {
            return Readiness::Gone;
        };
        let Some(obs) = seen else {
            self.candidates.remove(path);
            return Readiness::Gone;
        };
        let unchanged = c.last == Some(obs);
        let untouched_for_settle = wall_now
            .duration_since(obs.mtime)
            .is_ok_and(|age| age >= self.settle);
        let ready = c.closed
            || (unchanged && now.duration_since(c.stable_since) >= self.settle)
            || (c.last.is_none() && untouched_for_settle)
            || (unchanged && untouched_for_settle);
        if ready {
            self.candidates.remove(path);
            return Readiness::Ready;
        }
        if !unchanged {
            c.last = Some(obs);
            c.stable_since = now;
        }
        Readiness::Waiting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTLE: Duration = Duration::from_millis(500);

    fn obs(size: u64, mtime: SystemTime) -> Option<Observation> {
        Some(Observation {
            size,
            mtime,
            ino: 7,
        })
    }

    #[test]
    fn closed_after_write_is_taken_at_once() {
        let mut t = SettleTracker::new(SETTLE);
        let (now, wall) = (Instant::now(), SystemTime::now());
        let p = Path::new("/in/a.txt");
        t.written(p, now);
        assert_eq!(t.observe(p, obs(10, wall), now, wall), Readiness::Waiting);
        t.closed(p, now);
        assert_eq!(t.observe(p, obs(20, wall), now, wall), Readiness::Ready);
        assert!(t.is_empty());
    }

    #[test]
    fn a_write_after_close_waits_again() {
        let mut t = SettleTracker::new(SETTLE);
        let (now, wall) = (Instant::now(), SystemTime::now());
        let p = Path::new("/in/a.txt");
        t.closed(p, now);
        t.written(p, now);
        assert_eq!(t.observe(p, obs(10, wall), now, wall), Readiness::Waiting);
    }

    #[test]
    fn growing_file_waits_until_stable_for_settle_time() {
        let mut t = SettleTracker::new(SETTLE);
        let (t0, wall) = (Instant::now(), SystemTime::now());
        let p = Path::new("/in/slow.txt");
        t.discovered(p, t0);
        let ms = Duration::from_millis;
        assert_eq!(t.observe(p, obs(10, wall), t0, wall), Readiness::Waiting);
        // Grows: the clock starts over.
        let wall2 = wall + ms(300);
        assert_eq!(
            t.observe(p, obs(20, wall2), t0 + ms(300), wall2),
            Readiness::Waiting
        );
        // Same size and mtime, but not yet for the settle time.
        assert_eq!(
            t.observe(p, obs(20, wall2), t0 + ms(600), wall2 + ms(300)),
            Readiness::Waiting
        );
        // Stable for 500 ms since it last changed (at 300 ms).
        assert_eq!(
            t.observe(p, obs(20, wall2), t0 + ms(800), wall2 + ms(500)),
            Readiness::Ready
        );
    }

    #[test]
    fn old_file_found_by_scan_is_taken_at_once() {
        let mut t = SettleTracker::new(SETTLE);
        let (now, wall) = (Instant::now(), SystemTime::now());
        let p = Path::new("/in/old.txt");
        t.discovered(p, now);
        let old = wall - Duration::from_secs(60);
        assert_eq!(t.observe(p, obs(10, old), now, wall), Readiness::Ready);
    }

    #[test]
    fn vanished_file_is_forgotten() {
        let mut t = SettleTracker::new(SETTLE);
        let now = Instant::now();
        let p = Path::new("/in/x.txt");
        t.discovered(p, now);
        assert_eq!(t.observe(p, None, now, SystemTime::now()), Readiness::Gone);
        assert!(!t.contains(p));
    }

    #[test]
    fn replaced_file_starts_over() {
        let mut t = SettleTracker::new(SETTLE);
        let (t0, wall) = (Instant::now(), SystemTime::now());
        let p = Path::new("/in/r.txt");
        t.discovered(p, t0);
        let a = obs(10, wall);
        assert_eq!(t.observe(p, a, t0, wall), Readiness::Waiting);
        let mut b = a.unwrap();
        b.ino = 8;
        let later = t0 + Duration::from_millis(600);
        assert_eq!(t.observe(p, Some(b), later, wall), Readiness::Waiting);
    }
}
