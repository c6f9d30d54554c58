//! Questionnaires (`instruments`): what trainees, partners and officers answer in an evaluation
//! round. Each is a revision under a stable code:
//!
//! ```text
//! draft ─> published ─> retired        a published revision never changes;
//!                                       POST /instruments/{id}/revisions drafts the next one
//! ```
//!
//! Every answer is stored against the revision it answered, and item keys are stable across
//! revisions, so results compare over time without an old answer ever meeting a new question.

mod input;
pub mod items;

pub use input::{CreateInstrument, InstrumentFilters, InstrumentOrder, InstrumentSort, UpdateInstrument};
pub use items::{Answers, Item, ItemKind, Scoring};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::audit::{self, Actor, Entity, Event};
use crate::db::{DbConnection, Lookup};
use crate::error::illegal_transition;
use crate::error::{ApiError, ApiResult};
use crate::ids::{InstrumentId, text_enum};
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{evaluation_rounds, instruments};

text_enum!(
    /// What a questionnaire evaluates (Kirkpatrick's levels).
    Purpose {
        /// Trainees rate a course or a session (level 1).
        Reaction,
        /// A knowledge test (level 2).
        Learning,
        /// A partner or lecturer rates a trainee.
        Assessment,
        /// After return: what the trainee applied, and its results (levels 3 and 4).
        FollowUp,
    }
);

text_enum!(
    /// Where a questionnaire revision stands.
    InstrumentStatus {
        /// Being written; may change; no round may use it.
        Draft,
        /// Frozen: rounds may use it; it never changes again.
        Published,
        /// Frozen and no longer offered for new rounds.
        Retired,
    }
);

impl InstrumentStatus {
    /// The states this one may move to.
    pub fn next(self) -> &'static [InstrumentStatus] {
        match self {
            InstrumentStatus::Draft => &[InstrumentStatus::Published],
            InstrumentStatus::Published => &[InstrumentStatus::Retired],
            InstrumentStatus::Retired => &[],
        }
    }
}

/// A questionnaire revision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Instrument {
    /// Id of this revision.
    pub id: InstrumentId,
    /// Code shared by all revisions.
    #[schema(example = "COURSE-REACTION")]
    pub code: String,
    /// 1 for the first revision, then 2, 3, ...
    pub revision: i32,
    /// Title in English.
    pub title: String,
    /// Title in Vietnamese.
    pub title_vi: String,
    /// What it evaluates.
    pub purpose: Purpose,
    /// Where it stands.
    pub status: InstrumentStatus,
    /// Shipped with TPMS as a starting point (not a fact from the seed documents).
    pub template: bool,
    /// Its questions, in order.
    pub items: Vec<Item>,
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
    /// For a knowledge test: the earlier revision of the same code this one scores like (the
    /// same scored items, by key, with the same points), so that a pre-test asked with one and a
    /// post-test asked with the other pair up. Two revisions are equivalent when one names the
    /// other, or both name the same one.
    pub equivalent_to: Option<InstrumentId>,
}

/// A questionnaire as stored: its items as JSON.
#[derive(Debug, Queryable)]
pub(crate) struct InstrumentRow {
    id: InstrumentId,
    code: String,
    revision: i32,
    title: String,
    title_vi: String,
    purpose: Purpose,
    status: InstrumentStatus,
    template: bool,
    items: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    version: i32,
    equivalent_to: Option<InstrumentId>,
}

impl TryFrom<InstrumentRow> for Instrument {
    type Error = ApiError;
    fn try_from(row: InstrumentRow) -> ApiResult<Instrument> {
        Ok(Instrument {
            id: row.id,
            code: row.code,
            revision: row.revision,
            title: row.title,
            title_vi: row.title_vi,
            purpose: row.purpose,
            status: row.status,
            template: row.template,
            items: serde_json::from_str(&row.items).map_err(ApiError::internal)?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            equivalent_to: row.equivalent_to,
        })
    }
}

impl Instrument {
    /// 422 naming every bad item, and every scored item of a questionnaire that is not a
    /// knowledge test.
    fn check(items: &[Item], purpose: Purpose) -> ApiResult<()> {
        let mut errors = items::check_items(items);
        errors.extend(items::check_scoring(items, purpose == Purpose::Learning));
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    /// The most points an answer can earn; none when no item is scored (not a test).
    pub fn max_score(&self) -> Option<i64> {
        items::max_score(&self.items)
    }

    /// Whether a pre-test asked with `self` and a post-test asked with `other` compare: the same
    /// revision, or one declared equivalent to the other, or both to the same one.
    pub fn equivalent(&self, other: &Instrument) -> bool {
        self.id == other.id
            || self.equivalent_to == Some(other.id)
            || other.equivalent_to == Some(self.id)
            || (self.equivalent_to.is_some() && self.equivalent_to == other.equivalent_to)
    }

    /// 422 unless `to` is a frozen revision of the same code whose scored items (keys and
    /// points) are this one's: only then do scores on the two compare.
    fn check_equivalent(&self, conn: &mut DbConnection, to: InstrumentId) -> ApiResult<()> {
        let bad = |detail: String| ApiError::invalid("equivalent_to", "not_equivalent", detail);
        let other = Instrument::find(conn, to).map_err(|_| bad(format!("there is no questionnaire {to}")))?;
        if other.id == self.id || other.code != self.code || other.status == InstrumentStatus::Draft {
            return Err(bad(format!(
                "name another published revision of questionnaire {}; {} is revision {} of {} ({})",
                self.code, other.id, other.revision, other.code, other.status
            )));
        }
        let scored = |items: &[Item]| -> Vec<(String, i32)> {
            let mut keys: Vec<(String, i32)> = items
                .iter()
                .filter_map(|i| i.points().map(|p| (i.key.clone(), p)))
                .collect();
            keys.sort();
            keys
        };
        let (ours, theirs) = (scored(&self.items), scored(&other.items));
        if ours.is_empty() || ours != theirs {
            return Err(bad(format!(
                "revision {} scores {:?} (key, points) and revision {} scores {:?}: equivalent revisions score the same items for the same points",
                self.revision, ours, other.revision, theirs
            )));
        }
        Ok(())
    }

    fn items_json(&self) -> ApiResult<String> {
        serde_json::to_string(&self.items).map_err(ApiError::internal)
    }

    fn insert_row(&self, conn: &mut DbConnection) -> ApiResult<Instrument> {
        let id: InstrumentId = diesel::insert_into(instruments::table)
            .values((
                instruments::code.eq(&self.code),
                instruments::revision.eq(self.revision),
                instruments::title.eq(&self.title),
                instruments::title_vi.eq(&self.title_vi),
                instruments::purpose.eq(self.purpose),
                instruments::status.eq(self.status),
                instruments::template.eq(self.template),
                instruments::items.eq(self.items_json()?),
                instruments::created_at.eq(self.created_at),
                instruments::updated_at.eq(self.updated_at),
                instruments::version.eq(1),
                instruments::equivalent_to.eq(self.equivalent_to),
            ))
            .returning(instruments::id)
            .get_result(conn)
            .map_err(|e| {
                ApiError::from(e).naming_duplicate(|| {
                    format!(
                        "questionnaire {} already has revision {}; make its next revision with POST /api/v1/instruments/{{id}}/revisions",
                        self.code, self.revision
                    )
                })
            })?;
        Instrument::find(conn, id)
    }

    /// Draft the next revision of this questionnaire, a copy of this one (audited): 409 while
    /// its code already has a draft, which is the one to edit.
    pub fn revise(conn: &mut DbConnection, actor: &Actor, id: InstrumentId) -> ApiResult<Instrument> {
        let from = Instrument::find(conn, id)?;
        let draft: Option<(InstrumentId, i32)> = instruments::table
            .filter(instruments::code.eq(&from.code))
            .filter(instruments::status.eq(InstrumentStatus::Draft))
            .select((instruments::id, instruments::revision))
            .lookup(conn)?;
        if let Some((draft, revision)) = draft {
            return Err(ApiError::conflict(
                "draft_exists",
                format!(
                    "questionnaire {} already has a draft, revision {revision} (id {draft}); change that one",
                    from.code
                ),
            ));
        }
        let latest: Option<i32> = instruments::table
            .filter(instruments::code.eq(&from.code))
            .select(diesel::dsl::max(instruments::revision))
            .first(conn)?;
        let now = crate::clock::now();
        let next = Instrument {
            revision: latest.unwrap_or(from.revision) + 1,
            status: InstrumentStatus::Draft,
            template: false,
            created_at: now,
            updated_at: now,
            version: 1,
            // A new draft states its equivalence itself, once its items are final.
            equivalent_to: None,
            ..from
        }
        .insert_row(conn)?;
        audit::record(conn, actor, Event::created(Entity::Instrument, next.id.0, &next))?;
        Ok(next)
    }

    /// Store a questionnaire shipped with TPMS (`tpms seed`), unless its code is already there.
    pub fn load_template(conn: &mut DbConnection, actor: &Actor, new: CreateInstrument) -> ApiResult<bool> {
        let exists: bool = diesel::select(diesel::dsl::exists(
            instruments::table.filter(instruments::code.eq(&new.code)),
        ))
        .get_result(conn)?;
        if exists {
            return Ok(false);
        }
        Instrument::check(&new.items, new.purpose)?;
        let now = crate::clock::now();
        let template = Instrument {
            id: InstrumentId(0),
            code: new.code,
            revision: 1,
            title: new.title,
            title_vi: new.title_vi,
            purpose: new.purpose,
            status: InstrumentStatus::Published,
            template: true,
            items: new.items,
            created_at: now,
            updated_at: now,
            version: 1,
            equivalent_to: None,
        }
        .insert_row(conn)?;
        audit::record(
            conn,
            actor,
            Event::created(Entity::Instrument, template.id.0, &template),
        )?;
        Ok(true)
    }
}

/// Where the questionnaire templates shipped with TPMS are kept, below `seeds/`.
pub const TEMPLATES_FILE: &str = "templates/instruments.json";

/// The questionnaire templates shipped with TPMS, in English and Vietnamese: written for TPMS as
/// starting points, not facts from the seed documents. `tpms seed` loads each as published
/// revision 1, marked `template`, unless its code exists.
pub fn templates() -> ApiResult<Vec<CreateInstrument>> {
    serde_json::from_str(include_str!("../../../../seeds/templates/instruments.json")).map_err(ApiError::internal)
}

impl Record for Instrument {
    type Key = InstrumentId;
    const ENTITY: Entity = Entity::Instrument;
    const NOUN: &'static str = "questionnaire";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: InstrumentId) -> ApiResult<Instrument> {
        instruments::table
            .find(id)
            .lookup::<InstrumentRow>(conn)?
            .ok_or_else(|| ApiError::not_found("questionnaire", id))?
            .try_into()
    }

    /// Questionnaires are not a partner's work: a liaison reads them all (it assesses against
    /// them).
    fn find_visible(conn: &mut DbConnection, _: &Caller, id: InstrumentId) -> ApiResult<Instrument> {
        Instrument::find(conn, id)
    }
}

impl Create for Instrument {
    type New = CreateInstrument;
    type Parent = ();
    const CREATED: &'static str = "Created: revision 1, as a draft";

    fn insert(conn: &mut DbConnection, _: (), new: CreateInstrument) -> ApiResult<Instrument> {
        Instrument::check(&new.items, new.purpose)?;
        let now = crate::clock::now();
        Instrument {
            id: InstrumentId(0),
            code: new.code,
            revision: 1,
            title: new.title,
            title_vi: new.title_vi,
            purpose: new.purpose,
            status: InstrumentStatus::Draft,
            template: false,
            items: new.items,
            created_at: now,
            updated_at: now,
            version: 1,
            equivalent_to: None,
        }
        .insert_row(conn)
    }
}

impl Store for Instrument {
    fn store(&self, conn: &mut DbConnection, current: &Instrument) -> ApiResult<Option<Instrument>> {
        let updated = diesel::update(
            instruments::table
                .find(self.id)
                .filter(instruments::version.eq(current.version)),
        )
        .set((
            instruments::title.eq(&self.title),
            instruments::title_vi.eq(&self.title_vi),
            instruments::purpose.eq(self.purpose),
            instruments::status.eq(self.status),
            instruments::items.eq(self.items_json()?),
            instruments::updated_at.eq(self.updated_at),
            instruments::version.eq(self.version),
            instruments::equivalent_to.eq(self.equivalent_to),
        ))
        .execute(conn)?;
        Ok((updated == 1).then(|| self.clone()))
    }
}

impl Change for Instrument {
    type Change = UpdateInstrument;

    fn patched(&self, conn: &mut DbConnection, change: UpdateInstrument) -> ApiResult<Instrument> {
        let mut next = self.clone();
        let edits = change.title.is_some()
            || change.title_vi.is_some()
            || change.purpose.is_some()
            || change.items.is_some()
            || change.equivalent_to.is_some();
        if edits && self.status != InstrumentStatus::Draft {
            return Err(ApiError::conflict(
                "published",
                format!(
                    "questionnaire {} revision {} is {} and never changes, so that its answers keep their meaning; \
                     draft its next revision with POST /api/v1/instruments/{}/revisions",
                    self.code, self.revision, self.status, self.id
                ),
            ));
        }
        next.title = change.title.unwrap_or(next.title);
        next.title_vi = change.title_vi.unwrap_or(next.title_vi);
        next.purpose = change.purpose.unwrap_or(next.purpose);
        if let Some(items) = change.items {
            next.items = items;
        }
        if let Some(equivalent_to) = change.equivalent_to {
            next.equivalent_to = equivalent_to;
        }
        if self.status == InstrumentStatus::Draft {
            // Checked as they will stand: a purpose that stops being `learning` takes scored
            // items with it, and items that change must still score like the named revision.
            Instrument::check(&next.items, next.purpose)?;
            if let Some(to) = next.equivalent_to {
                next.check_equivalent(conn, to)?;
            }
        }
        if let Some(status) = change.status
            && status != self.status
        {
            if !self.status.next().contains(&status) {
                let what = format!("questionnaire {} revision {}", self.code, self.revision);
                return Err(illegal_transition(&what, self.status, status, self.status.next()));
            }
            next.status = status;
        }
        Ok(next)
    }
}

impl Remove for Instrument {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let rounds: i64 = evaluation_rounds::table
            .filter(evaluation_rounds::instrument_id.eq(self.id))
            .count()
            .get_result(conn)?;
        if rounds > 0 {
            return Ok(Some(format!(
                "questionnaire {} revision {} is used by {rounds} round(s); retire it instead",
                self.code, self.revision
            )));
        }
        Ok((self.status != InstrumentStatus::Draft).then(|| {
            format!(
                "questionnaire {} revision {} is {}; only a draft can be deleted, retire it instead",
                self.code, self.revision, self.status
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(instruments::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Instrument {
    const NOUNS: &'static str = "questionnaires";
    type Filters = InstrumentFilters;
    type Parent = ();

    fn list(
        conn: &mut DbConnection,
        _: &Caller,
        _: (),
        filters: InstrumentFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Instrument>> {
        let query = || {
            let mut query = instruments::table.into_boxed();
            if let Some(code) = &filters.code {
                query = query.filter(instruments::code.eq(code.to_uppercase()));
            }
            if let Some(purpose) = filters.purpose {
                query = query.filter(instruments::purpose.eq(purpose));
            }
            if let Some(status) = filters.status {
                query = query.filter(instruments::status.eq(status));
            }
            if let Some(template) = filters.template {
                query = query.filter(instruments::template.eq(template));
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            InstrumentOrder::Code => Keyset::by(sort.by(instruments::code, |i: &InstrumentRow| i.code.clone()))
                .then(sort.by(instruments::revision, |i: &InstrumentRow| i.revision)),
            InstrumentOrder::CreatedAt => {
                Keyset::by(sort.by(instruments::created_at, |i: &InstrumentRow| i.created_at))
            }
        };
        let keys = keys.then(sort.ties_by(instruments::id, |i: &InstrumentRow| i.id));
        list::page(conn, query, &keys, &paging)?.try_with(|rows| rows.into_iter().map(Instrument::try_from).collect())
    }
}
