//! The local key store: one JSON file per key in `HOME/keys/NAME.json` holding the scheme,
//! the address and the secret key in hex, readable by its owner only (0600 on Unix).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use novation_tx::{Ed25519Signer, Eip712Signer, SignedTransaction, TxPayload};
use novation_types::Address;
use serde_json::{json, Value};

use crate::error::{CliError, CliResult};

/// Longest key name accepted.
const NAME_LEN_MAX: usize = 64;

/// A signature scheme a key can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Scheme {
    /// EIP-712 typed data over secp256k1 (Ethereum wallets).
    Eip712,
    /// ed25519 (native clients).
    Ed25519,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Eip712 => "eip712",
            Scheme::Ed25519 => "ed25519",
        }
    }

    fn parse(text: &str) -> Option<Scheme> {
        match text {
            "eip712" => Some(Scheme::Eip712),
            "ed25519" => Some(Scheme::Ed25519),
            _ => None,
        }
    }
}

/// A signing key of either scheme.
pub(crate) enum Signer {
    /// secp256k1 / EIP-712.
    Eip712(Eip712Signer),
    /// ed25519.
    Ed25519(Ed25519Signer),
}

impl Signer {
    /// The key with secret `secret_hex` (64 hex digits, `0x` optional).
    pub(crate) fn from_hex(scheme: Scheme, secret_hex: &str) -> CliResult<Signer> {
        let bad = |e: novation_tx::TxError| CliError::Input(format!("bad secret key: {e}"));
        Ok(match scheme {
            Scheme::Eip712 => Signer::Eip712(Eip712Signer::from_hex(secret_hex.trim()).map_err(bad)?),
            Scheme::Ed25519 => Signer::Ed25519(Ed25519Signer::from_hex(secret_hex.trim()).map_err(bad)?),
        })
    }

    /// A new key from 32 bytes of randomness.
    pub(crate) fn from_seed(scheme: Scheme, seed: [u8; 32]) -> Signer {
        match scheme {
            Scheme::Eip712 => Signer::Eip712(Eip712Signer::from_seed(seed)),
            Scheme::Ed25519 => Signer::Ed25519(Ed25519Signer::from_seed(seed)),
        }
    }

    /// The key's account address.
    pub(crate) fn address(&self) -> Address {
        match self {
            Signer::Eip712(signer) => signer.address(),
            Signer::Ed25519(signer) => signer.address(),
        }
    }

    /// The scheme.
    pub(crate) fn scheme(&self) -> Scheme {
        match self {
            Signer::Eip712(_) => Scheme::Eip712,
            Signer::Ed25519(_) => Scheme::Ed25519,
        }
    }

    fn secret_hex(&self) -> String {
        let bytes = match self {
            Signer::Eip712(signer) => signer.secret_key_bytes(),
            Signer::Ed25519(signer) => signer.secret_key_bytes(),
        };
        let mut text = String::from("0x");
        for byte in bytes {
            text.push_str(&format!("{byte:02x}"));
        }
        text
    }

    /// Signs a payload into the envelope the node accepts.
    pub(crate) fn sign(&self, payload: &TxPayload) -> SignedTransaction {
        match self {
            Signer::Eip712(signer) => signer.sign(payload),
            Signer::Ed25519(signer) => signer.sign(payload),
        }
    }
}

/// A named key loaded from the store.
pub(crate) struct StoredKey {
    /// Its name (the file name without `.json`).
    pub(crate) name: String,
    /// The key.
    pub(crate) signer: Signer,
}

impl StoredKey {
    /// The key file's JSON; the secret only if `with_secret`.
    pub(crate) fn to_json(&self, with_secret: bool) -> Value {
        let mut value = json!({
            "name": self.name,
            "scheme": self.signer.scheme().name(),
            "address": self.signer.address().to_string(),
        });
        if with_secret {
            value["secret"] = Value::String(self.signer.secret_hex());
        }
        value
    }
}

/// The key directory under a home directory.
pub(crate) struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// The store in `home/keys`.
    pub(crate) fn new(home: &Path) -> Self {
        KeyStore { dir: home.join("keys") }
    }

    /// The directory holding the key files.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Saves a new key under `name`; an existing key is never overwritten.
    pub(crate) fn save(&self, name: &str, signer: Signer) -> CliResult<StoredKey> {
        check_name(name)?;
        create_private_dir(&self.dir)?;
        let key = StoredKey { name: name.to_string(), signer };
        let path = self.path(name);
        let mut file = match open_new_private(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(CliError::Input(format!("a key named `{name}` already exists ({})", path.display())))
            }
            Err(e) => return Err(CliError::io(&path, e)),
        };
        let text = format!("{:#}\n", key.to_json(true));
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(|e| CliError::io(&path, e))?;
        Ok(key)
    }

    /// Loads the key named `name`.
    pub(crate) fn load(&self, name: &str) -> CliResult<StoredKey> {
        check_name(name)?;
        let path = self.path(name);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CliError::Input(format!(
                    "unknown key `{name}` (no {}): see `novation keys list`",
                    path.display()
                )))
            }
            Err(e) => return Err(CliError::io(&path, e)),
        };
        let bad = |why: &str| CliError::Input(format!("{}: {why}", path.display()));
        let value: Value = serde_json::from_str(&text).map_err(|e| bad(&format!("not a key file ({e})")))?;
        let scheme = value.get("scheme").and_then(Value::as_str).and_then(Scheme::parse);
        let scheme = scheme.ok_or_else(|| bad("`scheme` must be \"eip712\" or \"ed25519\""))?;
        let secret = value.get("secret").and_then(Value::as_str).ok_or_else(|| bad("no `secret`"))?;
        let signer = Signer::from_hex(scheme, secret).map_err(|e| bad(&e.to_string()))?;
        if let Some(address) = value.get("address").and_then(Value::as_str) {
            if !address.eq_ignore_ascii_case(&signer.address().to_string()) {
                return Err(bad("the stored address does not belong to the secret key"));
            }
        }
        Ok(StoredKey { name: name.to_string(), signer })
    }

    /// Every stored key, by name.
    pub(crate) fn list(&self) -> CliResult<Vec<StoredKey>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(CliError::io(&self.dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| CliError::io(&self.dir, e))?;
            let file_name = entry.file_name();
            if let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) {
                if check_name(name).is_ok() {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        names.iter().map(|name| self.load(name)).collect()
    }

    /// The first free name of the form `keyN`.
    pub(crate) fn free_name(&self) -> String {
        (1u32..).map(|n| format!("key{n}")).find(|name| !self.path(name).exists()).unwrap_or_default()
    }
}

/// A key name is 1–64 ASCII letters, digits, `-` or `_`.
pub(crate) fn check_name(name: &str) -> CliResult<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_LEN_MAX
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!("`{name}` is not a key name: use 1 to {NAME_LEN_MAX} letters, digits, `-` or `_`")))
    }
}

/// 32 bytes of the operating system's randomness.
pub(crate) fn os_random_seed() -> CliResult<[u8; 32]> {
    const SOURCE: &str = "/dev/urandom";
    let mut seed = [0u8; 32];
    fs::File::open(SOURCE).and_then(|mut file| file.read_exact(&mut seed)).map_err(|e| CliError::io(SOURCE, e))?;
    Ok(seed)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> CliResult<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| CliError::io(dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> CliResult<()> {
    fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))
}

#[cfg(unix)]
fn open_new_private(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn open_new_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create_new(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn a_saved_key_loads_back_with_the_same_address() {
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        for scheme in [Scheme::Eip712, Scheme::Ed25519] {
            let name = format!("k-{}", scheme.name());
            let saved = store.save(&name, Signer::from_seed(scheme, [7; 32])).unwrap();
            let loaded = store.load(&name).unwrap();
            assert_eq!(loaded.signer.address(), saved.signer.address());
            assert_eq!(loaded.signer.scheme(), scheme);
            assert_eq!(loaded.to_json(true), saved.to_json(true));
        }
        let names: Vec<String> = store.list().unwrap().into_iter().map(|k| k.name).collect();
        assert_eq!(names, ["k-ed25519", "k-eip712"]);
    }

    #[test]
    fn the_well_known_secret_one_has_its_ethereum_address() {
        let signer = Signer::from_hex(Scheme::Eip712, SECRET).unwrap();
        assert_eq!(signer.address().to_string(), "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        store.save("alice", Signer::from_hex(Scheme::Eip712, SECRET).unwrap()).unwrap();
        let mode = fs::metadata(home.path().join("keys/alice.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = fs::metadata(home.path().join("keys")).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
    }

    #[test]
    fn an_existing_key_is_never_overwritten() {
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        store.save("alice", Signer::from_seed(Scheme::Eip712, [1; 32])).unwrap();
        let error = store.save("alice", Signer::from_seed(Scheme::Eip712, [2; 32])).err().unwrap();
        assert!(error.to_string().contains("already exists"));
    }

    #[test]
    fn unknown_keys_and_bad_names_are_clear_errors() {
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        assert!(store.load("nobody").err().unwrap().to_string().contains("unknown key `nobody`"));
        assert!(matches!(check_name("../etc"), Err(CliError::Usage(_))));
        assert!(check_name("").is_err());
        assert!(check_name("demo_1-a").is_ok());
    }

    #[test]
    fn free_names_count_up() {
        let home = tempfile::tempdir().unwrap();
        let store = KeyStore::new(home.path());
        assert_eq!(store.free_name(), "key1");
        store.save("key1", Signer::from_seed(Scheme::Ed25519, [3; 32])).unwrap();
        assert_eq!(store.free_name(), "key2");
    }

    #[test]
    fn os_randomness_differs_between_calls() {
        assert_ne!(os_random_seed().unwrap(), os_random_seed().unwrap());
    }
}
