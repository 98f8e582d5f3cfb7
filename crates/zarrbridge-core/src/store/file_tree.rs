//! Walking a file store's directories without ever following a symbolic link: resolving
//! paths below a directory descriptor, listing trees, deleting them. See [`super::file`] for
//! what links and special files mean to a file store.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
#[cfg(target_os = "linux")]
use std::sync::atomic::Ordering;

use rustix::fs::{self as rfs, AtFlags, Dir, FileType, Mode, OFlags};
use rustix::io::Errno;

/// How directories are opened: never through a link.
pub(super) const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// Keys with the sizes of their values.
pub(crate) type KeySizes = Vec<(String, u64)>;

/// Why a key cannot be used, for messages.
pub(super) fn refused(errno: Errno) -> io::Error {
    if errno == Errno::LOOP {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path passes through a symbolic link, and file stores do not follow links \
             below their root",
        )
    } else {
        errno.into()
    }
}

/// Whether a directory entry is a temporary file of a write in progress (`name#N`).
fn is_temporary(name: &str) -> bool {
    name.rsplit_once('#')
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(target_os = "linux")]
static OPENAT2: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Open the directory `name` in `dir`, not following a link: a link is `ELOOP` (the kernel
/// answers `ENOTDIR` for a link opened with `O_DIRECTORY | O_NOFOLLOW`).
pub(super) fn open_dir_at(
    dir: BorrowedFd<'_>,
    name: impl rustix::path::Arg,
) -> rustix::io::Result<OwnedFd> {
    name.into_with_c_str(|name| {
        rfs::openat(dir, name, DIR_FLAGS, Mode::empty()).map_err(|e| {
            let is_link = || {
                rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink)
            };
            if e == Errno::NOTDIR && is_link() {
                Errno::LOOP
            } else {
                e
            }
        })
    })
}

/// Open `segs` below `dir` with `flags`, following no symbolic link on the way.
pub(super) fn open_beneath(
    dir: BorrowedFd<'_>,
    segs: &[&str],
    flags: OFlags,
) -> rustix::io::Result<OwnedFd> {
    let Some((last, parents)) = segs.split_last() else {
        return rfs::openat(dir, c".", flags, Mode::empty());
    };
    #[cfg(target_os = "linux")]
    if OPENAT2.load(Ordering::Relaxed) {
        use rustix::fs::ResolveFlags;
        let resolve =
            ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        match rfs::openat2(dir, segs.join("/"), flags, Mode::empty(), resolve) {
            // No openat2 (kernels before 5.6, or a sandbox forbidding it): walk instead.
            Err(Errno::NOSYS | Errno::PERM) => OPENAT2.store(false, Ordering::Relaxed),
            // A rename raced the lookup, or something is not a directory (perhaps a link,
            // which the walk below tells apart): the walk settles it.
            Err(Errno::AGAIN | Errno::NOTDIR) => {}
            result => return result,
        }
    }
    let mut owned: Option<OwnedFd> = None;
    for seg in parents {
        let at = owned.as_ref().map_or(dir, AsFd::as_fd);
        owned = Some(open_dir_at(at, *seg)?);
    }
    let at = owned.as_ref().map_or(dir, AsFd::as_fd);
    if flags.contains(OFlags::DIRECTORY) {
        return open_dir_at(at, *last);
    }
    rfs::openat(at, *last, flags | OFlags::NOFOLLOW, Mode::empty())
}

/// The descriptors of `dir` and of each directory in `segs` below it, in order; `None` when
/// one is missing.
pub(super) fn open_chain(dir: OwnedFd, segs: &[&str]) -> io::Result<Option<Vec<OwnedFd>>> {
    let mut chain = vec![dir];
    for seg in segs {
        let at = chain
            .last()
            .expect("the chain starts with the root")
            .as_fd();
        match open_dir_at(at, *seg) {
            Ok(fd) => chain.push(fd),
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
            Err(e) => return Err(refused(e)),
        }
    }
    Ok(Some(chain))
}

/// Remove the directories of `segs` (each below the previous one in `chain`) that are empty,
/// from the deepest up, stopping at the first that is not.
pub(super) fn remove_empty_dirs(chain: &[OwnedFd], segs: &[&str]) {
    for (parent, seg) in chain.iter().zip(segs).rev() {
        if rfs::unlinkat(parent, *seg, AtFlags::REMOVEDIR).is_err() {
            break;
        }
    }
}

/// What kind of entry `name` in `dir` is (never following a link).
fn entry_kind(dir: BorrowedFd<'_>, name: &CStr, listed: FileType) -> FileType {
    if listed != FileType::Unknown {
        return listed;
    }
    rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode))
}

/// The entries of a directory (names and kinds), without `.` and `..`.
pub(super) fn entries(dir: &OwnedFd) -> io::Result<Vec<(std::ffi::CString, FileType)>> {
    let mut out = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == c"." || name == c".." {
            continue;
        }
        let kind = entry_kind(dir.as_fd(), name, entry.file_type());
        out.push((name.to_owned(), kind));
    }
    Ok(out)
}

/// A key name as listed: UTF-8, and not a temporary file.
pub(super) fn listed_name(name: &CStr) -> Option<&str> {
    name.to_str().ok().filter(|n| !is_temporary(n))
}

/// Delete everything inside `dir`, never following a link (a link is removed itself).
pub(super) fn clear_dir(dir: &OwnedFd) -> io::Result<()> {
    for (name, kind) in entries(dir)? {
        if kind == FileType::Directory {
            match rfs::openat(dir, &name, DIR_FLAGS, Mode::empty()) {
                Ok(sub) => clear_dir(&sub)?,
                Err(Errno::NOENT) => continue,
                // Replaced by a file or a link meanwhile: removed below as one.
                Err(Errno::LOOP | Errno::NOTDIR) => {}
                Err(e) => return Err(e.into()),
            }
            match rfs::unlinkat(dir, &name, AtFlags::REMOVEDIR) {
                // NOTEMPTY: a concurrent write landed after the delete, which is as if it came
                // later. NOTDIR: replaced by a file or a link, removed next.
                Ok(()) | Err(Errno::NOENT | Errno::NOTEMPTY | Errno::EXIST) => continue,
                Err(Errno::NOTDIR) => {}
                Err(e) => return Err(e.into()),
            }
        }
        match rfs::unlinkat(dir, &name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(Errno::ISDIR) => clear_dir(&rfs::openat(dir, &name, DIR_FLAGS, Mode::empty())?)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Whether `dir` holds a value somewhere below it.
pub(super) fn holds_value(dir: &OwnedFd) -> io::Result<bool> {
    for (name, kind) in entries(dir)? {
        match kind {
            FileType::RegularFile if listed_name(&name).is_some() => return Ok(true),
            FileType::Directory => match rfs::openat(dir, &name, DIR_FLAGS, Mode::empty()) {
                Ok(sub) if holds_value(&sub)? => return Ok(true),
                Ok(_) | Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => {}
                Err(e) => return Err(e.into()),
            },
            _ => {}
        }
    }
    Ok(false)
}

/// The size of the regular file `name` in `dir`; `None` when it has gone meanwhile.
pub(super) fn size_of(dir: &OwnedFd, name: &CStr) -> io::Result<Option<u64>> {
    match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => Ok(Some(u64::try_from(st.st_size).unwrap_or(0))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Append every key below `dir` (whose keys start with `base`), with its size, to `out`.
pub(super) fn walk(dir: &OwnedFd, base: &str, out: &mut KeySizes) -> io::Result<()> {
    for (name, kind) in entries(dir)? {
        let Some(text) = listed_name(&name) else {
            continue;
        };
        match kind {
            FileType::RegularFile => {
                if let Some(size) = size_of(dir, &name)? {
                    out.push((format!("{base}{text}"), size));
                }
            }
            FileType::Directory => match rfs::openat(dir, &name, DIR_FLAGS, Mode::empty()) {
                Ok(sub) => walk(&sub, &format!("{base}{text}/"), out)?,
                Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => {}
                Err(e) => return Err(e.into()),
            },
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_temporary;

    #[test]
    fn temporary_names_are_recognised() {
        assert!(is_temporary("zarr.json#12"));
        assert!(!is_temporary("zarr.json#"));
        assert!(!is_temporary("a#b"));
        assert!(!is_temporary("plain"));
    }
}
