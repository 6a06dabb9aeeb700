//! `cargo xtask license`: what a vendor needs to issue licences — an Ed25519 key pair (the
//! private key stays with the vendor; the public one goes into `PINCER_LICENSE_KEYS`), and
//! licences signed with it (docs/OPERATIONS.md, "The enterprise licence").

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

use pincer_identity::licence::sign;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde_json::json;

#[derive(Debug, clap::Subcommand)]
pub enum License {
    /// Makes a vendor key pair: writes the private key (PKCS#8, mode 0600) and prints the public
    /// key for PINCER_LICENSE_KEYS.
    Keygen {
        /// Where the private key goes (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Signs a licence with a vendor private key and prints it (for PINCER_LICENSE or the
    /// licence page).
    Sign {
        /// The vendor private key `keygen` wrote.
        #[arg(long)]
        key: PathBuf,
        /// The organisation it is issued to.
        #[arg(long)]
        org: String,
        /// `trial` or `paid`.
        #[arg(long, value_parser = ["trial", "paid"], default_value = "paid")]
        kind: String,
        /// Days it is valid from now.
        #[arg(long, default_value_t = 365)]
        days: i64,
        /// Seats it covers (0: unlimited).
        #[arg(long, default_value_t = 0)]
        max_users: u32,
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn run(command: License) -> Result<(), String> {
    match command {
        License::Keygen { out } => {
            let pkcs8 =
                Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|e| format!("keygen failed: {e}"))?;
            let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|e| format!("keygen failed: {e}"))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            file.write_all(pkcs8.as_ref()).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("private key: {} (keep it secret)", out.display());
            println!("PINCER_LICENSE_KEYS={}", hex(pair.public_key().as_ref()));
            Ok(())
        }
        License::Sign { key, org, kind, days, max_users } => {
            let pkcs8 = std::fs::read(&key).map_err(|e| format!("cannot read {}: {e}", key.display()))?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| format!("clock before 1970: {e}"))?
                .as_secs() as i64;
            let claims = json!({
                "sub": org, "type": kind, "features": ["enterprise"],
                "iat": now, "exp": now + days * 86_400, "maxUsers": max_users,
            });
            println!("{}", sign(&claims, &pkcs8)?);
            Ok(())
        }
    }
}
