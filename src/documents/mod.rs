//! Documents to print: a completed trainee's certificate as an A4 PDF, in Vietnamese or English.
//!
//! Rendering is pure: a document's content in, the file's bytes out, with no database and no
//! request, so the JSON API and the trainee's own pages can answer the same file. The fonts (Noto
//! Sans, SIL Open Font License, `fonts/OFL.txt`) are compiled into the binary and embedded in
//! each PDF subsetted to the glyphs it uses, with a ToUnicode map so that its text can be copied,
//! searched and read aloud, diacritics and all.

pub mod certificate;

pub use certificate::{CertificateDocument, Labels, certificate_pdf, labels};

/// Noto Sans Regular: every Vietnamese letter, precomposed, in both weights.
pub(crate) static REGULAR: &[u8] = include_bytes!("fonts/NotoSans-Regular.ttf");

/// Noto Sans Bold.
pub(crate) static BOLD: &[u8] = include_bytes!("fonts/NotoSans-Bold.ttf");
