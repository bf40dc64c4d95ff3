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
//! Safety of the `madvise`: the mappings are libgit2's read-only mappings of
//! files under this repository's `objects/pack/` (never written, so dropping
//! their pages loses nothing), found in `/proc/self/maps` and advised at
//! once, on the thread that uses the repository, between libgit2 calls:
//! libgit2 unmaps them only when the pack is closed, which cannot happen in
//! between.

use std::path::Path;

/// How many object look-ups (commits walked, trees read) between two
/// [`relieve`] calls. Each look-up of a large index touches a few pages
/// (64 KiB each with fault-around), the top of the binary search being the
/// same every time: 16 keep the resident part of an index to a few MiB,
/// and the call (reading `/proc/self/maps`, one `madvise` per mapping)
/// costs well under a microsecond per look-up.
pub const EVERY: u64 = 16;

/// Below this many bytes of pack indexes, [`relieve`] is not worth its cost
/// (every look-up after it maps the top of the binary search again): the
/// whole indexes stay resident, a few MiB at most.
pub const RELIEVE_ABOVE: u64 = 4 * 1024 * 1024;

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

/// Give back the resident pages of the pack files under `objects_dir`
/// (`.git/objects`). Best effort: errors are ignored (the pages simply
/// stay).
pub fn relieve(objects_dir: &Path) {
    #[cfg(target_os = "linux")]
    linux::relieve(objects_dir);
    #[cfg(not(target_os = "linux"))]
    let _ = objects_dir;
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

    pub fn relieve(objects_dir: &Path) {
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
