//! [`UserStore`] on [`Database`].

use async_trait::async_trait;
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use pincer_core::{Page, PageRequest, Role, StoreError, Timestamp, UserId};
use pincer_identity::{User, UserStore};

use crate::Database;
use crate::backend::{self, Guard};
use crate::conn::AnyConn;
use crate::error::{DbError, expect_one};
use crate::rows::{UserRow, decode_all};
use crate::schema::users;

const ADMIN: &str = "admin";

fn any_admin(conn: &mut AnyConn) -> QueryResult<bool> {
    diesel::select(exists(users::table.filter(users::role.eq(ADMIN)))).get_result(conn)
}

/// Active admins (role admin, not banned) other than `id`.
fn other_active_admins(conn: &mut AnyConn, id: &str) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(ADMIN))
        .filter(not(users::banned))
        .filter(users::id.ne(id))
        .count()
        .get_result(conn)
}

/// Whether `id` is an active admin; `NotFound` when there is no such user.
fn is_active_admin(conn: &mut AnyConn, id: &str) -> Result<bool, DbError> {
    let (role, banned): (String, bool) = users::table
        .find(id)
        .select((users::role, users::banned))
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    Ok(role == ADMIN && !banned)
}

/// Refuses a change that would take the last active admin away. Runs inside the guarded write.
fn keep_an_active_admin(conn: &mut AnyConn, id: &str) -> Result<(), DbError> {
    if is_active_admin(conn, id)? && other_active_admins(conn, id)? == 0 {
        return Err(StoreError::Conflict(pincer_core::Rule::LastAdmin).into());
    }
    Ok(())
}

#[async_trait]
impl UserStore for Database {
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        self.run_write("users.insert", move |conn| {
            diesel::insert_into(users::table).values(&row).execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn insert_first_admin(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        self.run_write("users.insert_first_admin", move |conn| {
            backend::write(conn, Some(Guard::Admins), |conn| {
                if any_admin(conn)? {
                    return Err(StoreError::Conflict(pincer_core::Rule::SetupComplete).into());
                }
                diesel::insert_into(users::table).values(&row).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let id = id.to_string();
        self.run("users.get", move |conn| {
            let row: Option<UserRow> = users::table.find(&id).select(UserRow::as_select()).first(conn).optional()?;
            row.map(User::try_from).transpose()
        })
        .await
    }

    async fn find_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = email.to_string();
        self.run("users.find_by_email", move |conn| {
            let row: Option<UserRow> =
                users::table.filter(users::email.eq(&email)).select(UserRow::as_select()).first(conn).optional()?;
            row.map(User::try_from).transpose()
        })
        .await
    }

    async fn list(&self, page: PageRequest) -> Result<Page<User>, StoreError> {
        self.run("users.list", move |conn| {
            let total: i64 = users::table.count().get_result(conn)?;
            let rows: Vec<UserRow> = users::table
                .order((users::created_at.asc(), users::id.asc()))
                .limit(i64::from(page.limit))
                .offset(page.offset())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok(Page { items: decode_all(rows)?, total })
        })
        .await
    }

    async fn any_admin(&self) -> Result<bool, StoreError> {
        self.run("users.any_admin", |conn| Ok(any_admin(conn)?)).await
    }

    async fn count_active(&self) -> Result<u64, StoreError> {
        self.run("users.count_active", |conn| {
            let n: i64 = users::table.filter(users::banned.eq(false)).count().get_result(conn)?;
            Ok(u64::try_from(n).unwrap_or_default())
        })
        .await
    }

    async fn set_role(&self, id: UserId, role: Role, now: Timestamp) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run_write("users.set_role", move |conn| {
            backend::write(conn, Some(Guard::Admins), |conn| {
                if role != Role::Admin {
                    keep_an_active_admin(conn, &id)?;
                }
                let updated = diesel::update(users::table.find(&id))
                    .set((users::role.eq(role.as_str()), users::updated_at.eq(now.millis())))
                    .execute(conn)?;
                expect_one(updated)
            })
        })
        .await
    }

    async fn set_banned(&self, id: UserId, banned: bool, now: Timestamp) -> Result<(), StoreError> {
        let id = id.to_string();
        self.run_write("users.set_banned", move |conn| {
            backend::write(conn, Some(Guard::Admins), |conn| {
                if banned {
                    keep_an_active_admin(conn, &id)?;
                }
                let updated = diesel::update(users::table.find(&id))
                    .set((users::banned.eq(banned), users::updated_at.eq(now.millis())))
                    .execute(conn)?;
                expect_one(updated)
            })
        })
        .await
    }

    async fn set_name(&self, id: UserId, name: &str, now: Timestamp) -> Result<(), StoreError> {
        let (id, name) = (id.to_string(), name.to_string());
        self.run_write("users.set_name", move |conn| {
            let updated = diesel::update(users::table.find(&id))
                .set((users::name.eq(&name), users::updated_at.eq(now.millis())))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn set_context(&self, id: UserId, context: &str, now: Timestamp) -> Result<(), StoreError> {
        let (id, context) = (id.to_string(), context.to_string());
        self.run_write("users.set_context", move |conn| {
            let updated = diesel::update(users::table.find(&id))
                .set((users::context.eq(&context), users::updated_at.eq(now.millis())))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }

    async fn set_password_hash(&self, id: UserId, hash: &str, now: Timestamp) -> Result<(), StoreError> {
        let (id, hash) = (id.to_string(), hash.to_string());
        self.run_write("users.set_password_hash", move |conn| {
            let updated = diesel::update(users::table.find(&id))
                .set((
                    users::password_hash.eq(&hash),
                    users::updated_at.eq(now.millis()),
                    users::password_changed_at.eq(now.millis()),
                ))
                .execute(conn)?;
            expect_one(updated)
        })
        .await
    }
}
