//! Where a file goes once the watcher is through with it: `done/` (or deleted) after every
//! PubAck, `rejected/` beside a `NAME.reason.txt`. A file already in the destination is never
//! overwritten: the newcomer gets a numbered name (`a.txt` → `a.1.txt`).

use anyhow::{Context, Result};
use std::ffi::{CString, OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// How many numbered names are tried before giving up.
const MAX_SUFFIX: u32 = 100_000;

/// `name` with `.N` before its extension: `a.txt` → `a.3.txt`, `README` → `README.3`,
/// `feed.jsonl` → `feed.3.jsonl`. `n == 0` is the name itself.
pub fn numbered_name(name: &OsStr, n: u32) -> OsString {
    if n == 0 {
        return name.to_os_string();
    }
    let b = name.as_bytes();
    // The extension is after the last dot, unless that dot starts the name.
    let split = b.iter().rposition(|&c| c == b'.').filter(|&i| i > 0);
    let mut out = Vec::with_capacity(b.len() + 8);
    match split {
        Some(i) => {
            out.extend_from_slice(&b[..i]);
            out.extend_from_slice(format!(".{n}").as_bytes());
            out.extend_from_slice(&b[i..]);
        }
        None => {
            out.extend_from_slice(b);
            out.extend_from_slice(format!(".{n}").as_bytes());
        }
    }
    OsString::from_vec(out)
}

/// Longest file name most Linux filesystems accept, in bytes.
const NAME_MAX: usize = 255;

/// Room kept for a numbering `.N` when a name has to be shortened.
const NUMBER_ROOM: usize = 7;

/// [`numbered_name`], shortened when it and a `suffix_len`-byte sibling suffix would not fit in
/// [`NAME_MAX`]: the stem is cut (at a character boundary), the extension kept. Without this a
/// 250-byte name could be moved to rejected/ but never get its `NAME.reason.txt`.
pub fn fitting_name(name: &OsStr, n: u32, suffix_len: usize) -> OsString {
    let full = numbered_name(name, n);
    if full.len() + suffix_len <= NAME_MAX {
        return full;
    }
    let b = name.as_bytes();
    let ext_at = b
        .iter()
        .rposition(|&c| c == b'.')
        .filter(|&i| i > 0 && b.len() - i <= 16)
        .unwrap_or(b.len());
    let budget = NAME_MAX.saturating_sub(suffix_len + NUMBER_ROOM + (b.len() - ext_at));
    let mut cut = budget.min(ext_at).max(1);
    // Not inside a UTF-8 sequence.
    while cut > 1 && cut < b.len() && (b[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let mut short = b[..cut].to_vec();
    short.extend_from_slice(&b[ext_at..]);
    numbered_name(OsStr::from_bytes(&short), n)
}

/// Move `src` into `dir` under its own name or the first free numbered one, never replacing
/// anything; `also_free` names a sibling (like `.reason.txt`) that must be free too.
/// Returns the final path.
pub fn move_into(src: &Path, dir: &Path, also_free: Option<&str>) -> Result<PathBuf> {
    let name = src
        .file_name()
        .with_context(|| format!("{} has no file name", crate::names::shown(src)))?;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", crate::names::shown(dir)))?;
    let suffix_len = also_free.map_or(0, str::len);
    for n in 0..MAX_SUFFIX {
        let candidate = dir.join(fitting_name(name, n, suffix_len));
        if let Some(suffix) = also_free {
            if sibling(&candidate, suffix).symlink_metadata().is_ok() {
                continue;
            }
        }
        match rename_no_replace(src, &candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "move {} to {}",
                        crate::names::shown(src),
                        crate::names::shown(&candidate)
                    )
                })
            }
        }
    }
    anyhow::bail!(
        "no free name for {} in {} after {MAX_SUFFIX} tries",
        crate::names::shown(src),
        crate::names::shown(dir)
    )
}

/// `path` with `suffix` appended to its file name (`a.txt` + `.reason.txt`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// Write the one-line reason beside a rejected file (`NAME.reason.txt`).
pub fn write_reason(rejected_file: &Path, reason: &str) -> Result<PathBuf> {
    let path = sibling(rejected_file, ".reason.txt");
    // create_new (O_EXCL): never through a symlink or over a file planted at that name.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("create {}", crate::names::shown(&path)))?;
    writeln!(f, "{reason}").with_context(|| format!("write {}", crate::names::shown(&path)))?;
    Ok(path)
}

/// Rename without replacing: `renameat2(RENAME_NOREPLACE)`; where the filesystem lacks it, a
/// hard link (which also refuses to replace) then unlink; across filesystems, a copy to a
/// temporary name, a no-replace link, then unlink.
fn rename_no_replace(src: &Path, dst: &Path) -> io::Result<()> {
    let c_src = c_path(src)?;
    let c_dst = c_path(dst)?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            c_src.as_ptr(),
            libc::AT_FDCWD,
            c_dst.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            std::fs::hard_link(src, dst)?;
            std::fs::remove_file(src)
        }
        Some(libc::EXDEV) => copy_across(src, dst),
        _ => Err(err),
    }
}

fn copy_across(src: &Path, dst: &Path) -> io::Result<()> {
    let dir = dst.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".newsflow-copy-{}", std::process::id()));
    std::fs::copy(src, &tmp)?;
    std::fs::File::open(&tmp)?.sync_all()?;
    let linked = std::fs::hard_link(&tmp, dst);
    let _ = std::fs::remove_file(&tmp);
    linked?;
    std::fs::remove_file(src)
}

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_keep_the_extension() {
        let n = |s: &str, i| numbered_name(OsStr::new(s), i).into_string().unwrap();
        assert_eq!(n("a.txt", 0), "a.txt");
        assert_eq!(n("a.txt", 1), "a.1.txt");
        assert_eq!(n("feed.jsonl", 2), "feed.2.jsonl");
        assert_eq!(n("README", 3), "README.3");
        assert_eq!(n(".profile", 1), ".profile.1");
    }

    #[test]
    fn moving_never_overwrites_a_same_named_file() {
        let root = tempfile::tempdir().unwrap();
        let inbox = root.path().join("inbox");
        let done = root.path().join("done");
        std::fs::create_dir_all(&inbox).unwrap();
        for (i, body) in ["first", "second", "third"].iter().enumerate() {
            let src = inbox.join("a.txt");
            std::fs::write(&src, body).unwrap();
            let dst = move_into(&src, &done, None).unwrap();
            let want = if i == 0 {
                "a.txt".to_string()
            } else {
                format!("a.{i}.txt")
            };
            assert_eq!(dst, done.join(want));
            assert!(!src.exists());
        }
        assert_eq!(
            std::fs::read_to_string(done.join("a.txt")).unwrap(),
            "first"
        );
        assert_eq!(
            std::fs::read_to_string(done.join("a.2.txt")).unwrap(),
            "third"
        );
    }

    #[test]
    fn rejected_name_needs_its_reason_file_free_too() {
        let root = tempfile::tempdir().unwrap();
        let rej = root.path().join("rejected");
        std::fs::create_dir_all(&rej).unwrap();
        std::fs::write(rej.join("b.txt.reason.txt"), "old").unwrap();
        let src = root.path().join("b.txt");
        std::fs::write(&src, "").unwrap();
        let dst = move_into(&src, &rej, Some(".reason.txt")).unwrap();
        assert_eq!(dst, rej.join("b.1.txt"));
        let reason = write_reason(&dst, "empty file").unwrap();
        assert_eq!(reason, rej.join("b.1.txt.reason.txt"));
        assert_eq!(std::fs::read_to_string(reason).unwrap(), "empty file\n");
    }

    #[test]
    fn long_names_are_shortened_so_the_reason_file_fits() {
        let long = format!("{}.txt", "长".repeat(82)); // 250 bytes
        let name = OsStr::new(&long);
        assert_eq!(fitting_name(name, 0, 0), name);
        let short = fitting_name(name, 0, ".reason.txt".len());
        assert!(
            short.len() + ".reason.txt".len() <= NAME_MAX,
            "{}",
            short.len()
        );
        let s = short.to_str().expect("cut at a character boundary");
        assert!(s.ends_with(".txt") && s.starts_with("长长"), "{s}");
        let numbered = fitting_name(name, 99_999, ".reason.txt".len());
        assert!(numbered.len() + ".reason.txt".len() <= NAME_MAX);

        let root = tempfile::tempdir().unwrap();
        let src = root.path().join(name);
        std::fs::write(&src, "").unwrap();
        let rej = root.path().join("rejected");
        let dst = move_into(&src, &rej, Some(".reason.txt")).unwrap();
        let reason = write_reason(&dst, "empty file").unwrap();
        assert_eq!(std::fs::read_to_string(reason).unwrap(), "empty file\n");
    }

    #[test]
    fn symlinks_move_as_links() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("target.txt");
        std::fs::write(&target, "t").unwrap();
        let link = root.path().join("l.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dst = move_into(&link, &root.path().join("rejected"), None).unwrap();
        assert!(dst.symlink_metadata().unwrap().file_type().is_symlink());
        assert!(target.exists());
    }
}
