//! Folders and files only this user may touch: the media folder, the preview cache and the
//! console's settings file and the `.env` `postgate setup` writes live on a machine other
//! people may use too.
//!
//! A folder is created 0700 (every missing parent too), must be a real folder (not a symlink),
//! must belong to this user and must not be writable by everyone (such a folder — `/tmp`
//! itself, say — is refused, never chmod-ed); one of ours that others may read (or a private
//! group may write, as umask 002 leaves them) is tightened to 0700. A file is created 0600
//! with `create_new`, which never follows a symlink planted at its path.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// Why a folder or file cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum PrivateFsError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} is a symbolic link; refusing to use it (make it a real folder owned by you)")]
    Symlink { path: PathBuf },
    #[error("{path} is not a folder")]
    NotAFolder { path: PathBuf },
    #[error("{path} belongs to user {owner}, not to this user ({uid}); refusing to use it")]
    NotOwned { path: PathBuf, owner: u32, uid: u32 },
    #[error("{path} is writable by every user; refusing to use it (choose a folder of your own)")]
    WorldWritable { path: PathBuf },
}

impl PrivateFsError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> Self + '_ {
        move |source| Self::Io { path: path.to_owned(), source }
    }
}

/// The effective user id, without `unsafe`: the owner of `/proc/self` on Linux, else the owner
/// of a file this process has just created.
#[cfg(unix)]
pub fn current_uid() -> io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    static UID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    if let Some(uid) = UID.get() {
        return Ok(*uid);
    }
    let uid = match std::fs::metadata("/proc/self") {
        Ok(meta) => meta.uid(),
        Err(_) => tempfile::tempfile()?.metadata()?.uid(),
    };
    Ok(*UID.get_or_init(|| uid))
}

/// Creates `dir` (and missing parents) 0700, or checks the one there: a folder, not a symlink,
/// owned by this user, not writable by everyone; one open to others is tightened to 0700.
#[cfg(unix)]
pub fn ensure_private_dir(dir: &Path) -> Result<(), PrivateFsError> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    // Checked before creating too: `create_dir_all` would accept a symlink to a folder.
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(PrivateFsError::Symlink { path: dir.to_owned() }),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(PrivateFsError::io(dir))?;
        }
        Err(e) => return Err(PrivateFsError::io(dir)(e)),
    }
    let meta = std::fs::symlink_metadata(dir).map_err(PrivateFsError::io(dir))?;
    if meta.file_type().is_symlink() {
        return Err(PrivateFsError::Symlink { path: dir.to_owned() });
    }
    if !meta.is_dir() {
        return Err(PrivateFsError::NotAFolder { path: dir.to_owned() });
    }
    let uid = current_uid().map_err(PrivateFsError::io(dir))?;
    if meta.uid() != uid {
        return Err(PrivateFsError::NotOwned { path: dir.to_owned(), owner: meta.uid(), uid });
    }
    if meta.mode() & 0o002 != 0 {
        return Err(PrivateFsError::WorldWritable { path: dir.to_owned() });
    }
    if meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(PrivateFsError::io(dir))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn ensure_private_dir(dir: &Path) -> Result<(), PrivateFsError> {
    std::fs::create_dir_all(dir).map_err(PrivateFsError::io(dir))
}

/// Creates a new file 0600 for writing; fails if anything (a file, a symlink) is at `path`.
pub fn create_private_file(path: &Path) -> Result<File, PrivateFsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(PrivateFsError::io(path))
}

/// Writes a file only this user may read, atomically (a temporary file beside it, then a
/// rename): the folder private (see [`ensure_private_dir`]), the file created 0600 with
/// `create_new`. A symlink planted at the temporary path is refused; a stale regular file
/// left there by a crash is replaced.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let private = |e: PrivateFsError| io::Error::new(io::ErrorKind::PermissionDenied, e.to_string());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ensure_private_dir(dir).map_err(private)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    if is_symlink(&tmp) {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} is a symbolic link; refusing to write through it", tmp.display()),
        ));
    }
    let mut file = match create_private_file(&tmp) {
        Err(PrivateFsError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(&tmp)?;
            create_private_file(&tmp).map_err(private)?
        }
        other => other.map_err(private)?,
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// Whether `path` is a symbolic link (a missing path is not).
pub fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[allow(clippy::unwrap_used)] // a test helper
    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_are_made_private_and_symlinks_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        ensure_private_dir(&dir).unwrap();
        assert_eq!((mode(&root.path().join("a")), mode(&dir)), (0o700, 0o700));

        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o775)).unwrap();
        ensure_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "an open folder of ours is tightened");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(matches!(ensure_private_dir(&dir), Err(PrivateFsError::WorldWritable { .. })));
        assert_eq!(mode(&dir), 0o777, "a folder everyone may write (like /tmp) is refused, never chmod-ed");

        let link = root.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert!(matches!(ensure_private_dir(&link), Err(PrivateFsError::Symlink { .. })));
        std::fs::write(root.path().join("file"), b"x").unwrap();
        assert!(matches!(ensure_private_dir(&root.path().join("file")), Err(PrivateFsError::NotAFolder { .. })));
    }

    #[test]
    fn files_are_created_0600_and_never_through_a_symlink() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("f");
        drop(create_private_file(&path).unwrap());
        assert_eq!(mode(&path), 0o600);
        let target = root.path().join("target");
        let link = root.path().join("planted");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_private_file(&link).is_err());
        assert!(!target.exists(), "nothing written through the link");
    }
}
