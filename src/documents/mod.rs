//! Documents to print: a completed trainee's certificate as an A4 PDF, in Vietnamese or English.
//!
//! Rendering is pure: a document's content in, the file's bytes out, with no database and no
//! request, so the JSON API and the trainee's own pages can answer the same file. The fonts (Noto
//! Sans, SIL Open Font License, `fonts/OFL.txt`) are compiled into the binary and embedded in
//! each PDF subsetted to the glyphs it uses, with a ToUnicode map so that its text can be copied,
//! searched and read aloud, diacritics and all.

pub mod certificate;

pub use certificate::{CertificateDocument, Labels, certificate_pdf, labels};

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::certificates::CertificateContent;
use crate::config::PublicUrl;
use crate::error::{ApiError, ApiResult};
use crate::messages::Lang;

/// A certificate as the PDF to print, answered the same way to an officer
/// (`GET /api/v1/enrollments/{id}/certificate`, `Accept: application/pdf`) and to the trainee
/// through their own link. Its QR code holds the verification page's address under
/// `TPMS_PUBLIC_URL`, so a copy printed from an internal address verifies on the public site.
pub async fn certificate_response(
    content: CertificateContent,
    public: &PublicUrl,
    lang: Lang,
) -> ApiResult<HttpResponse> {
    let url = verify_url(public, &content.number, &content.code);
    let filename = pdf_filename(&content.number);
    let document = CertificateDocument::new(content, url);
    // Rendering takes a few milliseconds of CPU: off the async workers, and after the database
    // connection is back in the pool.
    let bytes = web::block(move || certificate_pdf(&document, lang))
        .await
        .map_err(|e| ApiError::internal(anyhow::Error::new(e)))?
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}\"")))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
        .insert_header((header::VARY, "Accept"))
        // The holder's name: kept by no shared cache.
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The address of the page that verifies a certificate, which its QR code holds.
pub fn verify_url(public: &PublicUrl, number: &str, code: &str) -> String {
    crate::links::verify_url(public.as_str(), number, code)
}

/// `certificate-<number>.pdf`, the number kept to letters, digits and dashes (`JICA-YL/C3/00042`
/// gives `certificate-JICA-YL-C3-00042.pdf`): a slash or a quote in a file name breaks the
/// header or the save dialog.
fn pdf_filename(number: &str) -> String {
    let kept: String = number
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' })
        .collect();
    let kept = kept.trim_matches('-');
    if kept.is_empty() {
        "certificate.pdf".to_owned()
    } else {
        format!("certificate-{kept}.pdf")
    }
}

/// Noto Sans Regular: every Vietnamese letter, precomposed, in both weights.
pub(crate) static REGULAR: &[u8] = include_bytes!("fonts/NotoSans-Regular.ttf");

/// Noto Sans Bold.
pub(crate) static BOLD: &[u8] = include_bytes!("fonts/NotoSans-Bold.ttf");
