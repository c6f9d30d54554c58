//! Accounts: who may sign in, with which role, and for liaisons, which partner they speak for.
//! Accounts are deactivated, never deleted, so the audit trail keeps naming real people. Their
//! sign-in sessions (refresh tokens) are in [`sessions`]; the handlers that hash passwords in
//! `api::users`; the rest is served over HTTP by the standard operations named in the route table (`app.rs`).

pub mod bootstrap;
mod input;
pub mod sessions;

pub use input::{CreateUser, UpdateUser, UserFilters};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidationError;

use crate::access::Caller;
use crate::audit::{Actor, Entity};
use crate::db::DbConnection;
use crate::db::Lookup;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, UserId};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Store, keyed_by_id};
use crate::schema::users;

pub use crate::access::Role;

/// An account.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct User {
    /// Id.
    #[diesel(skip_insertion)]
    pub id: UserId,
    /// Sign-in email, as written when the account was made.
    #[schema(example = "officer@example.gov.vn")]
    pub email: String,
    #[serde(skip)]
    pub(crate) email_key: String,
    /// Name shown to others.
    pub display_name: String,
    #[serde(skip)]
    pub(crate) search_text: String,
    /// Role.
    pub role: Role,
    /// The partner a liaison speaks for; empty for other roles.
    pub partner_id: Option<PartnerId>,
    /// Whether the account may sign in.
    pub active: bool,
    #[serde(skip)]
    password_hash: String,
    /// When the password was last set (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub password_changed_at: NaiveDateTime,
    #[serde(skip)]
    pub(crate) failed_logins: i32,
    #[serde(skip)]
    pub(crate) locked_until: Option<NaiveDateTime>,
    /// Last successful sign-in (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_login_at: Option<NaiveDateTime>,
    /// When it was created (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: NaiveDateTime,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i32,
    /// Whether the account gets the morning digest of what fell overdue (admins and officers;
    /// set by the account itself with `PATCH /api/v1/auth/me`).
    pub daily_digest: bool,
}

/// Password rules: 12 to 128 characters.
pub fn password_rules(password: &str) -> Result<(), ValidationError> {
    let len = password.chars().count();
    if (12..=128).contains(&len) {
        Ok(())
    } else {
        Err(ValidationError::new("weak_password")
            .with_message(format!("must be 12 to 128 characters long (got {len})").into()))
    }
}

/// The rule the schema cannot state: a password is not the account's own email.
pub fn not_the_email(password: &str, email: &str) -> ApiResult<()> {
    if password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(ApiError::invalid(
            "password",
            "password_is_email",
            "must not be the account's email",
        ));
    }
    Ok(())
}

impl User {
    /// The stored hash of the account's password, for sign-in to verify against; never shown.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }
}

impl User {
    /// This account with its search column matching its email and name.
    fn searchable(mut self) -> User {
        self.search_text = crate::text::search_text([Some(self.email.as_str()), Some(&self.display_name)]);
        self
    }
}

pub use crate::text::email_key;

impl User {
    /// The account signing in with `email`, if any.
    pub fn by_email(conn: &mut DbConnection, email: &str) -> ApiResult<Option<User>> {
        Ok(users::table
            .filter(users::email_key.eq(email_key(email)))
            .lookup(conn)?)
    }

    /// Whether any account exists (for the first-admin bootstrap).
    pub fn any(conn: &mut DbConnection) -> ApiResult<bool> {
        Ok(diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)?)
    }

    /// Check the role/partner rule and that the partner exists.
    pub fn check_partner(conn: &mut DbConnection, role: Role, partner_id: Option<PartnerId>) -> ApiResult<()> {
        match (role, partner_id) {
            (Role::Liaison, None) => Err(ApiError::invalid(
                "partner_id",
                "required",
                "is required for a liaison: the partner they speak for",
            )),
            (Role::Liaison, Some(id)) => crate::partners::Partner::find(conn, id)
                .map(|_| ())
                .map_err(|e| e.naming_field("partner_id", || format!("names no partner (id {id})"))),
            (_, Some(_)) => Err(ApiError::invalid(
                "partner_id",
                "forbidden",
                format!("must be empty for the {role} role"),
            )),
            (_, None) => Ok(()),
        }
    }

    /// Insert a new account with an already hashed password.
    pub fn create(conn: &mut DbConnection, new: &CreateUser, password_hash: String) -> ApiResult<User> {
        Self::check_partner(conn, new.role, new.partner_id)?;
        let now = crate::clock::now();
        let draft = User {
            id: UserId(0),
            email: new.email.trim().to_owned(),
            email_key: email_key(&new.email),
            display_name: new.display_name.clone(),
            search_text: String::new(),
            role: new.role,
            partner_id: new.partner_id,
            active: true,
            password_hash,
            password_changed_at: now,
            failed_logins: 0,
            locked_until: None,
            last_login_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
            daily_digest: false,
        }
        .searchable();
        diesel::insert_into(users::table)
            .values(&draft)
            .returning(users::all_columns)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| format!("an account with email {} already exists", draft.email))
            })
    }
}

/// A new account whose password is already hashed (hashing runs on threads of its own, before
/// the transaction).
#[derive(Debug)]
pub struct NewUser {
    /// The account as asked for.
    pub user: CreateUser,
    /// The hash of its password.
    pub password_hash: String,
}

/// A change to an account, with any new password already hashed.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// The fields an admin may change.
    pub fields: UpdateUser,
    /// The hash of a new password.
    pub password_hash: Option<String>,
    /// The account's own choice of the morning digest (`PATCH /api/v1/auth/me`).
    pub daily_digest: Option<bool>,
}

impl Record for User {
    type Key = UserId;
    const ENTITY: Entity = Entity::User;
    const NOUN: &'static str = "account";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: UserId) -> ApiResult<User> {
        users::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("account", id))
    }
}

impl Create for User {
    type New = NewUser;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: NewUser) -> ApiResult<User> {
        User::create(conn, &new.user, new.password_hash)
    }
}

impl Store for User {
    fn store(&self, conn: &mut DbConnection, current: &User) -> ApiResult<Option<User>> {
        Ok(
            diesel::update(users::table.find(self.id).filter(users::version.eq(current.version)))
                .set(self)
                .returning(users::all_columns)
                .get_result(conn)
                .optional()?,
        )
    }

    /// An account deactivated, given another role or a new password is signed out everywhere.
    fn after_change(conn: &mut DbConnection, _: &Actor, before: &User, after: User) -> ApiResult<User> {
        if !after.active || after.role != before.role || after.password_hash != before.password_hash {
            sessions::end_all(conn, after.id)?;
        }
        Ok(after)
    }
}

impl Change for User {
    type Change = UserChange;

    /// A liaison names its partner; other roles name none.
    fn patched(&self, conn: &mut DbConnection, change: UserChange) -> ApiResult<User> {
        let UserChange {
            fields,
            password_hash,
            daily_digest,
        } = change;
        let mut next = self.clone();
        next.display_name = fields.display_name.unwrap_or(next.display_name);
        next.role = fields.role.unwrap_or(next.role);
        next.partner_id = fields.partner_id.unwrap_or(next.partner_id);
        next.active = fields.active.unwrap_or(next.active);
        next.daily_digest = daily_digest.unwrap_or(next.daily_digest);
        if let Some(hash) = password_hash {
            next.password_hash = hash;
            next.password_changed_at = crate::clock::now();
        }
        if next != *self {
            User::check_partner(conn, next.role, next.partner_id)?;
        }
        Ok(next.searchable())
    }
}

impl List for User {
    const NOUNS: &'static str = "accounts";
    type Filters = UserFilters;
    type Parent = ();

    /// By email.
    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: UserFilters,
        paging: Paging,
    ) -> ApiResult<Slice<User>> {
        let query = || {
            let mut query = users::table.into_boxed();
            for pattern in crate::text::word_patterns(filters.q.as_deref().unwrap_or_default()) {
                query = query.filter(users::search_text.like(pattern).escape('\\'));
            }
            if let Some(role) = filters.role {
                query = query.filter(users::role.eq(role));
            }
            if let Some(active) = filters.active {
                query = query.filter(users::active.eq(active));
            }
            if let Some(partner_id) = filters.partner_id {
                query = query.filter(users::partner_id.eq(partner_id));
            }
            query
        };
        let keys = Keyset::by(list::ascending("email", users::email_key, |u: &User| {
            u.email_key.clone()
        }))
        .then(list::ascending("id", users::id, |u: &User| u.id));
        list::page(conn, query, &keys, &paging)
    }
}
