//! Relayer keys: BIP-39 mnemonics, BIP-32 derivation along the Cosmos HD path, and the key
//! store in the data directory.
//!
//! A key is what `simd keys add NAME [--recover] [--index I]` makes: a BIP-39 mnemonic (24
//! words, from 32 bytes of OS entropy), its seed (PBKDF2-HMAC-SHA512 of the mnemonic with the
//! salt `"mnemonic"`, 2048 rounds), the BIP-32 master key of that seed, and the child key at
//! the HD path `m/44'/118'/0'/0/I` (coin type 118, the Cosmos Hub's). The key store keeps the
//! derived secp256k1 key (not the mnemonic) in `<data dir>/keys/<name>.json`, a file of mode
//! 0600 in a directory of mode 0700, written atomically (a temporary file linked into place,
//! never overwriting). Nothing here prints or logs a secret: `Debug` of every type holding one
//! is redacted, and secrets are zeroed when dropped.
//!
//! ```
//! use ferry::keys::{HdPath, Mnemonic};
//! let mnemonic = Mnemonic::parse(
//!     "cushion range empty quality decade end index salon tongue desert truly fly crazy joy \
//!      bunker same fix excuse oblige trip bulk act plate tuition",
//! )
//! .unwrap();
//! let key = mnemonic.derive(&HdPath::cosmos(1)).unwrap();
//! let signer = key.signer().unwrap();
//! assert_eq!(
//!     signer.address("cosmos").unwrap(),
//!     "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69"
//! );
//! ```

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

use std::fmt;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use hmac::{Hmac, KeyInit, Mac};
use k256::elliptic_curve::sec1::ToEncodedPoint as _;
use k256::elliptic_curve::PrimeField as _;
use k256::{FieldBytes, Scalar, SecretKey};
use serde::{Deserialize, Serialize};
use sha2::Sha512;
use zeroize::{Zeroize as _, Zeroizing};

use crate::cosmos::{self, Secp256k1Signer};

/// The Cosmos SDK's default HD path (account 0, index 0), as `simd keys add` uses it.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";
/// The key store's directory in the data directory.
pub const KEYS_DIR: &str = "keys";
/// Words in a new mnemonic (256 bits of entropy).
pub const MNEMONIC_WORDS: usize = 24;
/// The longest key name.
pub const MAX_NAME_LEN: usize = 64;
/// Child numbers at or above this are hardened (written `N'`).
pub const HARDENED: u32 = 1 << 31;
/// The `type` of the keys the store holds.
const KEY_TYPE: &str = "secp256k1";

type HmacSha512 = Hmac<Sha512>;

/// HMAC-SHA512 of the concatenated `parts` under `key`.
fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> Zeroizing<[u8; 64]> {
    let mut mac = keyed(key);
    for part in parts {
        mac.update(part);
    }
    finish(mac)
}

#[allow(clippy::expect_used)]
fn keyed(key: &[u8]) -> HmacSha512 {
    // HMAC takes keys of any length (longer ones are hashed): this cannot fail.
    <HmacSha512 as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length")
}

fn finish(mac: HmacSha512) -> Zeroizing<[u8; 64]> {
    let mut out = Zeroizing::new([0u8; 64]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

/// The BIP-39 seed of a mnemonic: PBKDF2-HMAC-SHA512 with the password `phrase`, the salt
/// `"mnemonic" + passphrase` and 2048 iterations, 64 bytes. Both strings must already be in
/// Unicode NFKD (English mnemonics and ASCII passphrases are).
pub fn bip39_seed(phrase: &str, passphrase: &str) -> Zeroizing<[u8; 64]> {
    let mac = keyed(phrase.as_bytes());
    // One 64-byte block: U1 = PRF(salt || INT(1)), Ui = PRF(U(i-1)), T = U1 ^ ... ^ U2048.
    let mut first = mac.clone();
    first.update(b"mnemonic");
    first.update(passphrase.as_bytes());
    first.update(&1u32.to_be_bytes());
    let mut u = finish(first);
    let mut t = Zeroizing::new(*u);
    for _ in 1..2048 {
        let mut next = mac.clone();
        next.update(&u[..]);
        u = finish(next);
        for (t, u) in t.iter_mut().zip(u.iter()) {
            *t ^= u;
        }
    }
    t
}

/// A BIP-32 derivation path: `m` then child numbers, hardened ones written `N'` (or `Nh`).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct HdPath(Vec<u32>);

impl HdPath {
    /// The Cosmos SDK path of address index `index`: `m/44'/118'/0'/0/index` (what
    /// `simd keys add --index I` derives). `index` is taken modulo 2^31.
    pub fn cosmos(index: u32) -> HdPath {
        HdPath(vec![
            44 | HARDENED,
            118 | HARDENED,
            HARDENED,
            0,
            index & !HARDENED,
        ])
    }

    /// Parses `m/44'/118'/0'/0/0`: an `m`, then up to 255 child numbers below 2^31, each
    /// followed by `'`, `h` or `H` if hardened.
    pub fn parse(path: &str) -> Result<HdPath, KeyError> {
        let bad = |reason: String| KeyError::InvalidHdPath {
            path: path.to_string(),
            reason,
        };
        let mut parts = path.trim().split('/');
        if !matches!(parts.next(), Some("m" | "M")) {
            return Err(bad("it must start with m/ (e.g. m/44'/118'/0'/0/0)".into()));
        }
        let mut children = Vec::new();
        for (i, part) in parts.enumerate() {
            let (digits, hardened) = match part.strip_suffix(['\'', 'h', 'H']) {
                Some(d) => (d, true),
                None => (part, false),
            };
            let n = match digits.parse::<u32>() {
                Ok(n) if n < HARDENED && digits.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => {
                    return Err(bad(format!(
                        "component {} ({part:?}) is not a number below 2^31, optionally \
                         followed by ' for hardened",
                        i.saturating_add(1)
                    )))
                }
            };
            children.push(if hardened { n | HARDENED } else { n });
        }
        if children.len() > 255 {
            return Err(bad(format!("{} levels; BIP-32 allows 255", children.len())));
        }
        Ok(HdPath(children))
    }

    /// The child numbers (hardened ones with bit 31 set).
    pub fn children(&self) -> &[u32] {
        &self.0
    }
}

impl FromStr for HdPath {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HdPath::parse(s)
    }
}

impl fmt::Display for HdPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m")?;
        for &c in &self.0 {
            if c >= HARDENED {
                write!(f, "/{}'", c & !HARDENED)?;
            } else {
                write!(f, "/{c}")?;
            }
        }
        Ok(())
    }
}

/// A BIP-32 extended private key: a secp256k1 secret and a chain code.
///
/// `Debug` shows neither; both are zeroed when dropped.
#[derive(Clone)]
pub struct ExtendedPrivateKey {
    secret: Zeroizing<[u8; 32]>,
    chain_code: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ExtendedPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExtendedPrivateKey(<redacted>)")
    }
}

/// The scalar of 32 big-endian bytes if it is below the group order.
fn scalar(bytes: &[u8]) -> Option<Scalar> {
    let repr = FieldBytes::clone_from_slice(bytes);
    Option::from(Scalar::from_repr(repr))
}

impl ExtendedPrivateKey {
    /// The master key of a seed (16 to 64 bytes; a BIP-39 seed is 64): HMAC-SHA512 with the
    /// key `"Bitcoin seed"`, the left half the secret, the right half the chain code.
    pub fn master(seed: &[u8]) -> Result<Self, KeyError> {
        let i = hmac_sha512(b"Bitcoin seed", &[seed]);
        match scalar(&i[..32]) {
            Some(k) if !bool::from(k.is_zero()) => Ok(Self::from_halves(&i)),
            _ => Err(KeyError::InvalidDerivedKey { depth: 0, child: 0 }),
        }
    }

    fn from_halves(i: &[u8; 64]) -> Self {
        let mut secret = Zeroizing::new([0u8; 32]);
        let mut chain_code = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&i[..32]);
        chain_code.copy_from_slice(&i[32..]);
        ExtendedPrivateKey { secret, chain_code }
    }

    /// BIP-32 `CKDpriv`: the child key number `index` (hardened if `index >= 2^31`).
    ///
    /// Hardened: `I = HMAC-SHA512(chain code, 0x00 || secret || index)`; normal: `I =
    /// HMAC-SHA512(chain code, public key || index)`; the child secret is `IL + secret mod n`,
    /// the child chain code `IR`. If `IL >= n` or the sum is zero (probability below 2^-127)
    /// the key is invalid and the error says so.
    pub fn child(&self, index: u32) -> Result<Self, KeyError> {
        let index_bytes = index.to_be_bytes();
        let i = if index >= HARDENED {
            hmac_sha512(
                &self.chain_code[..],
                &[&[0], &self.secret[..], &index_bytes],
            )
        } else {
            hmac_sha512(&self.chain_code[..], &[&self.public_key()?, &index_bytes])
        };
        let invalid = KeyError::InvalidDerivedKey {
            depth: 0,
            child: index,
        };
        let tweak = scalar(&i[..32]).ok_or(invalid.clone())?;
        let parent = scalar(&self.secret[..]).ok_or(invalid.clone())?;
        // Addition modulo the group order n.
        let child = tweak.add(&parent);
        if bool::from(child.is_zero()) {
            return Err(invalid);
        }
        let mut halves = Zeroizing::new(*i);
        halves[..32].copy_from_slice(&child.to_bytes());
        Ok(Self::from_halves(&halves))
    }

    /// The key at `path` below this one.
    pub fn derive(&self, path: &HdPath) -> Result<Self, KeyError> {
        let mut key = self.clone();
        for (depth, &index) in path.children().iter().enumerate() {
            key = key.child(index).map_err(|e| match e {
                KeyError::InvalidDerivedKey { child, .. } => KeyError::InvalidDerivedKey {
                    depth: depth.saturating_add(1),
                    child,
                },
                other => other,
            })?;
        }
        Ok(key)
    }

    /// The compressed (33-byte SEC1) public key.
    pub fn public_key(&self) -> Result<[u8; 33], KeyError> {
        let secret = SecretKey::from_slice(&self.secret[..])
            .map_err(|_| KeyError::InvalidDerivedKey { depth: 0, child: 0 })?;
        let point = secret.public_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        if point.as_bytes().len() != out.len() {
            return Err(KeyError::InvalidDerivedKey { depth: 0, child: 0 });
        }
        out.copy_from_slice(point.as_bytes());
        Ok(out)
    }

    /// The chain code.
    pub fn chain_code(&self) -> [u8; 32] {
        *self.chain_code
    }

    /// The Cosmos SDK account key of this secret (signs transactions, has the address).
    pub fn signer(&self) -> Result<Secp256k1Signer, KeyError> {
        Secp256k1Signer::from_bytes(&self.secret[..]).map_err(KeyError::Cosmos)
    }
}

/// A BIP-39 mnemonic in the English word list, with a valid checksum.
///
/// `Debug` shows only the word count; the words are zeroed when dropped.
pub struct Mnemonic(bip39::Mnemonic);

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mnemonic({} words, <redacted>)", self.0.word_count())
    }
}

impl Mnemonic {
    /// A new 24-word mnemonic from 32 bytes of the operating system's entropy.
    pub fn generate() -> Result<Self, KeyError> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut entropy[..]).map_err(|e| KeyError::NoEntropy {
            reason: e.to_string(),
        })?;
        Self::from_entropy(&entropy[..])
    }

    /// The mnemonic of `entropy` (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(entropy: &[u8]) -> Result<Self, KeyError> {
        bip39::Mnemonic::from_entropy(entropy)
            .map(Mnemonic)
            .map_err(|e| KeyError::InvalidMnemonic {
                reason: e.to_string(),
            })
    }

    /// Parses a mnemonic: 12, 15, 18, 21 or 24 words of the BIP-39 English list, separated by
    /// any whitespace, in any letter case, with a valid checksum. Errors name the position of
    /// a bad word, never the word.
    pub fn parse(phrase: &str) -> Result<Self, KeyError> {
        let mut normalized = Zeroizing::new(String::with_capacity(phrase.len()));
        for (i, word) in phrase.split_whitespace().enumerate() {
            if i > 0 {
                normalized.push(' ');
            }
            normalized.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        }
        bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &normalized)
            .map(Mnemonic)
            .map_err(|e| KeyError::InvalidMnemonic {
                reason: match e {
                    bip39::Error::BadWordCount(n) => format!(
                        "{n} words; a BIP-39 mnemonic has 12, 15, 18, 21 or 24 (Cosmos keys \
                         usually 24)"
                    ),
                    bip39::Error::UnknownWord(i) => format!(
                        "word {} is not in the BIP-39 English word list (check its spelling)",
                        i.saturating_add(1)
                    ),
                    bip39::Error::InvalidChecksum => {
                        "the checksum does not match: a word is wrong or the words are out of \
                         order"
                            .into()
                    }
                    other => other.to_string(),
                },
            })
    }

    /// The words, separated by single spaces.
    pub fn phrase(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        for (i, word) in self.0.words().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }

    /// How many words.
    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The BIP-39 seed with this passphrase ([`bip39_seed`]; the SDK's is empty).
    pub fn seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        bip39_seed(&self.phrase(), passphrase)
    }

    /// The key at `path` of this mnemonic's seed (empty passphrase), as the Cosmos SDK
    /// derives it.
    pub fn derive(&self, path: &HdPath) -> Result<ExtendedPrivateKey, KeyError> {
        ExtendedPrivateKey::master(&self.seed("")[..])?.derive(path)
    }
}

/// Checks a key name: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-` (the name
/// is a file name in the key store).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "key names are 1 to {MAX_NAME_LEN} characters, {:?} has {}",
            name,
            name.chars().count()
        ));
    }
    if name.starts_with(['.', '-']) {
        return Err(format!("key name {name:?} must not start with . or -"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c)))
    {
        return Err(format!(
            "key name {name:?} has {c:?}; use letters, digits, . _ and -"
        ));
    }
    Ok(())
}

fn valid_name(name: &str) -> Result<(), KeyError> {
    check_name(name).map_err(|reason| KeyError::InvalidName {
        name: name.to_string(),
        reason,
    })
}

/// A key as the store keeps it: the derived secp256k1 secret and what it is for.
///
/// `Debug` never shows the secret, which is zeroed when dropped.
#[derive(Clone)]
pub struct StoredKey {
    /// The key's name (its file name in the store).
    pub name: String,
    /// The chain it was added for.
    pub chain_id: String,
    /// That chain's account prefix.
    pub account_prefix: String,
    /// The account address with that prefix.
    pub address: String,
    /// The compressed public key.
    pub public_key: [u8; 33],
    /// The HD path it was derived at.
    pub hd_path: HdPath,
    secret: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("name", &self.name)
            .field("chain_id", &self.chain_id)
            .field("address", &self.address)
            .field("hd_path", &self.hd_path.to_string())
            .finish_non_exhaustive()
    }
}

impl StoredKey {
    /// The key `name` for chain `chain_id` with addresses prefixed `account_prefix`:
    /// `key`, derived at `hd_path`.
    pub fn new(
        name: &str,
        chain_id: &str,
        account_prefix: &str,
        hd_path: HdPath,
        key: &ExtendedPrivateKey,
    ) -> Result<Self, KeyError> {
        valid_name(name)?;
        let signer = key.signer()?;
        Ok(StoredKey {
            name: name.to_string(),
            chain_id: chain_id.to_string(),
            account_prefix: account_prefix.to_string(),
            address: signer.address(account_prefix).map_err(KeyError::Cosmos)?,
            public_key: signer.public_key(),
            hd_path,
            secret: key.secret.clone(),
        })
    }

    /// The signer of this key.
    pub fn signer(&self) -> Result<Secp256k1Signer, KeyError> {
        Secp256k1Signer::from_bytes(&self.secret[..]).map_err(KeyError::Cosmos)
    }

    /// The address with another chain's prefix (the same account bytes).
    pub fn address_with_prefix(&self, prefix: &str) -> Result<String, KeyError> {
        cosmos::bech32_encode(prefix, &cosmos::address_bytes(&self.public_key))
            .map_err(KeyError::Cosmos)
    }
}

/// The JSON of a key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    name: String,
    #[serde(rename = "type")]
    key_type: String,
    chain_id: String,
    account_prefix: String,
    address: String,
    /// Hex of the compressed public key.
    public_key: String,
    hd_path: String,
    /// Hex of the 32-byte secret.
    private_key: String,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        self.private_key.zeroize();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<Zeroizing<[u8; N]>> {
    if Some(s.len()) != N.checked_mul(2) {
        return None;
    }
    let mut out = Zeroizing::new([0u8; N]);
    for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks(2)) {
        if !pair.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// One entry of [`KeyStore::list`]: a key's name, and the key or why its file is not valid.
pub type Listed = (String, Result<StoredKey, KeyError>);

/// The key store: one JSON file per key in `<data dir>/keys/`.
#[derive(Clone, Debug)]
pub struct KeyStore {
    dir: PathBuf,
}

impl KeyStore {
    /// The store of the data directory `data_dir` (nothing is created until a key is added).
    pub fn new(data_dir: &Path) -> KeyStore {
        KeyStore {
            dir: data_dir.join(KEYS_DIR),
        }
    }

    /// The store's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of key `name` (the name is checked first).
    pub fn file(&self, name: &str) -> Result<PathBuf, KeyError> {
        valid_name(name)?;
        Ok(self.dir.join(format!("{name}.json")))
    }

    /// Whether key `name` is in the store.
    pub fn contains(&self, name: &str) -> Result<bool, KeyError> {
        Ok(fs::symlink_metadata(self.file(name)?).is_ok())
    }

    /// Adds a key: creates the store (mode 0700) if needed, writes the key file (mode 0600)
    /// atomically, and refuses, changing nothing, if a key of that name exists.
    pub fn add(&self, key: &StoredKey) -> Result<PathBuf, KeyError> {
        let path = self.file(&key.name)?;
        if fs::symlink_metadata(&path).is_ok() {
            return Err(KeyError::Exists {
                name: key.name.clone(),
                path,
            });
        }
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |error| KeyError::Write { path, error }
        };
        create_private_dir(&self.dir).map_err(write_error(&self.dir))?;
        let file = KeyFile {
            name: key.name.clone(),
            key_type: KEY_TYPE.into(),
            chain_id: key.chain_id.clone(),
            account_prefix: key.account_prefix.clone(),
            address: key.address.clone(),
            public_key: hex(&key.public_key),
            hd_path: key.hd_path.to_string(),
            private_key: hex(&key.secret[..]),
        };
        // Room enough that the buffer never moves (a move would leave a copy of the secret).
        let mut json = Zeroizing::new(Vec::with_capacity(4096));
        serde_json::to_writer_pretty(&mut *json, &file).map_err(|e| KeyError::Write {
            path: path.clone(),
            error: io::Error::other(e),
        })?;
        match write_atomic(&path, &json, 0o600, false) {
            Ok(()) => Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(KeyError::Exists {
                name: key.name.clone(),
                path,
            }),
            Err(e) => Err(write_error(&path)(e)),
        }
    }

    /// Reads key `name`, checking that its secret, public key and address agree.
    pub fn get(&self, name: &str) -> Result<StoredKey, KeyError> {
        let path = self.file(name)?;
        let bytes = match fs::read(&path) {
            Ok(b) => Zeroizing::new(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(KeyError::NotFound {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                })
            }
            Err(error) => return Err(KeyError::Read { path, error }),
        };
        let corrupt = |reason: String| KeyError::Corrupt {
            path: path.clone(),
            reason,
        };
        let file: KeyFile = serde_json::from_slice(&bytes)
            .map_err(|e| corrupt(format!("not a Ferry key file: {e}")))?;
        if file.name != name {
            return Err(corrupt(format!("it holds key {:?}", file.name)));
        }
        if file.key_type != KEY_TYPE {
            return Err(corrupt(format!(
                "key type {:?}; only {KEY_TYPE} keys are supported",
                file.key_type
            )));
        }
        let secret = unhex::<32>(&file.private_key)
            .ok_or_else(|| corrupt("private_key is not 64 hex digits".into()))?;
        let signer = Secp256k1Signer::from_bytes(&secret[..])
            .map_err(|e| corrupt(format!("private_key: {e}")))?;
        if hex(&signer.public_key()) != file.public_key {
            return Err(corrupt(
                "public_key is not the private key's public key".into(),
            ));
        }
        let address = signer
            .address(&file.account_prefix)
            .map_err(|e| corrupt(format!("account_prefix: {e}")))?;
        if address != file.address {
            return Err(corrupt(format!(
                "address {:?} is not the key's address ({address})",
                file.address
            )));
        }
        let hd_path = HdPath::parse(&file.hd_path).map_err(|e| corrupt(e.to_string()))?;
        Ok(StoredKey {
            name: file.name.clone(),
            chain_id: file.chain_id.clone(),
            account_prefix: file.account_prefix.clone(),
            address,
            public_key: signer.public_key(),
            hd_path,
            secret,
        })
    }

    /// Every key in the store, by name; a file that cannot be read is an `Err` in its place.
    /// An absent store is empty.
    pub fn list(&self) -> Result<Vec<Listed>, KeyError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => {
                return Err(KeyError::Read {
                    path: self.dir.clone(),
                    error,
                })
            }
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| KeyError::Read {
                path: self.dir.clone(),
                error,
            })?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if check_name(name).is_ok() {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names
            .into_iter()
            .map(|name| {
                let key = self.get(&name);
                (name, key)
            })
            .collect())
    }

    /// Deletes key `name`.
    pub fn delete(&self, name: &str) -> Result<(), KeyError> {
        let path = self.file(name)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.dir);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(KeyError::NotFound {
                name: name.to_string(),
                dir: self.dir.clone(),
            }),
            Err(error) => Err(KeyError::Write { path, error }),
        }
    }
}

/// Creates `dir` and its missing parents with mode 0700; an existing `dir` is left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn sync_dir(dir: &Path) {
    // Makes a rename or unlink durable; best effort (not every platform can open a directory).
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` atomically: a new temporary file (mode `mode`) in the same
/// directory, synced, then renamed over `path` (`overwrite`) or hard-linked to it, which fails
/// with [`io::ErrorKind::AlreadyExists`] if `path` exists (where the file system has no hard
/// links: renamed if `path` does not exist). Readers see the old file or the
/// whole new one, never part of it; the temporary file is removed either way.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    mode: u32,
    overwrite: bool,
) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            if overwrite {
                fs::rename(&tmp, path)
            } else {
                match fs::hard_link(&tmp, path) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                        // A file system without hard links: rename, having checked first.
                        if fs::symlink_metadata(path).is_ok() {
                            Err(io::Error::from(io::ErrorKind::AlreadyExists))
                        } else {
                            fs::rename(&tmp, path)
                        }
                    }
                    other => other,
                }
            }
        });
    drop(file);
    if result.is_err() || !overwrite {
        let _ = fs::remove_file(&tmp);
    }
    if result.is_ok() {
        sync_dir(dir);
    }
    result
}

/// Why a key could not be made, stored, found or read.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeyError {
    /// A key name that cannot be a file name in the store (exit 64).
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An HD path that cannot be parsed (exit 64).
    InvalidHdPath {
        /// The path as given.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Not a valid BIP-39 mnemonic (exit 65).
    InvalidMnemonic {
        /// What is wrong (never the words).
        reason: String,
    },
    /// The operating system gave no entropy (exit 70).
    NoEntropy {
        /// Its error.
        reason: String,
    },
    /// BIP-32 derivation hit an invalid key (probability below 2^-127 per step; exit 65).
    InvalidDerivedKey {
        /// The path level (0: the master key).
        depth: usize,
        /// The child number at that level.
        child: u32,
    },
    /// An account key or prefix the Cosmos code refused (exit 65).
    Cosmos(cosmos::Error),
    /// A key of that name is already stored (exit 73).
    Exists {
        /// The name.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// No key of that name (exit 66).
    NotFound {
        /// The name.
        name: String,
        /// The store's directory.
        dir: PathBuf,
    },
    /// A key file that is not a valid key (exit 65).
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the secret).
        reason: String,
    },
    /// The store could not be read (exit 66).
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// The store could not be written (exit 73).
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
}

impl KeyError {
    /// The process exit code for this error (sysexits).
    pub fn exit_code(&self) -> i32 {
        match self {
            KeyError::InvalidName { .. } | KeyError::InvalidHdPath { .. } => 64,
            KeyError::InvalidMnemonic { .. }
            | KeyError::InvalidDerivedKey { .. }
            | KeyError::Cosmos(_)
            | KeyError::Corrupt { .. } => 65,
            KeyError::NotFound { .. } | KeyError::Read { .. } => 66,
            KeyError::NoEntropy { .. } => 70,
            KeyError::Exists { .. } | KeyError::Write { .. } => 73,
        }
    }
}

impl Clone for KeyError {
    fn clone(&self) -> Self {
        let io = |e: &io::Error| io::Error::new(e.kind(), e.to_string());
        match self {
            KeyError::InvalidName { name, reason } => KeyError::InvalidName {
                name: name.clone(),
                reason: reason.clone(),
            },
            KeyError::InvalidHdPath { path, reason } => KeyError::InvalidHdPath {
                path: path.clone(),
                reason: reason.clone(),
            },
            KeyError::InvalidMnemonic { reason } => KeyError::InvalidMnemonic {
                reason: reason.clone(),
            },
            KeyError::NoEntropy { reason } => KeyError::NoEntropy {
                reason: reason.clone(),
            },
            KeyError::InvalidDerivedKey { depth, child } => KeyError::InvalidDerivedKey {
                depth: *depth,
                child: *child,
            },
            KeyError::Cosmos(e) => KeyError::Cosmos(e.clone()),
            KeyError::Exists { name, path } => KeyError::Exists {
                name: name.clone(),
                path: path.clone(),
            },
            KeyError::NotFound { name, dir } => KeyError::NotFound {
                name: name.clone(),
                dir: dir.clone(),
            },
            KeyError::Corrupt { path, reason } => KeyError::Corrupt {
                path: path.clone(),
                reason: reason.clone(),
            },
            KeyError::Read { path, error } => KeyError::Read {
                path: path.clone(),
                error: io(error),
            },
            KeyError::Write { path, error } => KeyError::Write {
                path: path.clone(),
                error: io(error),
            },
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::InvalidName { reason, .. } => write!(f, "invalid key name: {reason}"),
            KeyError::InvalidHdPath { path, reason } => write!(
                f,
                "invalid HD path {path:?}: {reason} (Cosmos SDK chains use {COSMOS_HD_PATH})"
            ),
            KeyError::InvalidMnemonic { reason } => {
                write!(f, "invalid mnemonic: {reason}; nothing was stored")
            }
            KeyError::NoEntropy { reason } => write!(
                f,
                "the operating system gave no random bytes for a new mnemonic ({reason}); \
                 nothing was stored"
            ),
            KeyError::InvalidDerivedKey { depth, child } => write!(
                f,
                "BIP-32 derivation gave an invalid key at level {depth} (child {child}); this \
                 happens with probability below 2^-127: use another HD path index"
            ),
            KeyError::Cosmos(e) => write!(f, "{e}"),
            KeyError::Exists { name, path } => write!(
                f,
                "a key named {name:?} already exists ({}); nothing was changed: delete it \
                 first (`ferry keys delete {name}`) or choose another name",
                path.display()
            ),
            KeyError::NotFound { name, dir } => write!(
                f,
                "no key named {name:?} in {} (`ferry keys list` shows the keys; `ferry keys \
                 add {name} --chain CHAIN` adds one)",
                dir.display()
            ),
            KeyError::Corrupt { path, reason } => {
                write!(f, "{}: not a valid key file: {reason}", path.display())
            }
            KeyError::Read { path, error } => {
                write!(f, "cannot read {}: {error}", path.display())
            }
            KeyError::Write { path, error } => write!(
                f,
                "cannot write {}: {error}; nothing was stored",
                path.display()
            ),
        }
    }
}

impl std::error::Error for KeyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeyError::Cosmos(e) => Some(e),
            KeyError::Read { error, .. } | KeyError::Write { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    /// `ferry_testnet::TEST_MNEMONIC`: simd's test accounts (public test data).
    const TEST_MNEMONIC: &str = "cushion range empty quality decade end index salon tongue \
        desert truly fly crazy joy bunker same fix excuse oblige trip bulk act plate tuition";

    fn unhex_vec(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn base58check(payload: &[u8]) -> String {
        const ALPHABET: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let check = Sha256::digest(Sha256::digest(payload));
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&check[..4]);
        let mut digits: Vec<u8> = Vec::new(); // base 58, least significant first
        for &b in &bytes {
            let mut carry = u32::from(b);
            for d in digits.iter_mut() {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        std::iter::repeat_n('1', zeros)
            .chain(
                digits
                    .iter()
                    .rev()
                    .map(|&d| char::from(ALPHABET[usize::from(d)])),
            )
            .collect()
    }

    /// BIP-32 serialization: (xprv, xpub) of `key` at `depth` with child number `child`
    /// whose parent is `parent`.
    fn serialize(
        key: &ExtendedPrivateKey,
        depth: u8,
        parent: Option<&ExtendedPrivateKey>,
        child: u32,
    ) -> (String, String) {
        let fingerprint = match parent {
            Some(p) => cosmos::address_bytes(&p.public_key().unwrap())[..4].to_vec(),
            None => vec![0; 4],
        };
        let body = |version: [u8; 4], key_data: &[u8]| {
            let mut v = version.to_vec();
            v.push(depth);
            v.extend_from_slice(&fingerprint);
            v.extend_from_slice(&child.to_be_bytes());
            v.extend_from_slice(&key.chain_code());
            v.extend_from_slice(key_data);
            base58check(&v)
        };
        let mut private = vec![0u8];
        private.extend_from_slice(&key.secret[..]);
        (
            body([0x04, 0x88, 0xAD, 0xE4], &private),
            body([0x04, 0x88, 0xB2, 0x1E], &key.public_key().unwrap()),
        )
    }

    /// Derives `seed` along `steps` and checks each level's xprv/xpub against the BIP.
    fn check_vector(seed: &str, steps: &[(u32, &str, &str)]) {
        let mut key = ExtendedPrivateKey::master(&unhex_vec(seed)).unwrap();
        let mut parent: Option<ExtendedPrivateKey> = None;
        let mut path = Vec::new();
        for (depth, &(child, xprv, xpub)) in steps.iter().enumerate() {
            if depth > 0 {
                parent = Some(key.clone());
                key = key.child(child).unwrap();
                path.push(child);
            }
            let (p, q) = serialize(&key, depth as u8, parent.as_ref(), child);
            assert_eq!(p, xprv, "xprv at depth {depth}");
            assert_eq!(q, xpub, "xpub at depth {depth}");
        }
        // The same key by derive() along the whole path.
        let master = ExtendedPrivateKey::master(&unhex_vec(seed)).unwrap();
        let direct = master.derive(&HdPath(path)).unwrap();
        assert_eq!(*direct.secret, *key.secret);
    }

    const H: u32 = HARDENED;

    #[test]
    fn bip32_test_vector_1() {
        check_vector(
            "000102030405060708090a0b0c0d0e0f",
            &[
                (0, "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"),
                (H, "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7", "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"),
                (1, "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs", "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"),
                (2 | H, "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM", "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5"),
                (2, "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334", "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV"),
                (1_000_000_000, "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76", "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"),
            ],
        );
    }

    #[test]
    fn bip32_test_vector_2() {
        check_vector(
            "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542",
            &[
                (0, "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U", "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB"),
                (0, "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt", "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH"),
                (2_147_483_647 | H, "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9", "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a"),
                (1, "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef", "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon"),
                (2_147_483_646 | H, "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL"),
                (2, "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j", "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt"),
            ],
        );
    }

    #[test]
    fn bip39_seed_matches_reference() {
        // BIP-39's reference vectors (Trezor, passphrase "TREZOR").
        let m = Mnemonic::from_entropy(&[0; 16]).unwrap();
        assert_eq!(
            m.phrase().as_str(),
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon \
             abandon about"
        );
        assert_eq!(
            hex(&m.seed("TREZOR")[..]),
            "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
        );
        // Our PBKDF2 agrees with the bip39 crate's on other inputs too.
        let m = Mnemonic::parse(TEST_MNEMONIC).unwrap();
        for passphrase in [
            "",
            "TREZOR",
            "a longer passphrase of more than one block "
                .repeat(4)
                .as_str(),
        ] {
            assert_eq!(
                m.seed(passphrase)[..],
                m.0.to_seed_normalized(passphrase)[..]
            );
        }
    }

    /// The testnet's accounts: `simd keys add k0 --recover --index I` of `TEST_MNEMONIC`, whose
    /// secrets and addresses `cosmos/tests.rs` also pins (`simd keys export ... --unarmored-hex`).
    #[test]
    fn cosmos_mnemonic_gives_simds_keys() {
        let m = Mnemonic::parse(TEST_MNEMONIC).unwrap();
        assert_eq!(m.word_count(), 24);
        for (index, secret, address) in [
            (
                0,
                "f6aa43c166f20532e57a98ba68bc82e488176b9d60f8101b39e44688269d2cd0",
                "cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3",
            ),
            (
                1,
                "9a84a1e728409261442bf7f163d8a1c7e5b023438bb4d968ada440e4b5a8e4ff",
                "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69",
            ),
        ] {
            let key = m.derive(&HdPath::cosmos(index)).unwrap();
            assert_eq!(hex(&key.secret[..]), secret, "index {index}");
            assert_eq!(key.signer().unwrap().address("cosmos").unwrap(), address);
        }
        // The default path is index 0.
        let default = m.derive(&HdPath::parse(COSMOS_HD_PATH).unwrap()).unwrap();
        assert_eq!(
            *default.secret,
            *m.derive(&HdPath::cosmos(0)).unwrap().secret
        );
        // Case and spacing of the words do not matter.
        let shouty = TEST_MNEMONIC.to_uppercase().replace(' ', " \n\t ");
        assert_eq!(Mnemonic::parse(&shouty).unwrap().phrase(), m.phrase());
    }

    #[test]
    fn bad_mnemonics_refused_without_echoing_words() {
        let words: Vec<&str> = TEST_MNEMONIC.split_whitespace().collect();
        let swapped = {
            let mut w = words.clone();
            w.swap(0, 1);
            w.join(" ")
        };
        let misspelt = TEST_MNEMONIC.replace("cushion", "cushin");
        for (phrase, needle) in [
            (swapped.as_str(), "checksum"),
            (misspelt.as_str(), "word 1 "),
            (&words[..23].join(" "), "23 words"),
            ("", "0 words"),
        ] {
            let e = Mnemonic::parse(phrase).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(needle), "{text}");
            assert!(
                !text.contains("range") && !text.contains("cushin"),
                "{text}"
            );
            assert_eq!(e.exit_code(), 65);
        }
    }

    #[test]
    fn generated_mnemonics_are_24_fresh_words() {
        let a = Mnemonic::generate().unwrap();
        let b = Mnemonic::generate().unwrap();
        assert_eq!(a.word_count(), MNEMONIC_WORDS);
        assert_ne!(a.phrase(), b.phrase());
        // A generated phrase parses back to itself.
        assert_eq!(Mnemonic::parse(&a.phrase()).unwrap().phrase(), a.phrase());
        assert!(!format!("{a:?}").contains(a.phrase().split(' ').next().unwrap()));
    }

    #[test]
    fn hd_paths() {
        let p = HdPath::parse("m/44'/118'/0'/0/7").unwrap();
        assert_eq!(p, HdPath::cosmos(7));
        assert_eq!(p.to_string(), "m/44'/118'/0'/0/7");
        assert_eq!(
            HdPath::parse("m/44h/118H/0'/0/0").unwrap().to_string(),
            COSMOS_HD_PATH
        );
        assert_eq!(HdPath::parse("m").unwrap().children(), &[] as &[u32]);
        for bad in [
            "",
            "44'/118'",
            "m/",
            "m//0",
            "m/-1",
            "m/+1",
            "m/2147483648",
            "m/1''",
            "m/x",
            &format!("m{}", "/0".repeat(256)),
        ] {
            let e = HdPath::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 64, "{bad}");
        }
    }

    #[test]
    fn key_names() {
        for good in ["relayer", "a", "ferry-a.key_1", &"x".repeat(64)] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "-x",
            "a/b",
            "../x",
            "a b",
            "é",
            &"x".repeat(65),
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    fn temp_store(tag: &str) -> (PathBuf, KeyStore) {
        let dir = std::env::temp_dir().join(format!("ferry-keys-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let store = KeyStore::new(&dir);
        (dir, store)
    }

    fn test_key(name: &str, index: u32) -> StoredKey {
        let m = Mnemonic::parse(TEST_MNEMONIC).unwrap();
        let path = HdPath::cosmos(index);
        let key = m.derive(&path).unwrap();
        StoredKey::new(name, "ferry-a", "cosmos", path, &key).unwrap()
    }

    #[test]
    fn store_round_trip_permissions_and_refusals() {
        let (dir, store) = temp_store("store");
        assert!(store.list().unwrap().is_empty());
        let key = test_key("relayer", 1);
        let path = store.add(&key).unwrap();
        assert_eq!(path, dir.join("keys").join("relayer.json"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(store.dir()), 0o700);
        }
        let back = store.get("relayer").unwrap();
        assert_eq!(
            back.address,
            "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69"
        );
        assert_eq!(back.hd_path, HdPath::cosmos(1));
        assert_eq!(back.public_key, key.public_key);
        assert_eq!(
            back.signer().unwrap().address_bytes(),
            key.signer().unwrap().address_bytes()
        );
        let osmo = back.address_with_prefix("osmo").unwrap();
        assert!(osmo.starts_with("osmo1") && osmo != back.address, "{osmo}");
        assert!(!format!("{back:?}").contains("9a84a1e7"));
        // A second add of the name changes nothing.
        let other = test_key("relayer", 2);
        let e = store.add(&other).unwrap_err();
        assert!(matches!(e, KeyError::Exists { .. }));
        assert_eq!(e.exit_code(), 73);
        assert_eq!(store.get("relayer").unwrap().address, back.address);
        store.add(&test_key("user", 2)).unwrap();
        let names: Vec<String> = store
            .list()
            .unwrap()
            .into_iter()
            .map(|(n, k)| {
                assert!(k.is_ok());
                n
            })
            .collect();
        assert_eq!(names, ["relayer", "user"]);
        // No temporary files left.
        assert_eq!(fs::read_dir(store.dir()).unwrap().count(), 2);
        store.delete("user").unwrap();
        assert_eq!(store.delete("user").unwrap_err().exit_code(), 66);
        assert_eq!(store.get("user").unwrap_err().exit_code(), 66);
        assert!(!store.contains("user").unwrap());
        assert_eq!(store.get("../x").unwrap_err().exit_code(), 64);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_files_named() {
        let (dir, store) = temp_store("corrupt");
        let key = test_key("relayer", 1);
        let path = store.add(&key).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"private_key\""));
        for (from, to, needle) in [
            ("cosmos1598", "cosmos1599", "address"),
            ("\"relayer\"", "\"other\"", "holds key"),
            ("9a84a1e7", "9a84a1e8", "public_key"),
            ("secp256k1", "ed25519", "key type"),
            ("{", "[", "not a Ferry key file"),
        ] {
            fs::write(&path, text.replacen(from, to, 1)).unwrap();
            let e = store.get("relayer").unwrap_err();
            assert!(e.to_string().contains(needle), "{e}");
            assert!(!e.to_string().contains("9a84a1e7"), "{e}");
            assert_eq!(e.exit_code(), 65);
        }
        let listed = store.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].1.is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
