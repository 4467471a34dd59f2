//! The watcher: files landing in the inbox become `news.raw` messages (SPEC §2).
