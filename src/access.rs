//! Who is calling: the signed-in account's role and, for a partner liaison, the partner whose work
//! it may see. Domain queries take a [`Caller`] to scope what they return; the HTTP layer
//! ([`crate::auth`]) builds it from the access token and checks the role an operation needs.

use crate::ids::{PartnerId, UserId};
use crate::users::Role;

/// The signed-in account making a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id.
    pub id: UserId,
    /// Its role, as stored now.
    pub role: Role,
    /// For a liaison, the partner whose work it may see.
    pub partner_id: Option<PartnerId>,
}

impl Caller {
    /// The partner a liaison is limited to; `None` for roles that see everything.
    pub fn liaison_partner(&self) -> Option<PartnerId> {
        match self.role {
            Role::Liaison => self.partner_id,
            _ => None,
        }
    }
}
