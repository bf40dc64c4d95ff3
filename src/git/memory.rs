//! Part of the one git layer ([`crate::git`]): keeping peak memory flat
//! during long walks.
//!
//! libgit2 maps each pack's index (`.idx`) whole and reads pack data through
//! mapped windows. Every object lookup binary-searches the index, and each
//! page it touches stays in the process's resident set (with the kernel's
//! fault-around, 64 KiB per touch): in a 200,000-commit history a few
//! thousand lookups make most of a 55 MiB index resident, whatever the
//! range. [`relieve`] tells the kernel those pages are not needed any more
//! (`madvise(MADV_DONTNEED)` on the read-only file mappings of this
//! repository's packs, so they stay in the page cache and a later lookup
//! maps them again from there). [`trim_allocator`] gives the allocator's
//! free memory back after a phase (`malloc_trim`: it walks the whole heap,
//! so not during a walk). Linux only; no-ops elsewhere.
//!
//! Pages are given back only when the process's resident set is over
//! [`RELIEVE_AT_BYTES`]: below it, the cost (reading `/proc/self/maps`,
//! `madvise`, faulting the pages in again) buys nothing.
//!
//! Safety of the `madvise`: the mappings are libgit2's read-only mappings of
//! files under this repository's `objects/pack/` (never written, so dropping
//! their pages loses nothing), found in `/proc/self/maps` and advised at
//! once. An index is mapped from opening its pack to closing it, which
//! cannot happen during a walk; a pack's data windows are unmapped when
//! libgit2 maps others, so they are advised only from the one thread that
//! uses libgit2, between its calls ([`Relief::IndexesAndPacks`]); while two
//! threads read the repository, only the indexes are ([`Relief::Indexes`]).

use std::path::Path;

/// How many object look-ups (commits walked, trees read) between two
/// checks of the resident set ([`Budget::check`], then [`relieve`] when
/// over it). Each look-up of a large index touches a few pages (64 KiB each with
/// fault-around), the top of the binary search being the same every time:
/// a look-up in a 55 MiB index (200,000 commits) adds some 0.5 MiB, so 4
/// add at most 2 MiB between two checks, and a check below the line is one
/// `getrusage`.
pub const EVERY: u64 = 4;

/// Pack pages are given back only while the process's resident set is
/// above this (the release binary's own pages are some 8 MiB of it): below
/// it they cost nothing worth a [`relieve`], which in a 30,000-commit walk
/// was a third of the time. Peak memory stays a few MiB above it at most
/// (what [`EVERY`] look-ups can touch between two checks), under the 32 MiB
/// that issue 12 sets for a release of any range.
pub const RELIEVE_AT_BYTES: u64 = 28 * 1024 * 1024;

/// After a [`relieve`] that left the resident set above
/// [`RELIEVE_AT_BYTES`] (what is resident is not pack pages), the next one
/// waits until it has grown this much more: giving back pages that are
/// mapped again at once is all cost.
pub const RELIEVE_SLACK_BYTES: u64 = 2 * 1024 * 1024;

/// When to give pack pages back, for one repository handle (one thread).
#[derive(Debug, Default)]
pub struct Budget {
    /// The resident set right after the last relief.
    after_relief: std::cell::Cell<u64>,
}

impl Budget {
    /// Give back the pack pages under `objects_dir` (`what` of them) when
    /// the resident set is over [`RELIEVE_AT_BYTES`] and over what the last
    /// relief left plus [`RELIEVE_SLACK_BYTES`]. Cheap below the line: the
    /// peak first (`getrusage`: below the line, so is the present), then
    /// the present (`/proc/self/statm`). Elsewhere than Linux: nothing.
    pub fn check(&self, objects_dir: &Path, what: Relief) {
        #[cfg(target_os = "linux")]
        {
            if linux::peak_bytes() <= RELIEVE_AT_BYTES {
                return;
            }
            let now = linux::resident_bytes();
            let line = RELIEVE_AT_BYTES.max(self.after_relief.get() + RELIEVE_SLACK_BYTES);
            if now > line {
                relieve(objects_dir, what);
                self.after_relief.set(linux::resident_bytes());
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (objects_dir, what);
    }
}

/// Above this many bytes of pack indexes, [`crate::git::Git::add_changes`]
/// diffs on one thread only (see there).
pub const PARALLEL_INDEXES_UP_TO: u64 = 16 * 1024 * 1024;

/// Above this many bytes of pack indexes, [`crate::git::Git::diff_ahead`]
/// does not start: its results would be held during the whole walk, and a
/// long history's index pages plus the walk's nodes plus those results go
/// over [`RELIEVE_AT_BYTES`], where giving pages back on every few look-ups
/// cost more than the diffs ahead saved (30,000 commits: 2.4× slower).
pub const AHEAD_INDEXES_UP_TO: u64 = 4 * 1024 * 1024;

/// The size of the pack indexes (`objects/pack/*.idx`) under `objects_dir`.
pub fn pack_index_bytes(objects_dir: &Path) -> u64 {
    std::fs::read_dir(objects_dir.join("pack"))
        .map(|dir| {
            dir.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".idx"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// What [`relieve`] gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relief {
    /// The pack indexes and the pack data windows: only while one thread
    /// uses libgit2 (it unmaps a data window when it maps another, so
    /// another thread could unmap one between reading the list of mappings
    /// and advising it).
    IndexesAndPacks,
    /// The pack indexes only (mapped from opening the pack to closing it,
    /// which cannot happen during a walk): safe with several threads.
    Indexes,
}

/// Give back the resident pages of the pack files under `objects_dir`
/// (`.git/objects`). Best effort: errors are ignored (the pages simply
/// stay).
pub fn relieve(objects_dir: &Path, what: Relief) {
    #[cfg(target_os = "linux")]
    linux::relieve(objects_dir, what);
    #[cfg(not(target_os = "linux"))]
    let _ = (objects_dir, what);
}

/// Give the allocator's free memory back to the system (after a phase that
/// allocated a lot on another thread: each thread has its own arena).
pub fn trim_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of glibc's arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::path::Path;

    /// The peak resident set so far (`getrusage`); 0 when unknown.
    pub fn peak_bytes() -> u64 {
        // SAFETY: getrusage fills the struct it is given.
        unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
                return 0;
            }
            usage.ru_maxrss as u64 * 1024
        }
    }

    /// The resident set now (`/proc/self/statm`); 0 when unknown.
    pub fn resident_bytes() -> u64 {
        let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
            return 0;
        };
        let pages: u64 = statm
            .split_ascii_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
        pages * page
    }

    pub fn relieve(objects_dir: &Path, what: super::Relief) {
        let pack_dir = objects_dir.join("pack");
        let Some(pack_dir) = pack_dir.to_str() else {
            return;
        };
        let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
            return;
        };
        for line in maps.lines() {
            let Some(mapping) = pack_mapping(line, pack_dir) else {
                continue;
            };
            if what == super::Relief::Indexes && !line.ends_with(".idx") {
                continue;
            }
            // SAFETY: a read-only (`r--`), file-backed mapping of a pack
            // file of this repository, made by libgit2 and still mapped
            // (see the module's documentation); MADV_DONTNEED on it only
            // drops resident pages, which the kernel maps again from the
            // file on the next access.
            unsafe {
                libc::madvise(
                    mapping.0 as *mut libc::c_void,
                    mapping.1,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }

    /// `(start, length)` of a line of `/proc/self/maps` when it is a
    /// read-only mapping of a `.idx` or `.pack` file in `pack_dir`.
    pub(super) fn pack_mapping(line: &str, pack_dir: &str) -> Option<(usize, usize)> {
        let mut fields = line.split_ascii_whitespace();
        let range = fields.next()?;
        let perms = fields.next()?;
        // offset, device, inode, then the path (no spaces in ours).
        let path = fields.nth(3)?;
        if !perms.starts_with("r--") || fields.next().is_some() {
            return None;
        }
        let name = path.strip_prefix(pack_dir)?.strip_prefix('/')?;
        if name.contains('/') || !(name.ends_with(".idx") || name.ends_with(".pack")) {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        (end > start).then_some((start, end - start))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::pack_mapping;

    #[test]
    fn only_read_only_pack_files_of_this_repository() {
        let dir = "/r/.git/objects/pack";
        let ok =
            "7f0000001000-7f0000003000 r--s 00000000 fd:01 123 /r/.git/objects/pack/pack-ab.idx";
        assert_eq!(pack_mapping(ok, dir), Some((0x7f0000001000, 0x2000)));
        let pack =
            "7f0000001000-7f0000002000 r--s 00001000 fd:01 124 /r/.git/objects/pack/pack-ab.pack";
        assert_eq!(pack_mapping(pack, dir), Some((0x7f0000001000, 0x1000)));
        for other in [
            // writable
            "7f0000001000-7f0000003000 rw-s 00000000 fd:01 123 /r/.git/objects/pack/pack-ab.idx",
            // executable
            "7f0000001000-7f0000003000 r-xp 00000000 fd:01 123 /r/.git/objects/pack/pack-ab.idx",
            // another repository
            "7f0000001000-7f0000003000 r--s 00000000 fd:01 123 /s/.git/objects/pack/pack-ab.idx",
            "7f0000001000-7f0000003000 r--s 00000000 fd:01 123 /r/.git/objects/pack-x/pack-ab.idx",
            // not a pack file
            "7f0000001000-7f0000003000 r--s 00000000 fd:01 123 /r/.git/objects/pack/pack-ab.rev2",
            "7f0000001000-7f0000003000 r--p 00000000 fd:01 123 /r/.git/objects/pack/sub/a.idx",
            // anonymous, or a path with a space after it
            "7f0000001000-7f0000003000 r--p 00000000 00:00 0",
            "7f0000001000-7f0000003000 r--s 00000000 fd:01 123 /r/.git/objects/pack/a.idx (deleted)",
        ] {
            assert_eq!(pack_mapping(other, dir), None, "{other}");
        }
    }
}
