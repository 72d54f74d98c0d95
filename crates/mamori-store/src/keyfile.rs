//! The checkpoint signing key on disk: one file, outside the database, readable by its
//! owner only (mode 0600). Whoever can read the database cannot sign checkpoints, and
//! whoever restores an old database cannot make its checkpoints agree with anchors
//! printed since.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use mamori_ledger::LedgerKey;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("署名鍵ファイル {0} がありません（`mamori serve` の初回起動で作成されます。公開鍵だけで検証するときは --public-key を指定してください）")]
    Missing(PathBuf),
    #[error("署名鍵ファイル {path} を読み書きできません: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("署名鍵ファイル {0} は所有者以外も読めます（権限 {1:o}）。`chmod 600 {0}` で所有者だけにしてください")]
    Permissions(PathBuf, u32),
    #[error("署名鍵ファイル {0} の内容が正しくありません: {1}")]
    Invalid(PathBuf, String),
}

/// The default key file of a data directory.
pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join("ledger.key")
}

/// Loads the key at `path`; with `create`, makes a new one there first if there is none.
/// A new key is named `mamori-<8 hex digits>`: the installation's name in every origin.
pub fn load(path: &Path, create: bool) -> Result<(LedgerKey, bool), KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_owned(), source };
    if !path.exists() {
        if !create {
            return Err(KeyFileError::Missing(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let name = format!("mamori-{}", hex::encode(rand::random::<[u8; 4]>()));
        let key = LedgerKey::generate(&name).map_err(|e| KeyFileError::Invalid(path.to_owned(), e.to_string()))?;
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
        file.write_all(key.to_text().as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        return Ok((key, true));
    }
    let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions(path.to_owned(), mode));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let key = LedgerKey::from_text(&text).map_err(|e| KeyFileError::Invalid(path.to_owned(), e.to_string()))?;
    Ok((key, false))
}
