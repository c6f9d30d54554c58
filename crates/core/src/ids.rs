//! Typed ids: a partner id can never be passed where a programme id is wanted.

/// A typed id: an integer key of one kind of record.
pub trait TypedId: Copy + std::fmt::Display {
    /// What a path parameter holding one is called in the documentation ("Partner id").
    const LABEL: &'static str;
}

/// What a path's parameters hold: nothing, a typed id, or a pair of them. Gives the documentation
/// of each parameter, and fills a path template for `Location`.
pub trait PathKey: Copy + serde::de::DeserializeOwned + Send + 'static {
    /// What each parameter is, in the order the path names them ("Partner id").
    fn labels() -> Vec<&'static str>;
    /// Each parameter's value, in the same order.
    fn values(self) -> Vec<String>;
}

impl PathKey for () {
    fn labels() -> Vec<&'static str> {
        Vec::new()
    }
    fn values(self) -> Vec<String> {
        Vec::new()
    }
}

impl<T: TypedId + serde::de::DeserializeOwned + Send + 'static> PathKey for T {
    fn labels() -> Vec<&'static str> {
        vec![T::LABEL]
    }
    fn values(self) -> Vec<String> {
        vec![self.to_string()]
    }
}

impl<
    A: TypedId + serde::de::DeserializeOwned + Send + 'static,
    B: TypedId + serde::de::DeserializeOwned + Send + 'static,
> PathKey for (A, B)
{
    fn labels() -> Vec<&'static str> {
        vec![A::LABEL, B::LABEL]
    }
    fn values(self) -> Vec<String> {
        vec![self.0.to_string(), self.1.to_string()]
    }
}

/// An id read from JSON, a path or a query: an integer, also when written as a number with no
/// fraction (`17.0`, `1e3`), since the OpenAPI document calls ids JSON Schema integers and those
/// include such numbers. Anything else (`17.5`, `abc`, a float past 2^53) is refused.
pub(crate) fn integer_id<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    struct Id;
    /// The largest integer a float holds exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    impl serde::de::Visitor<'_> for Id {
        type Value = i64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer id")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() <= EXACT {
                Ok(v as i64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<i64, E> {
            match (v.parse::<i64>(), v.parse::<f64>()) {
                (Ok(id), _) => Ok(id),
                (Err(_), Ok(float)) if float.is_finite() => self.visit_f64(float),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
            }
        }
    }
    deserializer.deserialize_any(Id)
}

/// Declare an integer id newtype that serialises as a bare integer and maps to `BigInt`, with the
/// label its path parameter is documented by.
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $label:literal) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize,
            diesel::AsExpression, diesel::FromSqlRow, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        // No example: Swagger UI's "Try it out" would fill every id filter with it, and a
        // search would then find nothing.
        #[schema(value_type = i64, format = Int64)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TypedId for $name {
            const LABEL: &'static str = $label;
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::ids::integer_id(deserializer).map($name)
            }
        }

        /// Documents the id as the path parameter named `id` (the name every single-id route
        /// here uses), for `params(...)` of a hand-written handler.
        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                vec![$crate::ids::id_parameter("id", $label)]
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.0.to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB> for $name
        where
            DB: diesel::backend::Backend,
            i64: diesel::deserialize::FromSql<diesel::sql_types::BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                i64::from_sql(bytes).map($name)
            }
        }
    };
}

/// Declare a closed set of values stored as snake_case `Text`, with serde, OpenAPI and parsing.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize,
            strum::EnumString, strum::IntoStaticStr, strum::VariantNames, strum::VariantArray,
            diesel::AsExpression, diesel::FromSqlRow, utoipa::ToSchema,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// The stored and serialised name.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, DB>) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse().map_err(|_| format!("unknown {} `{text}` in the database", stringify!($name)).into())
            }
        }
    };
}

pub use crate::text_enum;

typed_id!(
    /// Id of a partner organisation.
    PartnerId, "Partner id"
);
typed_id!(
    /// Id of a programme.
    ProgramId, "Programme id"
);
typed_id!(
    /// Id of a partner's place in a programme.
    ProgramPartnerId, "Partner role id"
);
typed_id!(
    /// Id of an audit event.
    AuditEventId, "Audit event id"
);
typed_id!(
    /// Id of an account.
    UserId, "Account id"
);
typed_id!(
    /// Id of a cohort (a class of a programme).
    CohortId, "Cohort id"
);
typed_id!(
    /// Id of a session of a cohort.
    SessionId, "Session id"
);
typed_id!(
    /// Id of a trainee.
    TraineeId, "Trainee id"
);
typed_id!(
    /// Id of an enrolment (a trainee's place in a cohort).
    EnrollmentId, "Enrolment id"
);
typed_id!(
    /// Id of a questionnaire revision.
    InstrumentId, "Questionnaire id"
);
typed_id!(
    /// Id of an evaluation round.
    RoundId, "Round id"
);
typed_id!(
    /// Id of an invitation to answer a round.
    InvitationId, "Invitation id"
);
typed_id!(
    /// Id of a response to a round.
    ResponseId, "Response id"
);
typed_id!(
    /// Id of an action plan.
    ActionPlanId, "Action plan id"
);
typed_id!(
    /// Id of a follow-up checkpoint.
    CheckpointId, "Checkpoint id"
);
typed_id!(
    /// Id of a person at a partner organisation.
    ContactId, "Contact id"
);
typed_id!(
    /// Id of a contact's part in a cohort or session.
    ParticipationId, "Participation id"
);
typed_id!(
    /// Id of a message in the outbox.
    MessageId, "Message id"
);
typed_id!(
    /// Id of an exchange rate.
    ExchangeRateId, "Exchange rate id"
);
typed_id!(
    /// Id of a budget line or an expense (one table: both are costs).
    CostId, "Cost id"
);
typed_id!(
    /// Id of a trainee's language certificate.
    LanguageCertificateId, "Language certificate id"
);
typed_id!(
    /// Id of a trainee's consent to one purpose.
    ConsentId, "Consent id"
);
typed_id!(
    /// Id of one entry of the record of what partners' liaisons read.
    DisclosureId, "Disclosure id"
);

/// A path parameter holding an integer id: `id`, say, described as "Partner id".
pub fn id_parameter(name: &str, label: &str) -> utoipa::openapi::path::Parameter {
    utoipa::openapi::path::ParameterBuilder::new()
        .name(name)
        .parameter_in(utoipa::openapi::path::ParameterIn::Path)
        .description(Some(label))
        .required(utoipa::openapi::Required::True)
        .schema(Some(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::new(
                    utoipa::openapi::schema::Type::Integer,
                ))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                ))),
        ))
        .build()
}
