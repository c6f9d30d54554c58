//! Representations other than JSON: which one a client asked for (`?format=`, or `Accept`), every
//! row of a list as streamed CSV, and a report's table as CSV or an Excel workbook.
//!
//! A list's CSV is read a page at a time through the list's own query (the same filters, order
//! and role scoping as its JSON pages, with its cursor between pages), and the next page is read
//! while one is sent: the export starts as soon as its first page is read, and the server holds
//! two pages however many rows there are. Pages are read one after another, not in
//! one transaction: a row changed while a long export runs is written as it was when its page
//! was read.

use actix_web::http::header::{self, Accept, Header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::{Db, DbConnection};
use crate::disclosures::{self, Held};
use crate::error::{ApiError, ApiResult};
use crate::http::pagination::Page;
use crate::resource::list::{Paging, Slice, Start};
use crate::tabular::{self, Columns, Table, csv::CsvChunks};

/// Rows read for each chunk of a CSV export.
const EXPORT_PAGE: i64 = 500;

pub use crate::tabular::Format;

/// How to answer: `?format=` for a link typed in a browser or a spreadsheet's "from web", else
/// the `Accept` header.
#[derive(Debug, Clone, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `json`, `csv` or `xlsx` (an Excel workbook). Overrides `Accept` (`text/csv`,
    /// `application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`).
    #[param(inline)]
    pub format: Option<Format>,
    /// With CSV: start with a UTF-8 byte-order mark, so that Excel reads the accents right when
    /// it opens the file directly. Ignored otherwise.
    pub bom: Option<bool>,
}

/// The representations of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListFormat {
    /// `application/json`: a page (the default).
    Json,
    /// `text/csv`: every matching row.
    Csv,
}

/// How a list is to answer: `?format=` for a link typed in a browser or a spreadsheet's "from
/// web", else the `Accept` header.
#[derive(Debug, Clone, Deserialize, IntoParams, validator::Validate)]
#[into_params(parameter_in = Query)]
pub struct ListFormatParams {
    /// `json` (a page) or `csv` (every matching row, not one page). Overrides `Accept`
    /// (`text/csv`).
    #[param(inline)]
    pub format: Option<ListFormat>,
    /// With CSV: start with a UTF-8 byte-order mark, so that Excel reads the accents right when
    /// it opens the file directly. Ignored for JSON.
    pub bom: Option<bool>,
}

impl ListFormatParams {
    /// The representation to answer in: JSON or CSV (406 when the client accepts neither).
    pub fn choose(&self, req: &HttpRequest) -> ApiResult<Chosen> {
        let format = self.format.map(|format| match format {
            ListFormat::Json => Format::Json,
            ListFormat::Csv => Format::Csv,
        });
        FormatParams { format, bom: self.bom }.choose(req, &[Format::Json, Format::Csv])
    }
}

/// The representation chosen for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// JSON.
    Json,
    /// CSV, with a byte-order mark or not.
    Csv {
        /// Whether to write the byte-order mark first.
        bom: bool,
    },
    /// An Excel workbook.
    Xlsx,
}

impl Chosen {
    /// Whether the answer is written from tables (CSV, Excel) rather than from the JSON type: a
    /// report builds its tables only then (at thousands of lines they cost as much as the JSON).
    pub fn tabular(&self) -> bool {
        !matches!(self, Chosen::Json)
    }
}

impl FormatParams {
    /// The representation to answer in, of those `offered` (JSON first): `?format=` when given,
    /// else the first of the client's `Accept` ranking that is offered. 406 naming the offered
    /// types when the client accepts none of them.
    pub fn choose(&self, req: &HttpRequest, offered: &[Format]) -> ApiResult<Chosen> {
        let format = match self.format {
            Some(format) => Some(format),
            None => from_accept(req, offered),
        };
        let format = format
            .filter(|format| offered.contains(format))
            .ok_or_else(|| not_acceptable(offered))?;
        Ok(match format {
            Format::Json => Chosen::Json,
            Format::Csv => Chosen::Csv {
                bom: self.bom.unwrap_or(false),
            },
            Format::Xlsx => Chosen::Xlsx,
        })
    }
}

/// The first offered format in the client's `Accept` ranking: JSON when there is no (readable)
/// `Accept`, or for `*/*`; `None` when the client accepts none of those offered.
fn from_accept(req: &HttpRequest, offered: &[Format]) -> Option<Format> {
    let Ok(accept) = Accept::parse(req) else {
        return Some(Format::Json);
    };
    if accept.is_empty() {
        return Some(Format::Json);
    }
    let types: Vec<&str> = offered.iter().map(|format| format.media_type()).collect();
    first_accepted(&accept, &types).and_then(|at| offered.get(at).copied())
}

/// Which of the media types `offered` the client ranks first in its `Accept` header, by index (a
/// range such as `*/*` or `application/*` picks the first offered it covers); `None` without a
/// readable `Accept`, or when it accepts none of them. For an operation whose other
/// representations are not a table (a certificate's PDF beside its JSON), which decides itself
/// what a missing header means.
pub fn accepted(req: &HttpRequest, offered: &[&str]) -> Option<usize> {
    let accept = Accept::parse(req).ok()?;
    first_accepted(&accept, offered)
}

fn first_accepted(accept: &Accept, offered: &[&str]) -> Option<usize> {
    accept.ranked().into_iter().find_map(|mime| {
        let (kind, subtype) = (mime.type_().as_str(), mime.subtype().as_str());
        offered.iter().position(|media_type| {
            let (want_kind, want_subtype) = media_type.split_once('/').unwrap_or_default();
            (kind == "*" || kind == want_kind) && (subtype == "*" || subtype == want_subtype)
        })
    })
}

fn not_acceptable(offered: &[Format]) -> ApiError {
    let types = offered.iter().map(|format| format.media_type()).collect::<Vec<_>>();
    let names = offered
        .iter()
        .map(|format| {
            serde_json::to_value(format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        })
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    ApiError::NotAcceptable(format!(
        "this operation answers {} (ask with Accept, or format={})",
        types.join(", "),
        names.join(" or format=")
    ))
}

/// Where an export's next page comes from: the list's own function, called with the caller, the
/// parent and the filters of the request.
pub trait Pages<T>: Fn(&mut DbConnection, Paging) -> ApiResult<Slice<T>> + Clone + Send + 'static {}

impl<T, F> Pages<T> for F where F: Fn(&mut DbConnection, Paging) -> ApiResult<Slice<T>> + Clone + Send + 'static {}

/// The paging of an export: large pages, no totals.
pub fn export_paging(start: Start) -> Paging {
    Paging {
        limit: EXPORT_PAGE,
        start,
        counted: false,
    }
}

/// A list's answer in the representation `chosen`: a page of JSON as `paging` asks, or every
/// row from where it starts as streamed CSV. `authorise` checks the caller on the connection of
/// the first read and gives what `pages` needs from it (the caller, for role scoping); `pages`
/// reads one page of the list with it, for the JSON page and for each CSV page alike, so both
/// hold the same rows.
pub async fn list_response<T, C, A, P>(
    db: web::Data<Db>,
    req: &HttpRequest,
    chosen: Chosen,
    name: &str,
    paging: Paging,
    authorise: A,
    pages: P,
) -> ApiResult<HttpResponse>
where
    T: Serialize + ToSchema + Send + 'static,
    C: Send + Sync + 'static,
    A: FnOnce(&mut DbConnection) -> ApiResult<C> + Send + 'static,
    P: Fn(&mut DbConnection, &C, Paging) -> ApiResult<Slice<T>> + Clone + Send + 'static,
{
    let bom = match chosen {
        Chosen::Csv { bom } => Some(bom),
        Chosen::Json | Chosen::Xlsx => None,
    };
    // An export holds every row from where the request starts (its cursor or offset), whatever
    // its limit.
    let limit = paging.limit;
    let first = match bom {
        Some(_) => export_paging(paging.start),
        None => paging,
    };
    let export = bom.is_some();
    let (context, slice, held) = db
        .run({
            let pages = pages.clone();
            move |conn| {
                let context = authorise(conn)?;
                // A page of JSON records what it gives as it is read; an export's first page is
                // recorded while its second is read (see `csv_list`).
                let (slice, held) = if export {
                    disclosures::held(|| pages(conn, &context, first))
                } else {
                    (pages(conn, &context, first), Held::default())
                };
                Ok((context, slice?, held))
            }
        })
        .await?;
    let context = std::sync::Arc::new(context);
    match bom {
        None => {
            debug_assert!(held.is_empty(), "a page of JSON writes its record as it is read");
            Ok(Page::new(slice, limit).respond(req))
        }
        Some(bom) => csv_list(db, name, bom, (slice, held), move |conn: &mut DbConnection, paging| {
            pages(conn, &context, paging)
        }),
    }
}

/// `200 OK` with every row of a list as CSV, streamed: `first` is the list's first page (read
/// before answering, so that a bad parent or filter still answers with its error) with its
/// record of disclosures not yet written, `next` reads each page after it. The header holds
/// `T`'s JSON field names.
///
/// A page leaves only once its record is written ([`disclosures::held`]), and the next page is
/// read while it is sent. On PostgreSQL the record is written beside that read, on another
/// connection; on SQLite, just before it on the same one, since a commit from another connection
/// empties a connection's page cache ([`Db::writes_keep_other_caches`]). The server holds at
/// most the page being sent and the one being read.
pub fn csv_list<T, F>(
    db: web::Data<Db>,
    name: &str,
    bom: bool,
    (first, first_held): (Slice<T>, Held),
    next: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize + ToSchema + Send + 'static,
    F: Pages<T>,
{
    let columns = Columns::of::<T>();
    let mut chunks = CsvChunks::new();
    chunks.header(&columns.names())?;
    let head = write_rows(&mut chunks, &columns, &first.items)?;
    let head = if bom { [tabular::csv::BOM, &head].concat() } else { head };
    /// A page's record being written, then the next page being read (none after the last).
    type Written = tokio::sync::oneshot::Receiver<ApiResult<()>>;
    type Reading<T> = actix_web::rt::task::JoinHandle<ApiResult<Option<(Slice<T>, Held)>>>;
    struct State<T, F> {
        db: web::Data<Db>,
        columns: Columns,
        chunks: CsvChunks,
        pages: F,
        /// The first chunk, until it is sent.
        head: Option<Vec<u8>>,
        written: Option<Written>,
        reading: Option<Reading<T>>,
    }
    impl<T: Send + 'static, F: Pages<T>> State<T, F> {
        /// Write `held` (the record of the page about to be sent), say how that went, and read
        /// the page at `start` with its record held back.
        fn advance(&mut self, held: Held, start: Option<Start>) {
            let (said, written) = tokio::sync::oneshot::channel();
            self.written = Some(written);
            let pages = self.pages.clone();
            let read = move |conn: &mut DbConnection| -> ApiResult<Option<(Slice<T>, Held)>> {
                let Some(start) = start else { return Ok(None) };
                let (slice, held) = disclosures::held(|| pages(conn, export_paging(start)));
                Ok(Some((slice?, held)))
            };
            let db = self.db.clone();
            self.reading = Some(if db.writes_keep_other_caches() {
                // PostgreSQL: the record and the next page side by side, on two connections.
                let writer = db.clone();
                actix_web::rt::spawn(async move {
                    let _ = said.send(writer.run(move |conn| held.write(conn)).await);
                });
                actix_web::rt::spawn(async move { db.run(read).await })
            } else {
                // SQLite: the record, then the next page, on the connection that wrote it.
                actix_web::rt::spawn(async move {
                    db.run(move |conn| {
                        if let Err(failed) = held.write(conn) {
                            // The page waiting for it is not sent: its reader answers the failure.
                            let _ = said.send(Err(failed));
                            return Ok(None);
                        }
                        let _ = said.send(Ok(()));
                        read(conn)
                    })
                    .await
                })
            });
        }
    }
    let mut state: State<T, F> = State {
        db,
        columns,
        chunks,
        pages: next,
        head: Some(head),
        written: None,
        reading: None,
    };
    state.advance(first_held, first.next.map(Start::After));
    // Each poll of the body sends one page: a client that reads slowly holds back the reading.
    let body = futures_util::stream::try_unfold(state, |mut state| async move {
        let chunk = match state.head.take() {
            Some(head) => head,
            None => {
                let Some(reading) = state.reading.take() else {
                    return Ok(None);
                };
                let Some((slice, held)) = reading.await.map_err(ApiError::internal)?? else {
                    return Ok(None);
                };
                let chunk = write_rows(&mut state.chunks, &state.columns, &slice.items)?;
                state.advance(held, slice.next.map(Start::After));
                chunk
            }
        };
        if let Some(written) = state.written.take() {
            written.await.map_err(ApiError::internal)??;
        }
        Ok::<_, ApiError>(Some((Bytes::from(chunk), state)))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header(attachment(name, "csv"))
        .streaming(body))
}

fn write_rows<T: Serialize>(chunks: &mut CsvChunks, columns: &Columns, rows: &[T]) -> ApiResult<Vec<u8>> {
    for row in rows {
        let value = serde_json::to_value(row).map_err(ApiError::internal)?;
        chunks.row(&columns.cells(&value))?;
    }
    chunks.take()
}

/// `Content-Disposition: attachment` with a file name for a download.
fn attachment(name: &str, extension: &str) -> (header::HeaderName, String) {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}.{extension}\""),
    )
}

/// `200 OK` with a report: `json` as JSON, or its sheets as CSV (the first sheet) or a workbook.
pub fn report<J: Serialize>(
    chosen: Chosen,
    name: &str,
    json: &J,
    sheets: &[(&str, &Table)],
) -> ApiResult<HttpResponse> {
    render(chosen, name, json, sheets).map(Rendered::respond)
}

/// `200 OK` with a report that can run to megabytes, written on the blocking pool (no HTTP worker
/// waits for it): JSON past one chunk a chunk at a time while it is sent, so that the server
/// holds a few chunks of it rather than the whole answer and the client reads the first lines
/// while the last are written; CSV or a workbook whole, as [`render`] writes them. The report is
/// dropped there too.
pub async fn large_report<J>(
    chosen: Chosen,
    name: &'static str,
    json: J,
    sheets: Vec<(&'static str, Table)>,
) -> ApiResult<HttpResponse>
where
    J: Serialize + Send + 'static,
{
    if chosen != Chosen::Json {
        let rendered = web::block(move || {
            let sheets: Vec<(&str, &Table)> = sheets.iter().map(|(name, table)| (*name, table)).collect();
            render(chosen, name, &json, &sheets)
        })
        .await
        .map_err(ApiError::internal)??;
        return Ok(rendered.respond());
    }
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<ApiResult<Bytes>>(JSON_CHUNKS_AHEAD);
    actix_web::rt::task::spawn_blocking(move || {
        let mut writer = ChunkWriter {
            sender,
            chunk: Vec::with_capacity(JSON_CHUNK),
        };
        let written = serde_json::to_writer(&mut writer, &json).map_err(ApiError::internal);
        // A client gone away closed the channel: nobody to tell.
        let _ = match written.and_then(|()| writer.send()) {
            Ok(()) => Ok(()),
            Err(error) => writer.sender.blocking_send(Err(error)),
        };
    });
    // The answer starts once its first chunk is written, with it: a report that fits in one
    // chunk (most do) is answered whole, with its length, and the headers never leave alone in a
    // small packet that waits for the client's delayed acknowledgement (40 ms, Nagle's algorithm).
    let first = chunks
        .recv()
        .await
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the report's writer stopped")))??;
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CONTENT_TYPE, "application/json"));
    if first.len() < JSON_CHUNK {
        return Ok(response.body(first));
    }
    let rest = futures_util::stream::unfold(chunks, |mut chunks| async move {
        chunks.recv().await.map(|chunk| (chunk, chunks))
    });
    Ok(response.streaming(futures_util::stream::once(async { Ok(first) }).chain(rest)))
}

/// The size of a chunk of a large JSON report, and how many chunks wait for the client at most.
const JSON_CHUNK: usize = 256 * 1024;
const JSON_CHUNKS_AHEAD: usize = 4;

/// Where [`large_report`] writes JSON: into a chunk, sent once full. A client gone away fails
/// the next send, which stops the writing.
struct ChunkWriter {
    sender: tokio::sync::mpsc::Sender<ApiResult<Bytes>>,
    chunk: Vec<u8>,
}

impl ChunkWriter {
    /// Send what the chunk holds.
    fn send(&mut self) -> ApiResult<()> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(JSON_CHUNK));
        self.sender
            .blocking_send(Ok(Bytes::from(chunk)))
            .map_err(|_| ApiError::internal(anyhow::anyhow!("the client went away")))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.chunk.extend_from_slice(bytes);
        if self.chunk.len() >= JSON_CHUNK {
            self.send()
                .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A report written whole in the representation chosen, not yet sent.
#[derive(Debug)]
struct Rendered {
    content_type: &'static str,
    attachment: Option<(header::HeaderName, String)>,
    body: Vec<u8>,
}

impl Rendered {
    /// `200 OK` with it.
    fn respond(self) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response.insert_header((header::CONTENT_TYPE, self.content_type));
        if let Some(attachment) = self.attachment {
            response.insert_header(attachment);
        }
        response.body(self.body)
    }
}

/// A report written as [`report`] answers it: `json` as JSON, or its sheets as CSV (the first
/// sheet) or a workbook.
fn render<J: Serialize>(chosen: Chosen, name: &str, json: &J, sheets: &[(&str, &Table)]) -> ApiResult<Rendered> {
    Ok(match chosen {
        Chosen::Json => Rendered {
            content_type: "application/json",
            attachment: None,
            body: serde_json::to_vec(json).map_err(ApiError::internal)?,
        },
        Chosen::Csv { bom } => {
            // Written from the first table where it is (not a copy of it).
            let none = Table::default();
            let first = sheets.first().map_or(&none, |(_, table)| *table);
            Rendered {
                content_type: "text/csv; charset=utf-8",
                attachment: Some(attachment(name, "csv")),
                body: tabular::csv::table(first, bom)?,
            }
        }
        Chosen::Xlsx => Rendered {
            content_type: tabular::xlsx::MEDIA_TYPE,
            attachment: Some(attachment(name, "xlsx")),
            body: tabular::xlsx::workbook(sheets)?,
        },
    })
}
