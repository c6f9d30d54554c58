//! Collections: `limit`/`offset` paging, `{"items", "total", "limit", "offset"}`, and a
//! `Link: <…>; rel="next"` header while more items remain.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use crate::resource::Paging;

/// Paging parameters, shared by every collection.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// How many items to skip (default 0).
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

impl PageParams {
    /// Check the bounds: 400 `invalid_query` outside them.
    pub fn paging(self) -> Result<Paging, crate::error::ApiError> {
        use crate::error::ApiError;
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_query",
                "limit must be between 1 and 200",
            ));
        }
        if offset < 0 {
            return Err(ApiError::bad_request("invalid_query", "offset must not be negative"));
        }
        Ok(Paging { limit, offset })
    }
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page, in the requested order.
    pub items: Vec<T>,
    /// How many items match the filters in all.
    pub total: i64,
    /// The page size used.
    pub limit: i64,
    /// The number of items skipped.
    pub offset: i64,
}

impl<T: Serialize> Page<T> {
    /// A page of `items` out of `total`.
    pub fn new(items: Vec<T>, total: i64, paging: Paging) -> Self {
        Self {
            items,
            total,
            limit: paging.limit,
            offset: paging.offset,
        }
    }

    /// `200 OK` with the page, and `Link: rel="next"` when more remain.
    pub fn respond(self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        let shown = i64::try_from(self.items.len()).unwrap_or(i64::MAX);
        let next_offset = self.offset.saturating_add(shown);
        if shown > 0 && next_offset < self.total {
            response.insert_header((header::LINK, next_link(req, next_offset)));
        }
        response.json(self)
    }
}

/// The request's own path and query with `offset` replaced.
fn next_link(req: &HttpRequest, offset: i64) -> String {
    let pairs = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(key, _)| key != "offset")
        .collect::<Vec<_>>();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    query.append_pair("offset", &offset.to_string());
    format!("<{}?{}>; rel=\"next\"", req.path(), query.finish())
}
