//! Rendering a certificate: its size and the time to render one. Run:
//! `cargo bench --bench certificate` (release build). `TPMS_BENCH_RENDERS` sets how many renders
//! are timed (200); `TPMS_BENCH_WRITE=folder` also writes the Vietnamese and English PDFs there, to
//! look at.
//!
//! Rendering only (fonts parsed, text shaped, fonts subsetted, QR drawn, file written): no
//! database, no HTTP. Not a timed test: it checks only that each render is a PDF.

use std::time::Instant;

use chrono::NaiveDate;
use tpms::documents::{CertificateDocument, certificate_pdf};
use tpms::messages::Lang;

fn main() {
    let renders: usize = std::env::var("TPMS_BENCH_RENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let doc = CertificateDocument {
        trainee_name: "Đặng Thị Ngọc Diễm Hương".to_owned(),
        program_title: "Young Leaders in Public Administration".to_owned(),
        program_title_vi: Some("Lãnh đạo trẻ trong quản lý hành chính công".to_owned()),
        cohort_name: "Khóa 3 – Tokyo".to_owned(),
        cohort_start: "2024-09-20".parse().ok(),
        cohort_end: "2024-12".parse().ok(),
        number: "JICA-YL/C3/00042".to_owned(),
        code: "7KQ2-M9XD-4TPA".to_owned(),
        issued_on: NaiveDate::from_ymd_opt(2024, 12, 20).expect("a real day"),
        verification_url: "https://tpms.example.gov.vn/verify?number=JICA-YL%2FC3%2F00042&code=7KQ2-M9XD-4TPA"
            .to_owned(),
    };
    for (lang, name) in [(Lang::Vi, "vi"), (Lang::En, "en")] {
        // One render first, out of the timing: the first touch of the embedded fonts' pages.
        let pdf = certificate_pdf(&doc, lang).expect("a PDF");
        assert!(pdf.starts_with(b"%PDF-"));
        if let Ok(folder) = std::env::var("TPMS_BENCH_WRITE") {
            std::fs::write(format!("{folder}/certificate-{name}.pdf"), &pdf).expect("a writable folder");
        }
        let mut ms: Vec<f64> = (0..renders)
            .map(|_| {
                let started = Instant::now();
                let pdf = certificate_pdf(&doc, lang).expect("a PDF");
                assert!(pdf.starts_with(b"%PDF-"));
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        let at = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
        println!(
            "certificate ({name}): {} bytes; render over {renders} runs: median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            pdf.len(),
            at(50.0),
            at(95.0),
            at(100.0)
        );
    }
}
