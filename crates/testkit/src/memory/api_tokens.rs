//! Personal API tokens in memory, with the database's rules: a unique token hash, an owner that
//! exists, and the owner's tokens going with the owner.

use async_trait::async_trait;
use pincer_core::{ApiTokenId, Rule, StoreError, Timestamp, UserId};
use pincer_identity::{ApiToken, ApiTokenStore, User};

use super::MemoryStores;

#[async_trait]
impl ApiTokenStore for MemoryStores {
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let mut tables = self.tables();
        if !tables.users.iter().any(|u| u.id == token.user_id) {
            return Err(StoreError::Conflict(Rule::ForeignKey));
        }
        if tables.api_tokens.iter().any(|t| t.id == token.id) {
            return Err(StoreError::Conflict(Rule::Id));
        }
        if tables.api_tokens.iter().any(|t| t.token_hash == token.token_hash) {
            return Err(StoreError::Conflict(Rule::TokenHash));
        }
        tables.api_tokens.push(token.clone());
        Ok(())
    }

    async fn tokens_of(&self, user_id: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let mut theirs: Vec<ApiToken> =
            self.tables().api_tokens.iter().filter(|t| t.user_id == user_id).cloned().collect();
        theirs.sort_by_key(|t| (t.created_at, t.id.to_string()));
        Ok(theirs)
    }

    async fn token_by_hash(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>, StoreError> {
        let tables = self.tables();
        let Some(token) = tables.api_tokens.iter().find(|t| t.token_hash == token_hash) else { return Ok(None) };
        Ok(tables.users.iter().find(|u| u.id == token.user_id).map(|user| (token.clone(), user.clone())))
    }

    async fn delete_token(&self, user_id: UserId, id: ApiTokenId) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let before = tables.api_tokens.len();
        tables.api_tokens.retain(|t| !(t.id == id && t.user_id == user_id));
        Ok(tables.api_tokens.len() < before)
    }

    async fn delete_tokens_named(&self, user_id: UserId, name: &str) -> Result<Vec<ApiTokenId>, StoreError> {
        let mut tables = self.tables();
        let named: Vec<ApiTokenId> =
            tables.api_tokens.iter().filter(|t| t.user_id == user_id && t.name == name).map(|t| t.id).collect();
        tables.api_tokens.retain(|t| !named.contains(&t.id));
        Ok(named)
    }

    async fn delete_tokens_of(&self, user_id: UserId) -> Result<u64, StoreError> {
        let mut tables = self.tables();
        let before = tables.api_tokens.len();
        tables.api_tokens.retain(|t| t.user_id != user_id);
        Ok((before - tables.api_tokens.len()) as u64)
    }

    async fn touch_token(&self, id: ApiTokenId, at: Timestamp) -> Result<(), StoreError> {
        if let Some(token) = self.tables().api_tokens.iter_mut().find(|t| t.id == id) {
            token.last_used_at = Some(at);
        }
        Ok(())
    }
}
