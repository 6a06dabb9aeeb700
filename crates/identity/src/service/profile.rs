//! The caller's own profile: display name and personal context.

use pincer_audit::{Actor, AuditEvent};
use pincer_core::Principal;

use super::Identity;
use crate::{IdentityError, validate};

impl Identity {
    /// Changes the caller's display name.
    pub async fn rename(&self, principal: &Principal, name: &str) -> Result<(), IdentityError> {
        let name = validate::name(name)?;
        self.deps.users.set_name(principal.user_id, &name, self.now()).await?;
        // Cached principals carry the name.
        self.user_changed(principal.user_id);
        self.audit(
            AuditEvent::new(Actor::of(principal), "user.updated").resource(format!("user:{}", principal.user_id)),
        )
        .await;
        Ok(())
    }

    /// The caller's personal context (Markdown).
    pub async fn context(&self, principal: &Principal) -> Result<String, IdentityError> {
        Ok(self.current_user(principal).await?.context)
    }

    /// Replaces the caller's personal context.
    pub async fn set_context(&self, principal: &Principal, content: &str) -> Result<(), IdentityError> {
        validate::context(content)?;
        self.deps.users.set_context(principal.user_id, content, self.now()).await?;
        self.audit(
            AuditEvent::new(Actor::of(principal), "user.context_updated")
                .resource(format!("user:{}", principal.user_id)),
        )
        .await;
        Ok(())
    }
}
