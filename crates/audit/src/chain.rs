//! The HMAC chain. Each row's `row_hmac` is HMAC-SHA256 over a versioned, length-prefixed encoding
//! of its fields **and the previous row's `row_hmac`**; the first row links to [`GENESIS`].

use ring::hmac;

use pincer_core::Timestamp;

/// The `prev_hmac` of the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The encoding version, stored with each row and included in its MAC.
pub const VERSION: i32 = 1;

/// An event ready to be chained: redacted, pseudonymised, canonical.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntry {
    /// When it happened.
    pub timestamp: Timestamp,
    /// `user`, `agent`, `system` or `api_key`.
    pub actor_type: String,
    /// Who, within that type (a user's pseudonym, not their id).
    pub actor_id: Option<String>,
    /// The dotted event name.
    pub event_type: String,
    /// `kind:id` of what it concerns.
    pub resource: Option<String>,
    /// Canonical JSON (see [`crate::canonical`]).
    pub detail: String,
    /// `success` or `failure`.
    pub outcome: String,
}

/// A stored row of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// 1, 2, 3, … without gaps.
    pub id: i64,
    /// The encoding version ([`VERSION`]).
    pub version: i32,
    /// What the row says.
    pub pending: PendingEntry,
    /// The previous row's MAC ([`GENESIS`] for the first).
    pub prev_hmac: String,
    /// This row's MAC, over its content and `prev_hmac`.
    pub row_hmac: String,
}

/// The sealed pointer to the newest row: what the log must reach. Rows removed from the end (or
/// all of them) leave it pointing past the log; only the audit key can move it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    /// The newest row's id.
    pub last_id: i64,
    /// The newest row's MAC.
    pub last_hmac: String,
    /// The head's own MAC.
    pub mac: String,
}

/// The audit key (DESIGN.md §6). Seals new rows and checks stored ones.
pub struct ChainKey {
    key: hmac::Key,
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(••••••••)")
    }
}

impl ChainKey {
    /// The chain key from the 32-byte audit key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self { key: hmac::Key::new(hmac::HMAC_SHA256, key) }
    }

    /// The MAC of a row with this content, id and link.
    pub fn mac(&self, version: i32, id: i64, entry: &PendingEntry, prev_hmac: &str) -> String {
        hex::encode(self.tag(version, id, entry, prev_hmac).as_ref())
    }

    fn tag(&self, version: i32, id: i64, entry: &PendingEntry, prev_hmac: &str) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        let mut field = |bytes: &[u8]| {
            ctx.update(&(bytes.len() as u64).to_be_bytes());
            ctx.update(bytes);
        };
        field(b"pincer-audit");
        field(&version.to_be_bytes());
        field(&id.to_be_bytes());
        field(&entry.timestamp.millis().to_be_bytes());
        field(entry.actor_type.as_bytes());
        optional(&mut field, entry.actor_id.as_deref());
        field(entry.event_type.as_bytes());
        optional(&mut field, entry.resource.as_deref());
        field(entry.detail.as_bytes());
        field(entry.outcome.as_bytes());
        field(prev_hmac.as_bytes());
        ctx.sign()
    }

    /// Builds the row that follows `prev` (`None` for the first row).
    pub fn seal(&self, entry: PendingEntry, prev: Option<(i64, &str)>) -> AuditEntry {
        let (id, prev_hmac) = match prev {
            Some((prev_id, prev_hmac)) => (prev_id + 1, prev_hmac.to_string()),
            None => (1, GENESIS.to_string()),
        };
        let row_hmac = self.mac(VERSION, id, &entry, &prev_hmac);
        AuditEntry { id, version: VERSION, pending: entry, prev_hmac, row_hmac }
    }

    /// The head naming `row` as the newest row.
    pub fn head(&self, row: &AuditEntry) -> AuditHead {
        let mac = hex::encode(self.head_tag(row.id, &row.row_hmac).as_ref());
        AuditHead { last_id: row.id, last_hmac: row.row_hmac.clone(), mac }
    }

    /// Its own label keeps a head MAC from ever equalling a row MAC over the same bytes.
    fn head_tag(&self, last_id: i64, last_hmac: &str) -> hmac::Tag {
        let mut ctx = hmac::Context::with_key(&self.key);
        for bytes in [&b"pincer-audit-head"[..], &last_id.to_be_bytes(), last_hmac.as_bytes()] {
            ctx.update(&(bytes.len() as u64).to_be_bytes());
            ctx.update(bytes);
        }
        ctx.sign()
    }

    /// The MAC binding a pseudonym to the user it stands for (review M7): rows name actors by
    /// pseudonym, and the table resolving pseudonyms to users is outside the chain, so each of
    /// its rows carries this. Changing a mapping (who appears to have acted) breaks it; erasing
    /// one (deleting the row) leaves nothing to check, as erasure intends.
    pub fn pseudonym_mac(&self, user_id: &str, pseudonym: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        for bytes in [&b"pincer-audit-pseudonym"[..], user_id.as_bytes(), pseudonym.as_bytes()] {
            ctx.update(&(bytes.len() as u64).to_be_bytes());
            ctx.update(bytes);
        }
        hex::encode(ctx.sign().as_ref())
    }

    /// Whether a pseudonym mapping was sealed with this key.
    pub fn is_authentic_pseudonym(&self, user_id: &str, pseudonym: &str, mac: &str) -> bool {
        pincer_core::crypto::constant_time_eq(self.pseudonym_mac(user_id, pseudonym).as_bytes(), mac.as_bytes())
    }

    /// Whether the head was sealed with this key.
    pub fn is_authentic_head(&self, head: &AuditHead) -> bool {
        let expected = hex::encode(self.head_tag(head.last_id, &head.last_hmac).as_ref());
        pincer_core::crypto::constant_time_eq(expected.as_bytes(), head.mac.as_bytes())
    }

    /// Whether the row's own MAC matches its content (the link is checked by the verifier).
    pub fn is_authentic(&self, row: &AuditEntry) -> bool {
        let tag = self.tag(row.version, row.id, &row.pending, &row.prev_hmac);
        // Hex-encoded on the stack: verification checks millions of rows.
        let mut expected = [0u8; 64];
        if hex::encode_to_slice(tag.as_ref(), &mut expected).is_err() {
            return false;
        }
        pincer_core::crypto::constant_time_eq(&expected, row.row_hmac.as_bytes())
    }
}

/// An absent optional field is encoded differently from an empty one.
fn optional(field: &mut impl FnMut(&[u8]), value: Option<&str>) {
    match value {
        None => field(&[0]),
        Some(v) => {
            field(&[1]);
            field(v.as_bytes());
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn pending(event_type: &str) -> PendingEntry {
        PendingEntry {
            timestamp: Timestamp(1_700_000_000_000),
            actor_type: "user".into(),
            actor_id: Some("p-1".into()),
            event_type: event_type.into(),
            resource: None,
            detail: "{}".into(),
            outcome: "success".into(),
        }
    }

    #[test]
    fn every_field_and_the_link_are_covered() {
        let key = ChainKey::new(&[1; 32]);
        let row = key.seal(pending("auth.login"), Some((41, "ab")));
        assert_eq!(row.id, 42);
        assert!(key.is_authentic(&row));
        type Tamper = Box<dyn Fn(&mut AuditEntry)>;
        let tampered: Vec<Tamper> = vec![
            Box::new(|r| r.id += 1),
            Box::new(|r| r.pending.timestamp = Timestamp(1)),
            Box::new(|r| r.pending.actor_type = "system".into()),
            Box::new(|r| r.pending.actor_id = None),
            Box::new(|r| r.pending.event_type = "auth.logout".into()),
            Box::new(|r| r.pending.resource = Some(String::new())),
            Box::new(|r| r.pending.detail = "{\"a\":1}".into()),
            Box::new(|r| r.pending.outcome = "failure".into()),
            Box::new(|r| r.prev_hmac = "cd".into()),
            Box::new(|r| r.version = 2),
        ];
        for (i, change) in tampered.iter().enumerate() {
            let mut copy = row.clone();
            change(&mut copy);
            assert!(!key.is_authentic(&copy), "change {i} went unnoticed");
        }
        assert!(!ChainKey::new(&[2; 32]).is_authentic(&row));
    }

    #[test]
    fn head_is_sealed_and_separate_from_row_macs() {
        let key = ChainKey::new(&[1; 32]);
        let row = key.seal(pending("x"), None);
        let head = key.head(&row);
        assert!(key.is_authentic_head(&head));
        assert_ne!(head.mac, row.row_hmac);
        assert!(!key.is_authentic_head(&AuditHead { last_id: 2, ..head.clone() }));
        assert!(!key.is_authentic_head(&AuditHead { last_hmac: "ab".into(), ..head.clone() }));
        assert!(!ChainKey::new(&[2; 32]).is_authentic_head(&head));
    }

    #[test]
    fn first_row_links_to_genesis() {
        let row = ChainKey::new(&[1; 32]).seal(pending("x"), None);
        assert_eq!((row.id, row.prev_hmac.as_str()), (1, GENESIS));
    }
}
