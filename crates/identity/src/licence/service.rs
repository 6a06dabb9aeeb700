//! The licence the organisation runs under: from `PINCER_LICENSE` (then the environment manages
//! it) or installed by an admin (verified first, sealed at rest). Its status, the seats in use, and
//! the answer every enterprise feature asks ([`Entitlement`]).
//!
//! The verified licence is kept in memory; another replica installing one publishes
//! [`LICENCE_CHANGED`], and this one reads the store again at the next question.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use pincer_audit::{Actor, AuditEvent, AuditSink};
use pincer_core::crypto::Cipher;
use pincer_core::{BusEvent, Capability, Clock, Entitlement, EventBus, EventHandler, Principal, StoreError, Timestamp};
use serde_json::json;

use super::token::{Licence, LicenceError, LicenceKind, TrustedKeys, read, verify};
use crate::IdentityError;
use crate::model::{InviteKind, Setting};
use crate::ports::{InviteStore, SettingStore, UserStore};

/// The setting the installed licence key is sealed under (reserved: the settings routes cannot
/// write it).
pub const LICENCE_SETTING: &str = "enterprise.license";
/// The bus topic of an installed licence.
pub const LICENCE_CHANGED: &str = "licence.changed";
/// How far past `maxUsers` invites may go before they are refused: 20 %.
const SEAT_TOLERANCE_PERCENT: u64 = 20;
const DAY_MS: i64 = 86_400_000;

/// Whether another person may be invited, given the seats the licence covers.
#[async_trait]
pub trait SeatPolicy: Send + Sync + 'static {
    /// `Ok(false)` when one more seat would go beyond what the licence allows.
    async fn admits_another(&self) -> Result<bool, StoreError>;
}

/// No seat limit (no licence service: tests, embedding services).
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

#[async_trait]
impl SeatPolicy for Unlimited {
    async fn admits_another(&self) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// What the licence service needs.
pub struct LicenceDeps {
    /// Where an installed key is kept, sealed.
    pub settings: Arc<dyn SettingStore>,
    /// The accounts (active ones take seats).
    pub users: Arc<dyn UserStore>,
    /// The invites (pending ones take seats).
    pub invites: Arc<dyn InviteStore>,
    /// Seals the key at rest.
    pub cipher: Arc<Cipher>,
    /// The vendor keys licences must be signed with (`PINCER_LICENSE_KEYS`).
    pub keys: TrustedKeys,
    /// `PINCER_LICENSE`: when set, the environment manages the licence and none can be installed.
    pub from_env: Option<String>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where installing a key is recorded.
    pub audit: Arc<dyn AuditSink>,
    /// Tells the other replicas a licence was installed.
    pub bus: Arc<dyn EventBus>,
}

/// Where the organisation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenceState {
    /// No licence.
    Community,
    /// An active trial.
    Trial,
    /// An active paid licence.
    Paid,
    /// A licence that ran out.
    Expired,
}

impl LicenceState {
    /// As shown.
    pub fn as_str(self) -> &'static str {
        match self {
            LicenceState::Community => "community",
            LicenceState::Trial => "trial",
            LicenceState::Paid => "paid",
            LicenceState::Expired => "expired",
        }
    }
}

/// The licence as an admin sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceStatus {
    /// Whether the enterprise features are on.
    pub enterprise: bool,
    /// Where the organisation stands.
    pub state: LicenceState,
    /// The licence's kind, if there is one.
    pub kind: Option<LicenceKind>,
    /// The organisation it was issued to.
    pub org: Option<String>,
    /// When it ends.
    pub expires_at: Option<Timestamp>,
    /// Whole days left (0 on its last day and after).
    pub days_remaining: Option<i64>,
    /// The seats it covers (0: unlimited).
    pub max_users: Option<u32>,
    /// Active accounts and pending invites.
    pub seats_used: u64,
    /// Whether `PINCER_LICENSE` manages it.
    pub managed_by_env: bool,
}

/// The licence service.
pub struct LicenceService {
    deps: LicenceDeps,
    current: RwLock<Option<Licence>>,
    /// Set when another replica installed a licence: read the store again.
    stale: AtomicBool,
}

impl LicenceService {
    /// The service; [`LicenceService::load`] reads the licence in force.
    pub fn new(deps: LicenceDeps) -> Self {
        Self { deps, current: RwLock::new(None), stale: AtomicBool::new(true) }
    }

    /// Reads the licence in force: the environment's, else the installed one. A key that is there
    /// but not accepted (a changed vendor key, a tampered row) counts as none; the reason is
    /// returned for the caller to report.
    pub async fn load(&self) -> Result<Option<LicenceError>, StoreError> {
        self.stale.store(false, Ordering::SeqCst);
        let token = match &self.deps.from_env {
            Some(token) => Ok(Some(token.clone())),
            None => match self.deps.settings.get(LICENCE_SETTING).await? {
                Some(setting) => self
                    .deps
                    .cipher
                    .open(&setting.value, LICENCE_SETTING)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .map(Some)
                    .ok_or(LicenceError::Malformed("the installed key cannot be decrypted")),
                None => Ok(None),
            },
        };
        let (licence, refused) = match token.and_then(|t| t.map(|t| read(&t, &self.deps.keys)).transpose()) {
            Ok(licence) => (licence, None),
            Err(e) => (None, Some(e)),
        };
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = licence;
        Ok(refused)
    }

    async fn licence(&self) -> Option<Licence> {
        if self.stale.load(Ordering::SeqCst) && self.load().await.is_err() {
            // The store is down: keep what was known, and try again next time.
            self.stale.store(true, Ordering::SeqCst);
        }
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Active accounts and pending invites.
    pub async fn seats_used(&self) -> Result<u64, StoreError> {
        let now = self.deps.clock.now();
        let active = self.deps.users.count_active().await?;
        let pending = self
            .deps
            .invites
            .list()
            .await?
            .iter()
            .filter(|i| i.kind == InviteKind::Invite && i.used_at.is_none() && i.expires_at > now)
            .count() as u64;
        Ok(active + pending)
    }

    /// The licence's status (admins).
    pub async fn status(&self, principal: &Principal) -> Result<LicenceStatus, IdentityError> {
        principal.require(Capability::ManageSettings)?;
        let now = self.deps.clock.now();
        let licence = self.licence().await;
        let seats_used = self.seats_used().await?;
        let managed_by_env = self.deps.from_env.is_some();
        Ok(match licence {
            None => LicenceStatus {
                enterprise: false,
                state: LicenceState::Community,
                kind: None,
                org: None,
                expires_at: None,
                days_remaining: None,
                max_users: None,
                seats_used,
                managed_by_env,
            },
            Some(l) => {
                let active = l.active_at(now);
                LicenceStatus {
                    enterprise: active,
                    state: match (active, l.kind) {
                        (false, _) => LicenceState::Expired,
                        (true, LicenceKind::Trial) => LicenceState::Trial,
                        (true, LicenceKind::Paid) => LicenceState::Paid,
                    },
                    kind: Some(l.kind),
                    org: Some(l.org),
                    expires_at: Some(l.expires_at),
                    days_remaining: Some(((l.expires_at.millis() - now.millis()) / DAY_MS).max(0)),
                    max_users: Some(l.max_users),
                    seats_used,
                    managed_by_env,
                }
            }
        })
    }

    /// Installs a licence key (admins): verified before anything is stored, then sealed at rest,
    /// in force at once on every replica, and audited.
    pub async fn install(&self, principal: &Principal, token: &str) -> Result<LicenceStatus, IdentityError> {
        principal.require(Capability::ManageSettings)?;
        if self.deps.from_env.is_some() {
            return Err(IdentityError::LicenceManagedByEnv);
        }
        let now = self.deps.clock.now();
        let licence = verify(token, &self.deps.keys, now).map_err(IdentityError::Licence)?;
        let setting = Setting {
            key: LICENCE_SETTING.to_string(),
            value: self.deps.cipher.seal(token.trim().as_bytes(), LICENCE_SETTING),
            encrypted: true,
            updated_at: now,
        };
        self.deps.settings.upsert(&setting).await?;
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(licence.clone());
        self.deps.bus.publish(BusEvent { topic: LICENCE_CHANGED.into(), body: "{}".into() });
        let detail = json!({
            "org": licence.org,
            "type": licence.kind.as_str(),
            "expiresAt": licence.expires_at.to_rfc3339(),
            "maxUsers": licence.max_users,
        });
        self.deps
            .audit
            .record(
                AuditEvent::new(Actor::of(principal), "enterprise.key_updated")
                    .resource("enterprise:license")
                    .detail(detail),
            )
            .await;
        self.status(principal).await
    }
}

#[async_trait]
impl Entitlement for LicenceService {
    async fn enterprise(&self) -> bool {
        self.licence().await.is_some_and(|l| l.active_at(self.deps.clock.now()))
    }
}

#[async_trait]
impl SeatPolicy for LicenceService {
    async fn admits_another(&self) -> Result<bool, StoreError> {
        let Some(licence) = self.licence().await.filter(|l| l.active_at(self.deps.clock.now())) else {
            return Ok(true);
        };
        if licence.max_users == 0 {
            return Ok(true);
        }
        let allowed = u64::from(licence.max_users) * (100 + SEAT_TOLERANCE_PERCENT) / 100;
        Ok(self.seats_used().await? < allowed)
    }
}

impl EventHandler for LicenceService {
    fn handle(&self, event: &BusEvent) {
        if event.topic == LICENCE_CHANGED {
            self.stale.store(true, Ordering::SeqCst);
        }
    }
}
