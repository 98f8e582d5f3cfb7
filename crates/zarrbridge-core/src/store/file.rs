//! File stores: each key is a regular file below a root directory.
//!
//! **Symbolic links below the root are never followed.** Every path is resolved from a
//! descriptor of the root with links refused at every component (`openat2` with
//! `RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH` on Linux, else one `openat(O_NOFOLLOW)` per
//! component), so a link swapped in between a check and a use redirects nothing. Reading a key
//! whose path passes through a link fails with a store error naming it; listings leave links
//! out; writing through a linked directory fails; a write to a key that is itself a link
//! replaces the link; deletes remove a link itself, never what it points to. The root may be a
//! link: that is the caller's choice. (`object_store`'s `LocalFileSystem` and zarrs'
//! `FilesystemStore` follow links wherever they lead.)
//!
//! **Only regular files are values.** Files are opened with `O_NONBLOCK` and checked with
//! `fstat` before anything is read: a FIFO, device or socket planted at a key is refused at
//! once. Opening a FIFO for reading would otherwise wait for a writer forever, pinning the
//! thread, and enough such reads would pin every file-I/O thread of the process.
//!
//! Writes go to a temporary file (`name#N`, as `object_store` names them, left out of
//! listings) renamed into place: readers see the old value or the new one. Deletes remove the
//! directories they leave empty, up to the root, so listings keep no trace of deleted keys.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use zarrs::storage::byte_range::ByteRange;

use super::file_tree::{
    clear_dir, entries, holds_value, listed_name, open_beneath, open_chain, open_dir_at, refused,
    remove_empty_dirs, size_of, walk, KeySizes, DIR_FLAGS,
};
use super::ranges::{spans, Ranged};
use super::redact::Redactor;
use crate::error::{Error, Redacted, Result};
use crate::limits::check_allocation;

const READ_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::NOFOLLOW)
    .union(OFlags::NONBLOCK)
    .union(OFlags::NOCTTY)
    .union(OFlags::CLOEXEC);
const TEMP_FLAGS: OFlags = OFlags::WRONLY
    .union(OFlags::CREATE)
    .union(OFlags::EXCL)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// How often a write starts over when a concurrent delete removed a directory on its way (one
/// it had just found or made, still empty). Each delete removes the directories it empties once,
/// so a write can lose this race at most once per concurrent delete: the bound is only a guard.
const WRITE_ATTEMPTS: usize = 1000;

/// A directory of files holding a store's values.
#[derive(Debug)]
pub(crate) struct FileStore {
    root: PathBuf,
}

/// An open value: the file and its size when opened.
pub(crate) struct Value {
    file: File,
    /// Bytes in the file.
    pub len: u64,
    /// The file's inode and modification time (seconds, nanoseconds): with the size, its
    /// version (see [`Value::version`]).
    stamp: (u64, i64, u64),
}

/// The segments of a key or prefix (`""` has none). Keys are checked again here, before any
/// I/O, so that no caller can reach outside the root whatever it passes.
fn segments(path: &str) -> Result<Vec<&str>> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    for part in &parts {
        if part.is_empty() || *part == "." || *part == ".." || part.contains('\0') {
            return Err(Error::InvalidPath {
                path: path.to_string(),
                reason: "empty, '.' and '..' segments and NUL are not allowed in a file store"
                    .into(),
            });
        }
    }
    Ok(parts)
}

/// A file-system error as a store error, the OS error kept as its cause (the binding raises
/// it as the `OSError` subclass of its kind). The caller adds the store and key.
fn os_error(e: io::Error) -> Error {
    let cause = Redacted::new(Box::new(e), &Redactor::default());
    Error::Store {
        message: cause.to_string(),
        source: Some(cause),
    }
}

/// A name for a temporary file that no other write of this process uses.
fn temporary_name(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{name}#{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Write `value` to a temporary file in `dir` and rename it to `name`.
fn write_into(dir: &OwnedFd, name: &str, value: &[u8]) -> io::Result<()> {
    let (temp, fd) = loop {
        let temp = temporary_name(name);
        match rfs::openat(dir, temp.as_str(), TEMP_FLAGS, Mode::from_raw_mode(0o666)) {
            Ok(fd) => break (temp, fd),
            Err(Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
    };
    let written = File::from(fd)
        .write_all(value)
        .and_then(|()| rename_into_place(dir, &temp, name));
    if written.is_err() {
        let _ = rfs::unlinkat(dir, temp.as_str(), AtFlags::empty());
    }
    written
}

fn rename_into_place(dir: &OwnedFd, temp: &str, name: &str) -> io::Result<()> {
    match rfs::renameat(dir, temp, dir, name) {
        // A directory where the value goes: one holding no value (left by a crash or another
        // tool) gives way; one holding keys cannot, as a file system cannot hold both `k` and
        // `k/x`.
        Err(Errno::ISDIR | Errno::NOTEMPTY | Errno::EXIST) => {
            let in_the_way = open_dir_at(dir.as_fd(), name)?;
            if holds_value(&in_the_way)? {
                return Err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "a directory holding other keys is in the way (a file store cannot hold \
                     both a key and keys below it)",
                ));
            }
            clear_dir(&in_the_way)?;
            match rfs::unlinkat(dir, name, AtFlags::REMOVEDIR) {
                Ok(()) | Err(Errno::NOENT) => Ok(rfs::renameat(dir, temp, dir, name)?),
                Err(e) => Err(e.into()),
            }
        }
        result => Ok(result?),
    }
}

impl FileStore {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root }
    }

    /// A descriptor of the root (which may itself be a link); `None` when it does not exist
    /// and `create` is false.
    fn open_root(&self, create: bool) -> io::Result<Option<OwnedFd>> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        match rfs::open(&self.root, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::NOENT) if create => {
                std::fs::create_dir_all(&self.root)?;
                Ok(Some(rfs::open(&self.root, flags, Mode::empty())?))
            }
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Open the value at `key`; `None` when there is none (a directory is no value).
    pub(crate) fn open(&self, key: &str) -> Result<Option<Value>> {
        let segs = segments(key)?;
        let Some(root) = self.open_root(false).map_err(os_error)? else {
            return Ok(None);
        };
        let fd = match open_beneath(root.as_fd(), &segs, READ_FLAGS) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(None),
            Err(e) => return Err(os_error(refused(e))),
        };
        let stat = rfs::fstat(&fd).map_err(|e| os_error(e.into()))?;
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => Ok(Some(Value {
                file: File::from(fd),
                len: u64::try_from(stat.st_size).unwrap_or(0),
                #[allow(clippy::unnecessary_cast, clippy::cast_lossless)] // types vary by target
                stamp: (
                    stat.st_ino as u64,
                    stat.st_mtime as i64,
                    stat.st_mtime_nsec as u64,
                ),
            })),
            FileType::Directory => Ok(None),
            other => Err(Error::store(format!(
                "the value is a {} rather than a regular file, and file stores read only \
                 regular files",
                kind_name(other)
            ))),
        }
    }

    /// The whole value at `key`; `None` when there is none.
    pub(crate) fn get(&self, key: &str) -> Result<Option<bytes::Bytes>> {
        match self.open(key)? {
            Some(value) => value.read_all(key).map(Some),
            None => Ok(None),
        }
    }

    /// Byte ranges (`(start, length)`, within the value) of the value at `key`, chosen by
    /// `spans` once the value's size is known; `None` when there is none.
    pub(crate) fn get_ranges(
        &self,
        key: &str,
        spans: impl FnOnce(u64) -> Result<Vec<(u64, u64)>>,
    ) -> Result<Option<Vec<bytes::Bytes>>> {
        let Some(value) = self.open(key)? else {
            return Ok(None);
        };
        let spans = spans(value.len)?;
        spans
            .iter()
            .map(|&(start, len)| value.read_at(key, start, len))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// Byte `ranges` of the value at `key`, with its size and version, unless it is no longer
    /// `version` ([`Ranged::Changed`]; checked before reading, as an object store checks
    /// `If-Match`). A range starting past the end is an error, one ending past it is cut.
    pub(crate) fn read_ranges(
        &self,
        key: &str,
        ranges: &[ByteRange],
        version: Option<&str>,
    ) -> Result<Ranged> {
        let Some(value) = self.open(key)? else {
            return Ok(Ranged::Missing);
        };
        let found = value.version();
        if version.is_some_and(|v| v != found) {
            return Ok(Ranged::Changed);
        }
        let parts = spans(ranges, value.len, false)?
            .into_iter()
            .map(|(start, len)| value.read_at(key, start, len))
            .collect::<Result<_>>()?;
        Ok(Ranged::Found {
            parts,
            size: Some(value.len),
            version: Some(found),
        })
    }

    /// The size of the value at `key`; `None` when there is none.
    pub(crate) fn size(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.open(key)?.map(|v| v.len))
    }

    /// Write a whole value, atomically (see the module docs).
    pub(crate) fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        let segs = segments(key)?;
        let Some((name, dirs)) = segs.split_last() else {
            return Err(Error::InvalidPath {
                path: key.to_string(),
                reason: "an empty key names no value".into(),
            });
        };
        let attempt = || -> io::Result<()> {
            let root = self.open_root(true)?.expect("created when missing");
            write_into(&self.make_dirs(root, dirs)?, name, value)
        };
        let mut attempts = 1;
        loop {
            match attempt() {
                // A delete that emptied a directory on the way removed it under us.
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < WRITE_ATTEMPTS => {
                    attempts += 1;
                }
                result => return result.map_err(os_error),
            }
        }
    }

    /// The directory `dirs` below the root, made where missing.
    #[allow(clippy::unused_self)] // a method beside its siblings reads better
    fn make_dirs(&self, root: OwnedFd, dirs: &[&str]) -> io::Result<OwnedFd> {
        if dirs.is_empty() {
            return Ok(root);
        }
        match open_beneath(root.as_fd(), dirs, DIR_FLAGS) {
            Ok(fd) => return Ok(fd),
            Err(Errno::NOENT) => {}
            Err(e) => return Err(refused(e)),
        }
        let mut dir = root;
        for seg in dirs {
            match rfs::mkdirat(&dir, *seg, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
            dir = open_dir_at(dir.as_fd(), *seg).map_err(refused)?;
        }
        Ok(dir)
    }

    /// Erase the value at `key` (an absent one is fine) and the directories that leaves empty.
    pub(crate) fn erase(&self, key: &str) -> Result<()> {
        let segs = segments(key)?;
        let Some((name, dirs)) = segs.split_last() else {
            return Ok(());
        };
        let Some(root) = self.open_root(false).map_err(os_error)? else {
            return Ok(());
        };
        let Some(chain) = open_chain(root, dirs).map_err(os_error)? else {
            return Ok(());
        };
        let parent = chain.last().expect("the chain starts with the root");
        match rfs::unlinkat(parent, *name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            // A directory is no value; an empty one left behind goes, one with keys stays.
            Err(Errno::ISDIR | Errno::PERM) => {
                let _ = rfs::unlinkat(parent, *name, AtFlags::REMOVEDIR);
            }
            Err(e) => return Err(os_error(e.into())),
        }
        remove_empty_dirs(&chain, dirs);
        Ok(())
    }

    /// Erase everything below `prefix` (`""` or ending in `/`), and the directories that
    /// leaves empty (never the root).
    pub(crate) fn erase_prefix(&self, prefix: &str) -> Result<()> {
        let segs = segments(prefix)?;
        let Some(root) = self.open_root(false).map_err(os_error)? else {
            return Ok(());
        };
        let Some((name, dirs)) = segs.split_last() else {
            return clear_dir(&root).map_err(os_error);
        };
        let Some(chain) = open_chain(root, dirs).map_err(os_error)? else {
            return Ok(());
        };
        let parent = chain.last().expect("the chain starts with the root");
        match open_dir_at(parent.as_fd(), *name) {
            Ok(dir) => {
                clear_dir(&dir).map_err(os_error)?;
                let _ = rfs::unlinkat(parent, *name, AtFlags::REMOVEDIR);
            }
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok(()),
            // The prefix is a link: remove the link, never what it points to.
            Err(Errno::LOOP) => {
                rfs::unlinkat(parent, *name, AtFlags::empty()).map_err(|e| os_error(e.into()))?;
            }
            Err(e) => return Err(os_error(e.into())),
        }
        remove_empty_dirs(&chain, dirs);
        Ok(())
    }

    /// The directory of a prefix; `None` when it is missing (or a link, which is not followed).
    fn open_prefix(&self, prefix: &str) -> Result<Option<OwnedFd>> {
        let segs = segments(prefix)?;
        let Some(root) = self.open_root(false).map_err(os_error)? else {
            return Ok(None);
        };
        if segs.is_empty() {
            return Ok(Some(root));
        }
        match open_beneath(root.as_fd(), &segs, DIR_FLAGS) {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => Ok(None),
            Err(e) => Err(os_error(e.into())),
        }
    }

    /// Every key below `prefix` (`""` or ending in `/`), sorted, with its size.
    pub(crate) fn list(&self, prefix: &str) -> Result<KeySizes> {
        let Some(dir) = self.open_prefix(prefix)? else {
            return Ok(Vec::new());
        };
        let mut keys = Vec::new();
        walk(&dir, prefix, &mut keys).map_err(os_error)?;
        keys.sort();
        Ok(keys)
    }

    /// The keys (with sizes) directly below `prefix`, and its child prefixes (ending in `/`)
    /// that hold at least one value, each sorted.
    pub(crate) fn list_dir(&self, prefix: &str) -> Result<(KeySizes, Vec<String>)> {
        let Some(dir) = self.open_prefix(prefix)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let (mut keys, mut prefixes) = (Vec::new(), Vec::new());
        for (name, kind) in entries(&dir).map_err(os_error)? {
            let Some(text) = listed_name(&name) else {
                continue;
            };
            match kind {
                FileType::RegularFile => {
                    if let Some(size) = size_of(&dir, &name).map_err(os_error)? {
                        keys.push((format!("{prefix}{text}"), size));
                    }
                }
                FileType::Directory => match rfs::openat(&dir, &name, DIR_FLAGS, Mode::empty()) {
                    Ok(sub) if holds_value(&sub).map_err(os_error)? => {
                        prefixes.push(format!("{prefix}{text}/"));
                    }
                    Ok(_) | Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => {}
                    Err(e) => return Err(os_error(e.into())),
                },
                _ => {}
            }
        }
        keys.sort();
        prefixes.sort();
        Ok((keys, prefixes))
    }
}

impl Value {
    /// The version of the value: inode, modification time and size, as `object_store`'s
    /// `LocalFileSystem` makes its `ETag`s (with nanoseconds). Every write through a file store
    /// renames a new file into place, so a replaced value has another inode at least until its
    /// number is reused, and then another time or size unless the same clock tick wrote the
    /// same size.
    pub(crate) fn version(&self) -> String {
        let (inode, secs, nanos) = self.stamp;
        format!("{inode:x}-{secs:x}.{nanos:x}-{:x}", self.len)
    }

    /// The whole value, read on this thread.
    pub(crate) fn read_all(self, key: &str) -> Result<bytes::Bytes> {
        check_allocation(self.len, || format!("reading key {key:?}"))?;
        let len = usize::try_from(self.len).unwrap_or(usize::MAX);
        let mut buffer = Vec::with_capacity(len);
        // Only what the file held when opened: a file growing meanwhile cannot make this
        // read (and its buffer) grow without bound.
        self.file
            .take(self.len)
            .read_to_end(&mut buffer)
            .map_err(os_error)?;
        Ok(buffer.into())
    }

    fn read_at(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes> {
        check_allocation(len, || format!("reading {len} bytes of key {key:?}"))?;
        let mut buffer = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
        self.file
            .read_exact_at(&mut buffer, start)
            .map_err(os_error)?;
        Ok(buffer.into())
    }
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Symlink => "symbolic link",
        _ => "special file",
    }
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn keys_that_could_leave_the_root_are_refused() {
        for bad in ["../x", "a/../b", "./a", "a//b", "a/\0"] {
            assert!(segments(bad).is_err(), "{bad:?}");
        }
        assert_eq!(segments("a/b/").unwrap(), ["a", "b"]);
        assert!(segments("").unwrap().is_empty());
    }
}
