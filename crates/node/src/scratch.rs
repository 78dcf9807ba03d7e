//! [`ScratchDir`]: a directory of one unit test's own, removed when the test ends (passed or
//! not).

use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, removed when dropped. A value
/// that holds files open in it should be declared before it, so that it is dropped first.
pub(crate) struct ScratchDir(PathBuf);

impl ScratchDir {
    /// An empty directory named after `name` and this process (tests run in parallel).
    pub(crate) fn new(name: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("novation-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        ScratchDir(dir)
    }

    /// The path of `name` inside the directory.
    pub(crate) fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
