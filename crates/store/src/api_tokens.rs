//! [`ApiTokenStore`] on [`Database`].

use async_trait::async_trait;
use diesel::prelude::*;
use pincer_core::{ApiTokenId, Scope, StoreError, Timestamp, UserId};
use pincer_identity::{ApiToken, ApiTokenStore, User};

use crate::Database;
use crate::backend;
use crate::error::DbError;
use crate::rows::{UserRow, id};
use crate::schema::{api_tokens, users};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
#[diesel(treat_none_as_default_value = false)]
struct TokenRow {
    id: String,
    user_id: String,
    name: String,
    scopes: String,
    token_hash: String,
    created_at: i64,
    last_used_at: Option<i64>,
    expires_at: Option<i64>,
}

impl From<&ApiToken> for TokenRow {
    fn from(t: &ApiToken) -> Self {
        Self {
            id: t.id.to_string(),
            user_id: t.user_id.to_string(),
            name: t.name.clone(),
            scopes: t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
            token_hash: t.token_hash.clone(),
            created_at: t.created_at.millis(),
            last_used_at: t.last_used_at.map(Timestamp::millis),
            expires_at: t.expires_at.map(Timestamp::millis),
        }
    }
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = DbError;

    fn try_from(r: TokenRow) -> Result<Self, DbError> {
        let scopes = r
            .scopes
            .split_whitespace()
            .map(|s| Scope::parse(s).ok_or(DbError::Corrupt("api_tokens.scopes")))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            id: id(&r.id, "api_tokens.id")?,
            user_id: id(&r.user_id, "api_tokens.user_id")?,
            name: r.name,
            scopes,
            token_hash: r.token_hash,
            created_at: Timestamp(r.created_at),
            last_used_at: r.last_used_at.map(Timestamp),
            expires_at: r.expires_at.map(Timestamp),
        })
    }
}

#[async_trait]
impl ApiTokenStore for Database {
    async fn insert_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let row = TokenRow::from(token);
        self.run_write("api_tokens.insert", move |conn| {
            diesel::insert_into(api_tokens::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn tokens_of(&self, user_id: UserId) -> Result<Vec<ApiToken>, StoreError> {
        let user_id = user_id.to_string();
        self.run("api_tokens.of_user", move |conn| {
            let rows: Vec<TokenRow> = api_tokens::table
                .filter(api_tokens::user_id.eq(&user_id))
                .order((api_tokens::created_at.asc(), api_tokens::id.asc()))
                .select(TokenRow::as_select())
                .load(conn)?;
            rows.into_iter().map(ApiToken::try_from).collect()
        })
        .await
    }

    async fn token_by_hash(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>, StoreError> {
        let token_hash = token_hash.to_string();
        self.run("api_tokens.by_hash", move |conn| {
            let found: Option<(TokenRow, UserRow)> = api_tokens::table
                .inner_join(users::table)
                .filter(api_tokens::token_hash.eq(&token_hash))
                .select((TokenRow::as_select(), UserRow::as_select()))
                .first(conn)
                .optional()?;
            match found {
                Some((token, user)) => Ok(Some((ApiToken::try_from(token)?, User::try_from(user)?))),
                None => Ok(None),
            }
        })
        .await
    }

    async fn delete_token(&self, user_id: UserId, token: ApiTokenId) -> Result<bool, StoreError> {
        let (user_id, token) = (user_id.to_string(), token.to_string());
        self.run_write("api_tokens.delete", move |conn| {
            let mine = api_tokens::table.filter(api_tokens::id.eq(&token)).filter(api_tokens::user_id.eq(&user_id));
            Ok(diesel::delete(mine).execute(conn)? > 0)
        })
        .await
    }

    async fn delete_tokens_named(&self, user_id: UserId, name: &str) -> Result<Vec<ApiTokenId>, StoreError> {
        let (user_id, name) = (user_id.to_string(), name.to_string());
        self.run_write("api_tokens.delete_named", move |conn| {
            let ids: Vec<String> = backend::write(conn, None, |conn| {
                let named =
                    api_tokens::table.filter(api_tokens::user_id.eq(&user_id)).filter(api_tokens::name.eq(&name));
                let ids = named.select(api_tokens::id).load(conn)?;
                diesel::delete(api_tokens::table.filter(api_tokens::id.eq_any(&ids))).execute(conn)?;
                Ok(ids)
            })?;
            ids.iter().map(|i| id(i, "api_tokens.id")).collect()
        })
        .await
    }

    async fn delete_tokens_of(&self, user_id: UserId) -> Result<u64, StoreError> {
        let user_id = user_id.to_string();
        self.run_write("api_tokens.delete_for_user", move |conn| {
            let n = diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(&user_id))).execute(conn)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }

    async fn touch_token(&self, token: ApiTokenId, at: Timestamp) -> Result<(), StoreError> {
        let token = token.to_string();
        self.run_write("api_tokens.touch", move |conn| {
            diesel::update(api_tokens::table.find(&token))
                .set(api_tokens::last_used_at.eq(Some(at.millis())))
                .execute(conn)?;
            Ok(())
        })
        .await
    }
}
