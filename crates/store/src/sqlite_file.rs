//! The SQLite file holds the vault's ciphertexts, credential hashes and every ledger: only the
//! server's own user may read it. SQLite creates a new database with the process umask (0644 on
//! most systems) and gives its `-wal` and `-shm` files the permissions of the database file, so
//! the database is created 0600 before SQLite opens it; files left by older versions, or created
//! by hand, are tightened at every start.

use std::path::Path;

/// Creates `path` with mode 0600 when it does not exist and tightens it (and its `-wal` /
/// `-shm` companions, when present) to 0600 when it does. In-memory databases have no file.
pub(crate) fn restrict(path: &str) -> std::io::Result<()> {
    if path.is_empty() || path.starts_with(":memory:") || path.contains("mode=memory") {
        return Ok(());
    }
    let path = Path::new(path);
    create_private(path)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        tighten(Path::new(&name))?;
    }
    Ok(())
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn tighten(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) if m.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_and_existing_files_end_up_private() {
        let dir = std::env::temp_dir().join(format!("openflex-perm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("new.db");
        super::restrict(db.to_str().unwrap()).unwrap();
        assert_eq!(mode(&db), 0o600);

        let old = dir.join("old.db");
        let wal = dir.join("old.db-wal");
        for p in [&old, &wal] {
            std::fs::write(p, b"").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        super::restrict(old.to_str().unwrap()).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(mode(&wal), 0o600);
        super::restrict(":memory:").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
