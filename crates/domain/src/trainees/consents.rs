//! A trainee's consents (`/api/v1/trainees/{id}/consents[/{consent_id}]`), one per purpose (and,
//! for sharing contact details, per partner): when and how each was given, who recorded it, and
//! when it was withdrawn (Decree 13/2023/ND-CP asks consent to be specific to a purpose, shown,
//! and withdrawable).
//!
//! What a consent changes is read where the data is shown: a partner's liaison reads a trainee's
//! email and phone only with a standing `partner_contacts` consent for that partner
//! ([`consented_to_partner`], used by `Trainee::seen_by`). A withdrawal is a row's
//! `withdrawn_at`, so it holds from the next request on, and the consent's history stays.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::Trainee;
use crate::access::Caller;
use crate::actor::Actor;
use crate::audit::Entity;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{ConsentId, EnrollmentId, PartnerId, TraineeId, UserId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{AnyVersion, Create, Expect, List, Record, Store, Trail};
use crate::schema::{consents, enrollments, partners};

text_enum!(
    /// What a consent is for.
    ConsentPurpose {
        /// Sharing the trainee's email and phone with one named partner (`partner_id`), whose
        /// liaisons read them only where the programme's link to the partner shares contacts too.
        PartnerContacts,
        /// Being contacted after return to follow up the training.
        FollowUp,
        /// The department's own reporting: a legal duty, recorded and shown, never withdrawn.
        DepartmentReporting,
    }
);

impl ConsentPurpose {
    /// Whether the trainee may withdraw it: not a legal duty.
    pub fn withdrawable(self) -> bool {
        self != ConsentPurpose::DepartmentReporting
    }
}

text_enum!(
    /// How a consent was given.
    ConsentMethod {
        /// A signed form, recorded by an officer.
        Paper,
        /// The trainee's own page, reached through their personal link.
        Link,
        /// A file of consents loaded by an officer.
        Import,
    }
);

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = consents, treat_none_as_null = true)]
struct ConsentRow {
    #[diesel(skip_insertion)]
    id: ConsentId,
    trainee_id: TraineeId,
    purpose: ConsentPurpose,
    partner_id: Option<PartnerId>,
    method: ConsentMethod,
    given_at: NaiveDateTime,
    recorded_by: Option<UserId>,
    note: Option<String>,
    withdrawn_at: Option<NaiveDateTime>,
    withdrawn_by: Option<UserId>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
}

/// A trainee's consent to one purpose.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Consent {
    /// Id.
    pub id: ConsentId,
    /// The trainee who gave it.
    pub trainee_id: TraineeId,
    /// What it is for.
    pub purpose: ConsentPurpose,
    /// For `partner_contacts`: the partner the contact details may be shared with.
    pub partner_id: Option<PartnerId>,
    /// How it was given.
    pub method: ConsentMethod,
    /// When it was given (UTC; a paper form's day at 00:00).
    #[serde(serialize_with = "crate::wire::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub given_at: NaiveDateTime,
    /// The account that recorded it; `null` when the trainee gave it through their own page.
    pub recorded_by: Option<UserId>,
    /// Free notes (where the signed form is filed).
    pub note: Option<String>,
    /// When it was withdrawn (UTC); `null` while it stands.
    #[serde(serialize_with = "crate::wire::rfc3339_opt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub withdrawn_at: Option<NaiveDateTime>,
    /// The account that recorded the withdrawal; `null` when the trainee withdrew it themselves.
    pub withdrawn_by: Option<UserId>,
    /// Whether it may be withdrawn: `false` for `department_reporting`, a legal duty.
    pub withdrawable: bool,
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
}

impl From<ConsentRow> for Consent {
    fn from(row: ConsentRow) -> Consent {
        Consent {
            id: row.id,
            trainee_id: row.trainee_id,
            purpose: row.purpose,
            partner_id: row.partner_id,
            method: row.method,
            given_at: row.given_at,
            recorded_by: row.recorded_by,
            note: row.note,
            withdrawn_at: row.withdrawn_at,
            withdrawn_by: row.withdrawn_by,
            withdrawable: row.purpose.withdrawable(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
        }
    }
}

impl Consent {
    fn row(&self) -> ConsentRow {
        ConsentRow {
            id: self.id,
            trainee_id: self.trainee_id,
            purpose: self.purpose,
            partner_id: self.partner_id,
            method: self.method,
            given_at: self.given_at,
            recorded_by: self.recorded_by,
            note: self.note.clone(),
            withdrawn_at: self.withdrawn_at,
            withdrawn_by: self.withdrawn_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }

    /// Withdraw consent `key` on behalf of `caller` (an officer recording a trainee's word), if it
    /// is still at the version `expect` names. 409 `not_withdrawable` for the department's own
    /// reporting, a legal duty; 409 `already_withdrawn` for one withdrawn before.
    pub fn withdraw(
        conn: &mut DbConnection,
        caller: &Caller,
        actor: &Actor,
        key: (TraineeId, ConsentId),
        expect: &impl Expect,
    ) -> ApiResult<Consent> {
        let by = Some(caller.id());
        crate::resource::act(conn, actor, key, expect, Trail::Audited, |_, current: &Consent| {
            current.withdrawn(by)
        })
    }

    /// Withdraw consent `id` of the trainee of `enrollment` on their own word, through one of
    /// their personal links (the page resolves the link to the enrolment): the withdrawal names no
    /// account, and is audited as the link's. 404 when the consent is not that trainee's; the
    /// same 409s as [`Consent::withdraw`].
    pub fn withdraw_by_trainee(
        conn: &mut DbConnection,
        actor: &Actor,
        enrollment: EnrollmentId,
        id: ConsentId,
    ) -> ApiResult<Consent> {
        let trainee = trainee_of(conn, enrollment)?;
        crate::resource::act(
            conn,
            actor,
            (trainee, id),
            &AnyVersion,
            Trail::Audited,
            |_, current: &Consent| current.withdrawn(None),
        )
    }

    /// The consents of the trainee of `enrollment`, as their own page lists them: oldest first,
    /// each with the partner's name where it is about one.
    pub fn shown_to_trainee(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<Vec<ShownConsent>> {
        let trainee = trainee_of(conn, enrollment)?;
        let rows: Vec<(ConsentRow, Option<String>)> = consents::table
            .left_join(partners::table)
            .filter(consents::trainee_id.eq(trainee))
            .order(consents::id)
            .select((consents::all_columns, partners::name.nullable()))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(row, partner)| ShownConsent {
                id: row.id,
                purpose: row.purpose,
                partner,
                given_at: row.given_at,
                withdrawn_at: row.withdrawn_at,
                withdrawable: row.purpose.withdrawable(),
            })
            .collect())
    }

    /// This consent withdrawn now by `by`, or the rule that refuses it.
    fn withdrawn(&self, by: Option<UserId>) -> ApiResult<Consent> {
        if !self.purpose.withdrawable() {
            return Err(ApiError::conflict(
                "not_withdrawable",
                format!(
                    "consent {} is to the department's own reporting, which the law requires \
                     (Decree 13/2023/ND-CP, art. 17); it is shown to the trainee but cannot be withdrawn",
                    self.id
                ),
            ));
        }
        if let Some(at) = self.withdrawn_at {
            return Err(ApiError::conflict(
                "already_withdrawn",
                format!(
                    "consent {} was withdrawn at {}; record a new consent if the trainee gives it again",
                    self.id,
                    at.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            ));
        }
        let mut next = self.clone();
        next.withdrawn_at = Some(crate::clock::now());
        next.withdrawn_by = by;
        Ok(next)
    }
}

/// A consent as the trainee's own page shows it.
#[derive(Debug, Clone)]
pub struct ShownConsent {
    /// Its id, which the page's withdrawal form names.
    pub id: ConsentId,
    /// What it is for.
    pub purpose: ConsentPurpose,
    /// The partner's name, for `partner_contacts`.
    pub partner: Option<String>,
    /// When it was given (UTC).
    pub given_at: NaiveDateTime,
    /// When it was withdrawn (UTC), if it was.
    pub withdrawn_at: Option<NaiveDateTime>,
    /// Whether it may be withdrawn.
    pub withdrawable: bool,
}

/// The trainee an enrolment is of.
fn trainee_of(conn: &mut DbConnection, enrollment: EnrollmentId) -> ApiResult<TraineeId> {
    enrollments::table
        .find(enrollment)
        .select(enrollments::trainee_id)
        .lookup(conn)?
        .ok_or_else(|| ApiError::NotFound(format!("there is no enrolment {enrollment}")))
}

/// Trainees who consent to sharing their contact details with `partner` and have not
/// withdrawn it: the consent half of the liaison's contact rule (`Trainee::seen_by`).
#[diesel::dsl::auto_type]
pub(crate) fn consented_to_partner(partner: PartnerId) -> _ {
    let purpose: ConsentPurpose = ConsentPurpose::PartnerContacts;
    consents::table
        .filter(consents::partner_id.eq(partner))
        .filter(consents::purpose.eq(purpose))
        .filter(consents::withdrawn_at.is_null())
        .select(consents::trainee_id)
}

/// A consent an officer records (a signed form, or one from a file).
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConsent {
    /// What it is for.
    pub purpose: ConsentPurpose,
    /// The partner, for `partner_contacts` (and only for it).
    pub partner_id: Option<PartnerId>,
    /// How it was given: `paper` (the default) or `import`; `link` is the trainee's own page's.
    pub method: Option<ConsentMethod>,
    /// The day it was given (a paper form's date); today when left out. Not in the future.
    pub given_on: Option<NaiveDate>,
    /// Free notes (where the signed form is filed).
    #[validate(custom(function = "crate::validate::long_text"))]
    #[schema(min_length = 1, max_length = 20000)]
    pub note: Option<String>,
}

/// Filters for a trainee's consents.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ConsentFilters {
    /// Only consents to this purpose.
    pub purpose: Option<ConsentPurpose>,
    /// `true`: only those that stand (not withdrawn); `false`: only withdrawn ones.
    pub standing: Option<bool>,
}

impl Record for Consent {
    type Key = (TraineeId, ConsentId);
    const ENTITY: Entity = Entity::Consent;
    const NOUN: &'static str = "consent";

    fn key(&self) -> (TraineeId, ConsentId) {
        (self.trainee_id, self.id)
    }
    fn audit_id(&self) -> i64 {
        self.id.0
    }
    fn version(&self) -> i32 {
        self.version
    }
    fn stamp(&mut self, version: i32, at: Option<NaiveDateTime>) {
        self.version = version;
        if let Some(at) = at {
            self.updated_at = at;
        }
    }

    /// 404 also when the consent is another trainee's.
    fn find(conn: &mut DbConnection, (trainee, id): (TraineeId, ConsentId)) -> ApiResult<Consent> {
        consents::table
            .find(id)
            .filter(consents::trainee_id.eq(trainee))
            .lookup::<ConsentRow>(conn)?
            .map(Consent::from)
            .ok_or_else(|| ApiError::NotFound(format!("trainee {trainee} has no consent {id}")))
    }

    // A liaison sees no consent: the default `find_visible`.
}

impl Create for Consent {
    type New = CreateConsent;
    type Parent = TraineeId;
    const CREATED: &'static str = "Recorded";

    fn insert(conn: &mut DbConnection, trainee: TraineeId, new: CreateConsent) -> ApiResult<Consent> {
        insert(conn, None, trainee, new)
    }

    /// Records the officer who recorded it.
    fn insert_for(
        conn: &mut DbConnection,
        caller: &Caller,
        trainee: TraineeId,
        new: CreateConsent,
    ) -> ApiResult<Consent> {
        insert(conn, Some(caller.id()), trainee, new)
    }
}

fn insert(conn: &mut DbConnection, by: Option<UserId>, trainee: TraineeId, new: CreateConsent) -> ApiResult<Consent> {
    Trainee::find(conn, trainee)?;
    match (new.purpose, new.partner_id) {
        (ConsentPurpose::PartnerContacts, None) => {
            return Err(ApiError::invalid(
                "partner_id",
                "required",
                "is required for `partner_contacts`: name the partner the trainee agreed to share contact details with",
            ));
        }
        (ConsentPurpose::PartnerContacts, Some(partner)) => {
            crate::partners::Partner::find(conn, partner)
                .map_err(|e| e.naming_field("partner_id", || format!("names no partner (id {partner})")))?;
        }
        (purpose, Some(_)) => {
            return Err(ApiError::invalid(
                "partner_id",
                "not_allowed",
                format!("a `{purpose}` consent names no partner; leave `partner_id` out"),
            ));
        }
        (_, None) => {}
    }
    let method = new.method.unwrap_or(ConsentMethod::Paper);
    if method == ConsentMethod::Link {
        return Err(ApiError::invalid(
            "method",
            "not_allowed",
            "`link` is recorded by the trainee's own page; an officer records `paper` or `import`",
        ));
    }
    let now = crate::clock::now();
    let given_at = match new.given_on {
        Some(day) if day > now.date() => {
            return Err(ApiError::invalid(
                "given_on",
                "in_future",
                format!("{day} has not come yet; give the day the form was signed"),
            ));
        }
        Some(day) => day.and_time(chrono::NaiveTime::MIN),
        None => now,
    };
    let mut standing = consents::table
        .filter(consents::trainee_id.eq(trainee))
        .filter(consents::purpose.eq(new.purpose))
        .filter(consents::withdrawn_at.is_null())
        .select(consents::id)
        .into_boxed::<crate::db::MultiBackend>();
    standing = match new.partner_id {
        Some(partner) => standing.filter(consents::partner_id.eq(partner)),
        None => standing.filter(consents::partner_id.is_null()),
    };
    let standing: Option<ConsentId> = standing.first(conn).optional()?;
    if let Some(id) = standing {
        return Err(ApiError::conflict(
            "duplicate",
            format!(
                "trainee {trainee} already gave this consent (consent {id}) and has not withdrawn it; \
                 withdraw it first to record it again"
            ),
        ));
    }
    let row = ConsentRow {
        id: ConsentId(0),
        trainee_id: trainee,
        purpose: new.purpose,
        partner_id: new.partner_id,
        method,
        given_at,
        recorded_by: by,
        note: new.note,
        withdrawn_at: None,
        withdrawn_by: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let stored: ConsentRow = diesel::insert_into(consents::table)
        .values(&row)
        .returning(consents::all_columns)
        .get_result(conn)?;
    Ok(stored.into())
}

impl Store for Consent {
    fn store(&self, conn: &mut DbConnection, current: &Consent) -> ApiResult<Option<Consent>> {
        let saved: Option<ConsentRow> = diesel::update(
            consents::table
                .find(self.id)
                .filter(consents::version.eq(current.version)),
        )
        .set(self.row())
        .returning(consents::all_columns)
        .get_result(conn)
        .optional()?;
        Ok(saved.map(Consent::from))
    }
}

impl List for Consent {
    const NOUNS: &'static str = "consents";
    type Filters = ConsentFilters;
    type Parent = TraineeId;

    /// Oldest first.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        trainee: TraineeId,
        filters: ConsentFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Consent>> {
        Trainee::find_visible(conn, caller, trainee)?;
        let query = || {
            let mut query = consents::table.filter(consents::trainee_id.eq(trainee)).into_boxed();
            if let Some(purpose) = filters.purpose {
                query = query.filter(consents::purpose.eq(purpose));
            }
            match filters.standing {
                Some(true) => query = query.filter(consents::withdrawn_at.is_null()),
                Some(false) => query = query.filter(consents::withdrawn_at.is_not_null()),
                None => {}
            }
            query
        };
        let keys = Keyset::by(list::ascending("id", consents::id, |c: &ConsentRow| c.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| Ok(rows.into_iter().map(Consent::from).collect()))
    }
}
