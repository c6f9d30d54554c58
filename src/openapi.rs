//! The vocabulary of the OpenAPI document: the response sets, headers and parameters that the
//! standard operations (`http::crud`) and the handlers name. The document itself is put
//! together above every route, in `app::docs`.

use actix_web::http::Method;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses};

use crate::error::Problem;

/// Declare a set of problem+json error responses for `#[utoipa::path(responses(...))]`.
macro_rules! problem_responses {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $status:literal: $description:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(IntoResponses)]
        pub enum $name {
            $(
                #[doc = $description]
                #[response(status = $status, description = $description, content_type = "application/problem+json")]
                $variant(Problem),
            )+
        }
    };
}

problem_responses!(
    /// Errors any read can answer.
    ReadErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "A query or path parameter that cannot be parsed",
        NotFound = 404: "No such object",
    }
);

problem_responses!(
    /// Errors of a read that can also answer a document to print (a certificate as PDF): a
    /// read's, and 409 when what it would print no longer stands.
    PrintErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "A query or path parameter that cannot be parsed",
        NotFound = 404: "No such object",
        Revoked = 409: "Asked for the PDF of a certificate that was revoked (`certificate_revoked`, with the day)",
    }
);

problem_responses!(
    /// Errors a list or a report can answer: a read's, and 406 for a representation it does not
    /// offer.
    ListErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "A query or path parameter that cannot be parsed",
        NotFound = 404: "No such object",
        NotAcceptable = 406: "None of the representations the client accepts (`Accept`, `format`) is offered",
    }
);

problem_responses!(
    /// Errors a report summed on request can answer: a list's, and sums past 64 bits or more
    /// lines than a report gives.
    ReportErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "A query or path parameter that cannot be parsed",
        NotFound = 404: "No such object",
        NotAcceptable = 406: "None of the representations the client accepts (`Accept`, `format`) is offered",
        Conflict = 409: "The amounts in scope sum past 64 bits (`amounts_too_large`)",
        Invalid = 422: "The report would have more lines than one report gives (`too_many_lines`); narrow it",
    }
);

problem_responses!(
    /// Errors a create can answer.
    WriteErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "Malformed JSON, a wrong type or an unknown field",
        NotFound = 404: "The parent object does not exist",
        Conflict = 409: "A duplicate code or another conflict",
        TooLarge = 413: "The body is larger than the limit",
        NotJson = 415: "The body is not JSON",
        Invalid = 422: "Invalid fields, each named by a JSON pointer",
    }
);

problem_responses!(
    /// Errors a change (PATCH) can answer.
    ChangeErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "Malformed JSON, a wrong type or an unknown field",
        NotFound = 404: "No such object",
        Conflict = 409: "A duplicate code or another conflict",
        Stale = 412: "`If-Match` names an older version",
        TooLarge = 413: "The body is larger than the limit",
        NotJson = 415: "The body is not JSON",
        Invalid = 422: "Invalid fields, each named by a JSON pointer",
    }
);

problem_responses!(
    /// Errors a delete can answer.
    DeleteErrors {
        Unauthorized = 401: "Not signed in, or the token is not valid",
        Forbidden = 403: "The caller's role may not do this",
        BadRequest = 400: "A path parameter that cannot be parsed",
        NotFound = 404: "No such object",
        InUse = 409: "Other records still refer to it",
        Stale = 412: "`If-Match` names an older version",
    }
);

problem_responses!(
    /// Errors of an operation that answers without signing in (a trainee's link, certificate
    /// verification).
    PublicErrors {
        BadRequest = 400: "Malformed JSON, a wrong type or an unknown field",
        NotFound = 404: "The link is not valid (unknown, used or replaced, or its round has closed)",
        TooLarge = 413: "The body is larger than the limit",
        NotJson = 415: "The body is not JSON",
        Invalid = 422: "Invalid answers, each named by a JSON pointer",
        TooMany = 429: "Too many requests from this address; see `Retry-After`",
    }
);

problem_responses!(
    /// Errors of a JSON body, for the sign-in operations, which have no object to find or conflict with.
    BodyErrors {
        BadRequest = 400: "Malformed JSON, a wrong type or an unknown field",
        TooLarge = 413: "The body is larger than the limit",
        NotJson = 415: "The body is not JSON",
        Invalid = 422: "Invalid fields, each named by a JSON pointer",
    }
);

/// The optional `If-Match` header of changes and deletes.
#[derive(IntoParams)]
#[into_params(names("If-Match"), parameter_in = Header)]
#[expect(dead_code, reason = "only describes the header; handlers read it through `IfMatch`")]
pub struct IfMatchHeader(
    /// The `ETag` last read, e.g. `"3"`; the request fails with 412 if the object changed since.
    Option<String>,
);

/// The responses of a standard operation on a record kind `R`, worded from its noun: what the
/// generic operations of `http::crud` document, and what a hand-written handler of the
/// same shape names in `responses(...)`.
macro_rules! record_responses {
    ($(#[$meta:meta])* $name:ident<$r:ident: $bound:path>, $errors:ty, |$noun:ident| $success:expr) => {
        $(#[$meta])*
        pub struct $name<$r>(std::marker::PhantomData<$r>);

        impl<$r: $bound + utoipa::ToSchema> IntoResponses for $name<$r> {
            fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
                let $noun = <$r as crate::resource::Record>::NOUN;
                let (status, success) = $success;
                let mut responses = <$errors as IntoResponses>::responses();
                responses.insert(status.to_string(), success.build().into());
                responses
            }
        }
    };
}

record_responses!(
    /// `200` with the record and its `ETag`, or the errors of a read.
    Found<R: crate::resource::Record>, ReadErrors,
    |noun| (200, json_response(format!("The {noun}"), &R::name())
        .header("ETag", text_header(&format!("The {noun}'s version, for `If-Match`"))))
);

record_responses!(
    /// `200` with the changed record and its new `ETag`, or the errors of a change.
    Changed<R: crate::resource::Record>, ChangeErrors,
    |noun| (200, json_response(format!("The changed {noun}"), &R::name()).header("ETag", text_header("Its new version")))
);

record_responses!(
    /// `201 Created` with the new record, its `Location` and `ETag`, or the errors of a create.
    Created<R: crate::resource::Create>, WriteErrors,
    |noun| (201, json_response(<R as crate::resource::Create>::CREATED.to_owned(), &R::name())
        .header("Location", text_header(&format!("The new {noun}'s URL")))
        .header("ETag", text_header("Its version")))
);

/// `204 No Content` once deleted, or the errors of a delete.
pub struct Deleted;

impl IntoResponses for Deleted {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        let mut responses = <DeleteErrors as IntoResponses>::responses();
        responses.insert(
            "204".to_owned(),
            ResponseBuilder::new().description("Deleted").build().into(),
        );
        responses
    }
}

/// A response with a JSON body of the schema named `schema`.
pub fn json_response(description: String, schema: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name(schema)))
            .build(),
    )
}

/// `content` with a text body of `media_type` (a CSV file), described by `description`.
pub fn text_content(description: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .description(Some(description)),
        ))
        .build()
}

/// A documented response header holding a string.
pub fn text_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(SchemaType::new(Type::String))))
        .description(Some(description))
        .build()
}

pub use crate::ids::id_parameter;

/// The optional `Idempotency-Key` header of a create that may be retried.
#[derive(IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
#[expect(
    dead_code,
    reason = "only describes the header; handlers read it through `IdempotencyKey`"
)]
pub struct IdempotencyHeader(
    /// Makes a retry with the same key and body return the first answer
    #[param(min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    Option<String>,
);

/// The operations of a documented path, with their methods (those this API uses).
pub fn operations_of(
    item: &utoipa::openapi::path::PathItem,
) -> impl Iterator<Item = (Method, &utoipa::openapi::path::Operation)> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|operation| (method, operation)))
}
