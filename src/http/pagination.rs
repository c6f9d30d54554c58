//! Collections: `limit` with `offset` or `cursor` paging, `{"items", "total", "total_exact",
//! "limit", "offset", "next_cursor"}`, and a `Link: <…>; rel="next"` header while more items
//! remain.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::resource::list::{Cursor, MAX_OFFSET, Slice, Start};

pub use crate::resource::Paging;

/// Paging parameters, shared by every collection.
#[derive(Debug, Clone, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items to return (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// How many items to skip (0 to 10,000; default 0). To page deeper, follow `cursor`.
    #[param(minimum = 0, maximum = 10_000, default = 0)]
    pub offset: Option<i64>,
    /// Where the page starts: the `next_cursor` of the page before (also in its `Link` header).
    /// Keep the other parameters of the request it came from; not with `offset`.
    #[param(max_length = 4096)]
    pub cursor: Option<String>,
}

impl PageParams {
    /// Check the bounds: 400 `invalid_query` outside them.
    pub fn paging(self) -> Result<Paging, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::bad_request(
                "invalid_query",
                "limit must be between 1 and 200",
            ));
        }
        let start = match (self.offset, self.cursor) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "give either offset or cursor, not both: the cursor already says where the page starts",
                ));
            }
            (_, Some(cursor)) => Start::After(Cursor::decode(&cursor)?),
            (offset, None) => {
                let offset = offset.unwrap_or(0);
                if offset < 0 {
                    return Err(ApiError::bad_request("invalid_query", "offset must not be negative"));
                }
                if offset > MAX_OFFSET {
                    return Err(ApiError::bad_request(
                        "invalid_query",
                        format!(
                            "offset may be at most {MAX_OFFSET}; to page deeper, follow the Link header \
                             (rel=\"next\") or pass the previous page's next_cursor as cursor"
                        ),
                    ));
                }
                Start::Offset(offset)
            }
        };
        Ok(Paging {
            limit,
            start,
            counted: true,
        })
    }
}

/// One page of a collection.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page, in the requested order.
    pub items: Vec<T>,
    /// How many items match the filters in all: exactly when `total_exact` is true; otherwise
    /// there are at least this many (totals are counted to 1,000, so that a page of a large list
    /// costs what a page of a small one does).
    pub total: i64,
    /// Whether `total` is the exact count.
    pub total_exact: bool,
    /// The page size used.
    pub limit: i64,
    /// How many items come before this page.
    pub offset: i64,
    /// Where the next page starts (pass it as `cursor`); absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T: Serialize> Page<T> {
    /// The page of a list, of pages of `limit` items.
    pub fn new(slice: Slice<T>, limit: i64) -> Self {
        Self {
            items: slice.items,
            total: slice.total,
            total_exact: slice.total_exact,
            limit,
            offset: slice.offset,
            next_cursor: slice.next.as_ref().map(Cursor::encode),
        }
    }

    /// `200 OK` with the page, and `Link: rel="next"` when more remain.
    pub fn respond(self, req: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        if let Some(cursor) = &self.next_cursor {
            response.insert_header((header::LINK, next_link(req, cursor)));
        }
        response.json(self)
    }
}

/// The request's own path and query, starting at `cursor`.
fn next_link(req: &HttpRequest, cursor: &str) -> String {
    let pairs = url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(key, _)| key != "offset" && key != "cursor")
        .collect::<Vec<_>>();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    query.append_pair("cursor", cursor);
    format!("<{}?{}>; rel=\"next\"", req.path(), query.finish())
}
