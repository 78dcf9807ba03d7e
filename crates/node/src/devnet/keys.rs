//! The devnet's own keys: three SIMULATED price publishers and the simulated market maker,
//! generated from the operating system's randomness when a devnet is created and kept in its
//! data directory (`devnet-keys.json`, owner-only permissions). No two devnets share them,
//! and no key that can move a devnet's prices is written in the source.

use std::io::{Read, Write};
use std::path::Path;

use novation_tx::Eip712Signer;
use serde::{Deserialize, Serialize};

use crate::header::{hex, sha256};
use crate::NodeError;

/// The file, in the data directory.
pub(crate) const DEVNET_KEYS_FILE: &str = "devnet-keys.json";

/// Simulated publishers per devnet.
const PUBLISHERS: usize = 3;

/// The keys of one devnet.
pub(crate) struct DevnetKeys {
    pub(crate) publishers: Vec<Eip712Signer>,
    pub(crate) market_maker: Eip712Signer,
}

/// How the file stores them: secret keys as `0x` hex.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    publishers: Vec<String>,
    market_maker: String,
}

fn os_random() -> Result<[u8; 32], NodeError> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// A fresh key: the OS's randomness, hashed with a label so no two roles share a key even if
/// the source repeated itself.
fn fresh(label: &str) -> Result<Eip712Signer, NodeError> {
    let mut seed = os_random()?.to_vec();
    seed.extend_from_slice(label.as_bytes());
    Ok(Eip712Signer::from_seed(sha256(&seed)))
}

fn parse(text: &str) -> Result<Eip712Signer, NodeError> {
    Eip712Signer::from_hex(text).map_err(|e| NodeError::Corrupt(format!("{DEVNET_KEYS_FILE}: {e}")))
}

impl DevnetKeys {
    /// The keys stored in `data_dir`, or new ones (saved there) if it has none.
    pub(crate) fn load_or_create(data_dir: &Path) -> Result<DevnetKeys, NodeError> {
        let path = data_dir.join(DEVNET_KEYS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let file: KeysFile = serde_json::from_slice(&bytes)
                    .map_err(|e| NodeError::Corrupt(format!("{}: {e}", path.display())))?;
                let publishers = file.publishers.iter().map(|s| parse(s)).collect::<Result<Vec<_>, _>>()?;
                Ok(DevnetKeys { publishers, market_maker: parse(&file.market_maker)? })
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let publishers =
                    (0..PUBLISHERS).map(|i| fresh(&format!("publisher-{i}"))).collect::<Result<Vec<_>, _>>()?;
                let keys = DevnetKeys { publishers, market_maker: fresh("market-maker")? };
                keys.save(data_dir)?;
                Ok(keys)
            }
            Err(error) => Err(error.into()),
        }
    }

    fn save(&self, data_dir: &Path) -> Result<(), NodeError> {
        std::fs::create_dir_all(data_dir)?;
        let file = KeysFile {
            publishers: self.publishers.iter().map(|k| hex(&k.secret_key_bytes())).collect(),
            market_maker: hex(&self.market_maker.secret_key_bytes()),
        };
        let text = serde_json::to_vec_pretty(&file).map_err(|e| NodeError::Corrupt(e.to_string()))?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(data_dir.join(DEVNET_KEYS_FILE))?.write_all(&text)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::ScratchDir;

    #[test]
    fn each_devnet_gets_its_own_keys_and_keeps_them() {
        let base = ScratchDir::new("devnet-keys");
        let (a, b) = (base.join("a"), base.join("b"));
        let first = DevnetKeys::load_or_create(&a).unwrap();
        let again = DevnetKeys::load_or_create(&a).unwrap();
        let other = DevnetKeys::load_or_create(&b).unwrap();
        let addresses = |k: &DevnetKeys| k.publishers.iter().map(Eip712Signer::address).collect::<Vec<_>>();
        assert_eq!(addresses(&first), addresses(&again));
        assert_eq!(first.market_maker.address(), again.market_maker.address());
        assert_ne!(addresses(&first), addresses(&other));
        assert_eq!(first.publishers.len(), 3);
    }
}
