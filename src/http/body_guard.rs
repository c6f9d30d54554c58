//! What a request body may cost before a handler sees it: time, and memory when compressed.
//!
//! - **Time.** A client that announces a body and then sends it slowly (or never) would hold its
//!   connection, and a worker's attention, for as long as it liked. The body must arrive within
//!   `TPMS_BODY_TIMEOUT_SECS` of the first read; after that the read fails, the request is answered
//!   408 `body_timeout` and the connection is closed.
//! - **Compression.** actix unpacks a gzip body a network chunk at a time, and a 16 KiB chunk of
//!   gzip can hold gigabytes, all unpacked before any size limit is checked. Here a gzip body is
//!   unpacked in slices of at most [`SLICE`] bytes, each handed on before the next is made, so
//!   the extractors' limits (`TPMS_MAX_BODY_BYTES`, the import's) stop it with 413 at the first
//!   slice past them, and memory never holds more than the limit. Any other `Content-Encoding`
//!   is 415 `unsupported_media_type`, naming it: read as if plain, it would be misread.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, web};
use flate2::{Decompress, FlushDecompress, Status};
use futures_util::Stream;

use crate::error::ApiError;

/// The most a gzip body is unpacked into at one step.
pub const SLICE: usize = 16 * 1024;

/// How long a body may take, given to the middleware as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// The problem a payload error is, for every reader of bodies: late is 408, corrupt gzip 400.
pub fn problem(error: &PayloadError, timeout: Duration) -> ApiError {
    match error {
        PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut => ApiError::BodyTimeout {
            seconds: timeout.as_secs(),
        },
        PayloadError::EncodingCorrupted => ApiError::bad_request(
            "malformed_body",
            "the body is not valid gzip, as its Content-Encoding says",
        ),
        PayloadError::Overflow => ApiError::PayloadTooLarge { limit: 0 },
        other => ApiError::bad_request("malformed_body", format!("the body could not be read: {other}")),
    }
}

/// The encodings a body may be sent in, as `Content-Encoding` names them.
enum Encoding {
    Identity,
    Gzip,
}

fn encoding_of(value: Option<&HeaderValue>) -> Result<Encoding, ApiError> {
    let Some(value) = value else {
        return Ok(Encoding::Identity);
    };
    let name = value.to_str().unwrap_or_default().trim().to_ascii_lowercase();
    match name.as_str() {
        "" | "identity" => Ok(Encoding::Identity),
        "gzip" | "x-gzip" => Ok(Encoding::Gzip),
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "a body in Content-Encoding {:?} cannot be read: send it plain (identity) or as gzip",
            value.to_str().unwrap_or("(not text)")
        ))),
    }
}

/// The time a body may take on this server.
pub fn timeout_of(req: &actix_web::HttpRequest) -> Duration {
    req.app_data::<web::Data<BodyTimeout>>()
        .map_or(DEFAULT_TIMEOUT, |t| t.0)
}

/// The time a body may take when the app does not say (tests of parts of the app).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Middleware: bound the time a body takes and unpack gzip bodies a slice at a time (see the
/// module's notes). Requests without a body pass untouched.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let timeout = timeout_of(req.request());
    let encoding = match encoding_of(req.headers().get(CONTENT_ENCODING)) {
        Ok(encoding) => encoding,
        Err(problem) => return Err(problem.into()),
    };
    let gunzip = matches!(encoding, Encoding::Gzip);
    if gunzip {
        // The extractors read what this hands on, which is no longer gzip, and of a length the
        // header does not give.
        req.headers_mut().remove(CONTENT_ENCODING);
        req.headers_mut().remove(CONTENT_LENGTH);
    }
    let inner = req.take_payload();
    let guarded = Guarded {
        inner,
        gunzip: gunzip.then(|| Decompress::new(false)),
        header: gunzip.then(BytesMut::new),
        pending: Bytes::new(),
        timeout,
        deadline: None,
        ended: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(guarded),
    });
    next.call(req).await
}

/// The request's payload, read against a deadline and unpacked when gzip.
struct Guarded {
    inner: Payload,
    /// The raw deflate state of a gzip body (its header is read by [`Guarded::header`] first).
    gunzip: Option<Decompress>,
    /// A gzip body's bytes until its header is whole; `None` once read (or for a plain body).
    header: Option<BytesMut>,
    /// Compressed bytes received and not yet unpacked.
    pending: Bytes,
    timeout: Duration,
    /// Set at the first read, so that a handler that never reads the body is not timed.
    deadline: Option<Pin<Box<actix_web::rt::time::Sleep>>>,
    /// The compressed stream has ended (the gzip trailer was reached).
    ended: bool,
}

fn corrupt() -> PayloadError {
    PayloadError::EncodingCorrupted
}

impl Guarded {
    /// Unpack up to [`SLICE`] bytes from `pending`. `Ok(None)` when it needs more input.
    fn unpack(&mut self) -> Result<Option<Bytes>, PayloadError> {
        if let Some(header) = &mut self.header {
            header.extend_from_slice(&self.pending);
            self.pending = Bytes::new();
            let Some(length) = gzip_header_length(header)? else {
                return Ok(None);
            };
            let rest = header.split_off(length).freeze();
            self.header = None;
            self.pending = rest;
        }
        let Some(decoder) = &mut self.gunzip else {
            return Ok(None);
        };
        if self.ended || self.pending.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(SLICE);
        let before = decoder.total_in();
        let status = decoder
            .decompress_vec(&self.pending, &mut out, FlushDecompress::None)
            .map_err(|_| corrupt())?;
        let used = usize::try_from(decoder.total_in() - before).unwrap_or(usize::MAX);
        let _ = self.pending.split_to(used.min(self.pending.len()));
        if status == Status::StreamEnd {
            // What follows the deflate data is the 8-byte trailer (checksum and length).
            self.ended = true;
        }
        Ok((!out.is_empty()).then(|| Bytes::from(out)))
    }
}

/// The length of the gzip header at the start of `bytes`, once it is all there (RFC 1952 §2.3).
fn gzip_header_length(bytes: &[u8]) -> Result<Option<usize>, PayloadError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    if bytes.len() < 10 {
        return Ok(None);
    }
    if bytes[0] != 0x1f || bytes[1] != 0x8b || bytes[2] != 8 {
        return Err(corrupt());
    }
    let flags = bytes[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let Some(length) = bytes.get(at..at + 2) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([length[0], length[1]]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(end) = bytes.get(at..).and_then(|rest| rest.iter().position(|b| *b == 0)) else {
                return Ok(None);
            };
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((bytes.len() >= at).then_some(at))
}

impl Stream for Guarded {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let timeout = this.timeout;
        let deadline = this
            .deadline
            .get_or_insert_with(|| Box::pin(actix_web::rt::time::sleep(timeout)));
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "the body did not arrive in time",
            )))));
        }
        loop {
            match this.unpack() {
                Ok(Some(slice)) => return Poll::Ready(Some(Ok(slice))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) if this.gunzip.is_some() => {
                    if this.ended {
                        // The trailer, and nothing after it that matters.
                        continue;
                    }
                    let mut joined = BytesMut::from(&this.pending[..]);
                    joined.extend_from_slice(&chunk);
                    this.pending = joined.freeze();
                }
                Poll::Ready(None) if this.gunzip.is_some() && !this.ended => {
                    return Poll::Ready(Some(Err(corrupt())));
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap_or_default();
        encoder.finish().unwrap_or_default()
    }

    fn unpacked_in_slices(compressed: &[u8]) -> Result<Vec<usize>, PayloadError> {
        let mut guarded = Guarded {
            inner: Payload::None,
            gunzip: Some(Decompress::new(false)),
            header: Some(BytesMut::new()),
            pending: Bytes::copy_from_slice(compressed),
            timeout: Duration::from_secs(1),
            deadline: None,
            ended: false,
        };
        let mut slices = Vec::new();
        while let Some(slice) = guarded.unpack()? {
            slices.push(slice.len());
        }
        if !guarded.ended {
            return Err(corrupt());
        }
        Ok(slices)
    }

    #[test]
    fn a_bomb_is_unpacked_a_slice_at_a_time() {
        let bomb = gzip(&vec![0_u8; 8 * 1024 * 1024]);
        assert!(bomb.len() < 16 * 1024, "{} bytes compressed", bomb.len());
        let slices = unpacked_in_slices(&bomb).unwrap_or_default();
        assert!(slices.iter().all(|n| *n <= SLICE));
        assert_eq!(slices.iter().sum::<usize>(), 8 * 1024 * 1024);
    }

    #[test]
    fn a_gzip_header_with_a_name_is_skipped_and_garbage_is_corrupt() {
        let mut named = gzip(b"{\"a\":1}");
        named[3] |= 8;
        named.splice(10..10, b"body.json\0".iter().copied());
        assert_eq!(unpacked_in_slices(&named).ok(), Some(vec![7]));
        assert!(unpacked_in_slices(b"not gzip at all").is_err());
    }
}
