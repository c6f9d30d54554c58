//! The first admin of a fresh install: from `TPMS_ADMIN_EMAIL` + `TPMS_ADMIN_PASSWORD` when set,
//! otherwise `admin@localhost` with a random password printed once to the console.

use crate::db::{DbPool, dialect};
use crate::error::ApiError;
use crate::users::{CreateUser, Role, User};

/// What the bootstrap did.
#[derive(Debug, PartialEq, Eq)]
pub enum FirstAdmin {
    /// Accounts exist already: nothing done.
    NotNeeded,
    /// Created from the configured email and password.
    Configured(String),
    /// Created with a generated password, to be shown once.
    Generated {
        /// The email.
        email: String,
        /// The password.
        password: String,
    },
}

/// Create the first admin when the database has no account.
pub fn ensure_first_admin(pool: &DbPool, email: Option<&str>, password: Option<&str>) -> anyhow::Result<FirstAdmin> {
    let mut conn = pool.get()?;
    if User::any(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))? {
        return Ok(FirstAdmin::NotNeeded);
    }
    let (email, password, generated) = match (email, password) {
        (Some(email), Some(password)) => (email.to_owned(), password.to_owned(), false),
        (Some(_), None) | (None, Some(_)) => {
            anyhow::bail!("TPMS_ADMIN_EMAIL and TPMS_ADMIN_PASSWORD go together: set both, or neither")
        }
        (None, None) => ("admin@localhost".to_owned(), crate::auth::tokens::random_token(), true),
    };
    let new = CreateUser {
        email: email.clone(),
        display_name: "Administrator".to_owned(),
        role: Role::Admin,
        partner_id: None,
        password: password.clone(),
    };
    check(&new)?;
    let hash = crate::auth::passwords::hash_now(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let created = dialect::write_transaction(&mut conn, |conn| {
        // Another app server may have bootstrapped between the check and here.
        if User::any(conn)? {
            return Ok(false);
        }
        User::create(conn, &new, hash).map(|_| true)
    });
    match created {
        Ok(false) => Ok(FirstAdmin::NotNeeded),
        Ok(true) if generated => Ok(FirstAdmin::Generated { email, password }),
        Ok(true) => Ok(FirstAdmin::Configured(email)),
        Err(ApiError::Conflict { .. }) => Ok(FirstAdmin::NotNeeded),
        Err(e) => Err(anyhow::anyhow!("cannot create the first admin: {e}")),
    }
}

/// Check a new account as the API would, with errors naming the setting or flag.
pub fn check(new: &CreateUser) -> anyhow::Result<()> {
    use validator::Validate as _;
    let errors = match new.validate() {
        Ok(()) => crate::users::not_the_email(&new.password, &new.email).err(),
        Err(errors) => Some(ApiError::from(errors)),
    };
    match errors {
        None => Ok(()),
        Some(ApiError::Validation(fields)) => {
            let list: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.pointer.trim_start_matches("#/"), f.detail))
                .collect();
            anyhow::bail!("the admin account is invalid: {}", list.join("; "))
        }
        Some(other) => Err(anyhow::anyhow!("{other}")),
    }
}
