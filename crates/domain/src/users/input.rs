//! What a request may send about accounts: the bodies of a create and a change, and the list's
//! filters.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{Role, password_rules};
use crate::access::Caller;
use crate::error::{ApiError, ApiResult};
use crate::ids::{PartnerId, UserId};

/// A new account.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in email, unique regardless of case.
    #[validate(custom(function = "crate::validate::email"))]
    #[schema(max_length = 320, example = "officer@example.gov.vn")]
    pub email: String,
    /// Name shown to others.
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(min_length = 1, max_length = 300)]
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Required for a liaison, forbidden for the other roles.
    pub partner_id: Option<PartnerId>,
    /// 12 to 128 characters, not the email.
    #[validate(custom(function = "password_rules"))]
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub password: String,
}

/// A change to an account (admins only): only the fields given change.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Name shown to others.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "crate::validate::name"))]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub display_name: Option<String>,
    /// Role.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub role: Option<Role>,
    /// The liaison's partner; `null` clears it (when the role is no longer liaison).
    #[serde(default, with = "::serde_with::rust::double_option")]
    #[schema(value_type = Option<i64>)]
    pub partner_id: Option<Option<PartnerId>>,
    /// `false` deactivates the account: its tokens stop working at once.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[schema(nullable = false)]
    pub active: Option<bool>,
    /// A new password set by an admin.
    #[serde(default, deserialize_with = "crate::wire::some")]
    #[validate(custom(function = "password_rules"))]
    #[schema(nullable = false, min_length = 12, max_length = 128, format = Password)]
    pub password: Option<String>,
}

/// Filters for the account list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct UserFilters {
    /// Finds accounts whose email or display name holds every word, ignoring case and Vietnamese
    /// diacritics.
    #[param(max_length = 200, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$")]
    #[validate(length(max = 200))]
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only active (`true`) or deactivated (`false`) accounts.
    pub active: Option<bool>,
    /// Only liaisons of this partner.
    pub partner_id: Option<PartnerId>,
}

impl UpdateUser {
    /// An admin's own account changes only in ways that cannot lock them out, and its password
    /// only through `POST /api/v1/auth/password`, which asks for the current one: a stolen access
    /// token must not be enough to take the account over. 409 `own_account` otherwise.
    pub fn check_by(&self, caller: &Caller, account: UserId) -> ApiResult<()> {
        if account != caller.id() {
            return Ok(());
        }
        if self.active == Some(false) || self.role.is_some_and(|r| r != caller.role()) {
            return Err(ApiError::conflict(
                "own_account",
                "you cannot deactivate your own account or change its role; another admin can",
            ));
        }
        if self.password.is_some() {
            return Err(ApiError::conflict(
                "own_account",
                "change your own password with POST /api/v1/auth/password, which asks for the current one",
            ));
        }
        Ok(())
    }
}
