//! Row structs as diesel reads and writes them, and their conversion to and from the domain
//! records. Decoding fails with [`DbError::Corrupt`] naming the column, never with the value.

use diesel::prelude::*;
use pincer_core::{Role, Timestamp};
use pincer_identity::{Invite, InviteKind, Session, Setting, User};

use crate::error::DbError;
use crate::schema::{invites, sessions, settings, users};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub banned: bool,
    pub password_hash: String,
    pub context: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = invites, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
// `None` is written as NULL, not as SQL DEFAULT (which SQLite does not accept in VALUES).
#[diesel(treat_none_as_default_value = false)]
pub struct InviteRow {
    pub id: String,
    pub kind: String,
    pub token_hash: String,
    pub email: Option<String>,
    pub role: String,
    pub user_id: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = settings, check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SettingRow {
    pub key: String,
    pub value: String,
    pub encrypted: bool,
    pub updated_at: i64,
}

pub fn id<T: std::str::FromStr>(s: &str, column: &'static str) -> Result<T, DbError> {
    s.parse().map_err(|_| DbError::Corrupt(column))
}

fn role(s: &str, column: &'static str) -> Result<Role, DbError> {
    Role::parse(s).ok_or(DbError::Corrupt(column))
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_string(),
            banned: u.banned,
            password_hash: u.password_hash.clone(),
            context: u.context.clone(),
            created_at: u.created_at.millis(),
            updated_at: u.updated_at.millis(),
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = DbError;

    fn try_from(r: UserRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "users.id")?,
            email: r.email,
            name: r.name,
            role: role(&r.role, "users.role")?,
            banned: r.banned,
            password_hash: r.password_hash,
            context: r.context,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

impl From<&Session> for SessionRow {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id.to_string(),
            user_id: s.user_id.to_string(),
            token_hash: s.token_hash.clone(),
            created_at: s.created_at.millis(),
            expires_at: s.expires_at.millis(),
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = DbError;

    fn try_from(r: SessionRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "sessions.id")?,
            user_id: id(&r.user_id, "sessions.user_id")?,
            token_hash: r.token_hash,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
        })
    }
}

impl From<&Invite> for InviteRow {
    fn from(i: &Invite) -> Self {
        Self {
            id: i.id.to_string(),
            kind: i.kind.as_str().to_string(),
            token_hash: i.token_hash.clone(),
            email: i.email.clone(),
            role: i.role.as_str().to_string(),
            user_id: i.user_id.map(|u| u.to_string()),
            created_by: i.created_by.to_string(),
            created_at: i.created_at.millis(),
            expires_at: i.expires_at.millis(),
            used_at: i.used_at.map(Timestamp::millis),
        }
    }
}

impl TryFrom<InviteRow> for Invite {
    type Error = DbError;

    fn try_from(r: InviteRow) -> Result<Self, DbError> {
        Ok(Self {
            id: id(&r.id, "invites.id")?,
            kind: InviteKind::parse(&r.kind).ok_or(DbError::Corrupt("invites.kind"))?,
            token_hash: r.token_hash,
            email: r.email,
            role: role(&r.role, "invites.role")?,
            user_id: r.user_id.as_deref().map(|u| id(u, "invites.user_id")).transpose()?,
            created_by: id(&r.created_by, "invites.created_by")?,
            created_at: Timestamp(r.created_at),
            expires_at: Timestamp(r.expires_at),
            used_at: r.used_at.map(Timestamp),
            group_ids: Vec::new(),
        })
    }
}

impl From<&Setting> for SettingRow {
    fn from(s: &Setting) -> Self {
        Self { key: s.key.clone(), value: s.value.clone(), encrypted: s.encrypted, updated_at: s.updated_at.millis() }
    }
}

impl From<SettingRow> for Setting {
    fn from(r: SettingRow) -> Self {
        Self { key: r.key, value: r.value, encrypted: r.encrypted, updated_at: Timestamp(r.updated_at) }
    }
}

/// Decodes a list of rows, failing on the first that does not decode.
pub fn decode_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, DbError>
where
    T: TryFrom<R, Error = DbError>,
{
    rows.into_iter().map(T::try_from).collect()
}

#[cfg(test)]
mod tests {
    use pincer_core::{InviteId, UserId};

    use super::*;

    #[test]
    fn records_round_trip_through_rows() {
        let user = User {
            id: UserId::new(),
            email: "a@b.c".into(),
            name: "A".into(),
            role: Role::Admin,
            banned: true,
            password_hash: "$argon2id$x".into(),
            context: "ctx".into(),
            created_at: Timestamp(1),
            updated_at: Timestamp(2),
        };
        assert_eq!(User::try_from(UserRow::from(&user)).unwrap(), user);

        let invite = Invite {
            id: InviteId::new(),
            kind: InviteKind::Reset,
            token_hash: "h".into(),
            email: None,
            role: Role::Member,
            user_id: Some(user.id),
            created_by: user.id,
            created_at: Timestamp(3),
            expires_at: Timestamp(4),
            used_at: Some(Timestamp(5)),
            group_ids: Vec::new(),
        };
        assert_eq!(Invite::try_from(InviteRow::from(&invite)).unwrap(), invite);
    }

    #[test]
    fn corrupt_values_name_the_column() {
        let mut row = UserRow::from(&User {
            id: UserId::new(),
            email: String::new(),
            name: String::new(),
            role: Role::Member,
            banned: false,
            password_hash: String::new(),
            context: String::new(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        });
        row.role = "owner".into();
        assert!(matches!(User::try_from(row), Err(DbError::Corrupt("users.role"))));
    }
}
