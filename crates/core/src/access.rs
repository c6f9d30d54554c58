//! Who is calling: the signed-in account's role and, for a partner liaison, the partner whose work
//! it may see. Domain queries take a [`Caller`] to scope what they return; the HTTP layer
//! (`auth`) builds it from the access token and checks the role an operation needs.

use crate::ids::{PartnerId, UserId, text_enum};

text_enum!(
    /// What an account may do (see docs/api-conventions.md for the full table).
    Role {
        /// Everything, including accounts.
        Admin,
        /// Creates and changes programmes, partners, cohorts, sessions, trainees, enrolments, attendance.
        Officer,
        /// Speaks for one partner: reads that partner's programmes, records evaluations there.
        Liaison,
        /// Reads everything but accounts.
        Reporter,
    }
);

/// The signed-in account making a request. A liaison always has its partner: a caller that
/// would see everything because its partner is missing cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An admin, an officer or a reporter: sees every record its role may read.
    Staff {
        /// Account id.
        id: UserId,
        /// Its role, as stored now.
        role: StaffRole,
    },
    /// A partner liaison: sees its partner's work only.
    Liaison {
        /// Account id.
        id: UserId,
        /// The partner whose work it may see.
        partner: PartnerId,
    },
}

/// The roles that see every record they may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffRole {
    /// Everything, including accounts.
    Admin,
    /// Runs programmes.
    Officer,
    /// Reads everything but accounts.
    Reporter,
}

impl Caller {
    /// The caller an account with `role` (and, for a liaison, `partner`) is; `None` for a liaison
    /// account that names no partner, which may do nothing.
    pub fn of(id: UserId, role: Role, partner: Option<PartnerId>) -> Option<Caller> {
        let staff = |role| Some(Caller::Staff { id, role });
        match role {
            Role::Admin => staff(StaffRole::Admin),
            Role::Officer => staff(StaffRole::Officer),
            Role::Reporter => staff(StaffRole::Reporter),
            Role::Liaison => partner.map(|partner| Caller::Liaison { id, partner }),
        }
    }

    /// The account's id.
    pub fn id(&self) -> UserId {
        match self {
            Caller::Staff { id, .. } | Caller::Liaison { id, .. } => *id,
        }
    }

    /// The account's role.
    pub fn role(&self) -> Role {
        match self {
            Caller::Staff {
                role: StaffRole::Admin, ..
            } => Role::Admin,
            Caller::Staff {
                role: StaffRole::Officer,
                ..
            } => Role::Officer,
            Caller::Staff {
                role: StaffRole::Reporter,
                ..
            } => Role::Reporter,
            Caller::Liaison { .. } => Role::Liaison,
        }
    }

    /// The partner a liaison is limited to; `None` for roles that see everything.
    pub fn liaison_partner(&self) -> Option<PartnerId> {
        match self {
            Caller::Liaison { partner, .. } => Some(*partner),
            Caller::Staff { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_liaison_without_a_partner_is_no_caller_at_all() {
        assert_eq!(Caller::of(UserId(7), Role::Liaison, None), None);
        let liaison = Caller::of(UserId(7), Role::Liaison, Some(PartnerId(3)));
        assert_eq!(liaison.as_ref().and_then(Caller::liaison_partner), Some(PartnerId(3)));
        assert_eq!(liaison.map(|c| c.role()), Some(Role::Liaison));
    }

    #[test]
    fn staff_see_everything_whatever_partner_their_account_names() {
        let officer = Caller::of(UserId(1), Role::Officer, Some(PartnerId(3)));
        assert_eq!(officer.as_ref().and_then(Caller::liaison_partner), None);
        assert_eq!(officer.map(|c| c.role()), Some(Role::Officer));
    }
}
