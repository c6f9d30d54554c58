//! Contacts: the people at partner organisations (JICA Vietnam's deputy chief representative,
//! GRIPS's president, an ambassador), found by name with or without Vietnamese diacritics. The
//! part each took in a cohort or a session is a `participations::Participation`.
//!
//! Types, rules and queries; served over HTTP by the standard operations named in the route table (`app.rs`).

mod input;

pub use input::{ContactFilters, ContactOrder, ContactSort, CreateContact, UpdateContact};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Caller;
use crate::audit::Entity;
use crate::db::{DbConnection, Lookup};
use crate::error::{ApiError, ApiResult};
use crate::ids::{ContactId, PartnerId, text_enum};
use crate::partners::Partner;
use crate::resource::list::{self, Keyset, Paging, Slice};
use crate::resource::{Change, Create, List, Record, Remove, Store, keyed_by_id};
use crate::schema::{contacts, participations};

text_enum!(
    /// The order of a person's names in `full_name`, so that each prints as its own usage has it.
    NameOrder {
        /// Given name first: `Hiroko Ota`.
        GivenFirst,
        /// Family name first: `Vũ Thanh Sơn`, `HIRAOKA Hisakazu`.
        FamilyFirst,
    }
);

/// A person at a partner organisation.
#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset, Serialize, ToSchema)]
#[diesel(table_name = contacts, treat_none_as_null = true)]
pub struct Contact {
    /// Id.
    #[diesel(skip_insertion)]
    pub id: ContactId,
    /// The partner organisation the person works for.
    pub partner_id: PartnerId,
    /// Full name as written, in the order of `name_order`.
    #[schema(example = "HIRAOKA Hisakazu")]
    pub full_name: String,
    /// Whether the family name comes first.
    pub name_order: NameOrder,
    /// The name in its own script, where known.
    pub name_native: Option<String>,
    /// Title or rank in English.
    pub title: Option<String>,
    /// Title or rank in Vietnamese.
    pub title_vi: Option<String>,
    /// Position in English.
    pub position: Option<String>,
    /// Position in Vietnamese.
    pub position_vi: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    #[serde(skip)]
    pub(crate) search_text: String,
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
    /// For a record loaded by `tpms seed`: the seed document its facts come from (a file name).
    #[diesel(skip_update)]
    pub source: Option<String>,
    /// Set on records `tpms seed` owns.
    #[serde(skip)]
    #[diesel(skip_update)]
    pub(crate) seed_key: Option<String>,
    /// What the seed file last said of this record.
    #[serde(skip)]
    #[diesel(skip_update)]
    pub(crate) seed_data: Option<String>,
    /// Every seed document its facts come from, for a record several articles state; `source` is
    /// the first. Empty for records users made.
    #[diesel(deserialize_as = Option<String>)]
    #[diesel(skip_insertion)]
    #[diesel(skip_update)]
    #[schema(value_type = Vec<String>)]
    pub sources: crate::provenance::Sources,
}

impl Contact {
    /// This contact with its search column matching its names and positions.
    fn searchable(mut self) -> Contact {
        self.search_text = crate::text::search_text([
            Some(self.full_name.as_str()),
            self.name_native.as_deref(),
            self.position.as_deref(),
            self.position_vi.as_deref(),
        ]);
        self
    }
}

/// 422 naming `partner_id` when it names no partner.
fn check_partner(conn: &mut DbConnection, partner: PartnerId) -> ApiResult<()> {
    Partner::find(conn, partner).map_err(|e| {
        e.naming_field("partner_id", || {
            format!("names no partner (id {partner}); see GET /api/v1/partners")
        })
    })?;
    Ok(())
}

impl Record for Contact {
    type Key = ContactId;
    const ENTITY: Entity = Entity::Contact;
    const NOUN: &'static str = "contact";
    keyed_by_id!();

    fn find(conn: &mut DbConnection, id: ContactId) -> ApiResult<Contact> {
        contacts::table
            .find(id)
            .lookup(conn)?
            .ok_or_else(|| ApiError::not_found("contact", id))
    }

    /// A liaison sees the people of its own partner only; others are 404, as if missing.
    fn find_visible(conn: &mut DbConnection, caller: &Caller, id: ContactId) -> ApiResult<Contact> {
        let contact = Contact::find(conn, id)?;
        match caller.liaison_partner() {
            Some(partner) if partner != contact.partner_id => Err(ApiError::not_found("contact", id)),
            _ => Ok(contact),
        }
    }
}

impl Create for Contact {
    type New = CreateContact;
    type Parent = ();

    fn insert(conn: &mut DbConnection, _: (), new: CreateContact) -> ApiResult<Contact> {
        check_partner(conn, new.partner_id)?;
        let now = crate::clock::now();
        let draft = Contact {
            id: ContactId(0),
            partner_id: new.partner_id,
            full_name: new.full_name,
            name_order: new.name_order,
            name_native: new.name_native,
            title: new.title,
            title_vi: new.title_vi,
            position: new.position,
            position_vi: new.position_vi,
            email: new.email,
            phone: new.phone,
            notes: new.notes,
            search_text: String::new(),
            created_at: now,
            updated_at: now,
            version: 1,
            source: None,
            seed_key: None,
            seed_data: None,
            sources: Default::default(),
        }
        .searchable();
        Ok(diesel::insert_into(contacts::table)
            .values(&draft)
            .returning(contacts::all_columns)
            .get_result(conn)?)
    }
}

impl Store for Contact {
    fn store(&self, conn: &mut DbConnection, current: &Contact) -> ApiResult<Option<Contact>> {
        Ok(diesel::update(
            contacts::table
                .find(self.id)
                .filter(contacts::version.eq(current.version)),
        )
        .set(self)
        .returning(contacts::all_columns)
        .get_result(conn)
        .optional()?)
    }
}

impl Change for Contact {
    type Change = UpdateContact;

    fn patched(&self, conn: &mut DbConnection, change: UpdateContact) -> ApiResult<Contact> {
        let mut next = self.clone();
        if let Some(partner) = change.partner_id {
            check_partner(conn, partner)?;
            next.partner_id = partner;
        }
        next.full_name = change.full_name.unwrap_or(next.full_name);
        next.name_order = change.name_order.unwrap_or(next.name_order);
        next.name_native = change.name_native.unwrap_or(next.name_native);
        next.title = change.title.unwrap_or(next.title);
        next.title_vi = change.title_vi.unwrap_or(next.title_vi);
        next.position = change.position.unwrap_or(next.position);
        next.position_vi = change.position_vi.unwrap_or(next.position_vi);
        next.email = change.email.unwrap_or(next.email);
        next.phone = change.phone.unwrap_or(next.phone);
        next.notes = change.notes.unwrap_or(next.notes);
        Ok(next.searchable())
    }
}

impl Remove for Contact {
    fn in_use(&self, conn: &mut DbConnection) -> ApiResult<Option<String>> {
        let parts: i64 = participations::table
            .filter(participations::contact_id.eq(self.id))
            .count()
            .get_result(conn)?;
        Ok((parts > 0).then(|| {
            format!(
                "{} took part in {parts} cohort(s) or session(s); remove those participations first (GET /api/v1/participations?contact_id={})",
                self.full_name, self.id
            )
        }))
    }

    fn delete_row(&self, conn: &mut DbConnection) -> ApiResult<()> {
        diesel::delete(contacts::table.find(self.id)).execute(conn)?;
        Ok(())
    }
}

impl List for Contact {
    const NOUNS: &'static str = "contacts";
    type Filters = ContactFilters;
    type Parent = ();

    /// A liaison lists the people of its own partner only.
    fn list(
        conn: &mut DbConnection,
        caller: &Caller,
        _: (),
        filters: ContactFilters,
        paging: Paging,
    ) -> ApiResult<Slice<Contact>> {
        let query = || {
            let mut query = contacts::table.into_boxed();
            for pattern in crate::text::word_patterns(filters.q.as_deref().unwrap_or_default()) {
                query = query.filter(contacts::search_text.like(pattern).escape('\\'));
            }
            if let Some(partner) = caller.liaison_partner() {
                query = query.filter(contacts::partner_id.eq(partner));
            }
            if let Some(partner) = filters.partner_id {
                query = query.filter(contacts::partner_id.eq(partner));
            }
            if let Some(source) = &filters.source {
                query = query.filter(
                    contacts::source.eq(source.clone()).or(contacts::sources
                        .like(crate::provenance::cites_pattern(source))
                        .escape('\\')),
                );
            }
            query
        };
        let sort = filters.sort.unwrap_or_default();
        let keys = match sort.key {
            ContactOrder::FullName => Keyset::by(sort.by(contacts::full_name, |c: &Contact| c.full_name.clone())),
            ContactOrder::CreatedAt => Keyset::by(sort.by(contacts::created_at, |c: &Contact| c.created_at)),
        };
        let keys = keys.then(sort.ties_by(contacts::id, |c: &Contact| c.id));
        list::page(conn, query, &keys, &paging)
    }
}
