//! The certificate of completion: one A4 portrait page with the holder's name, the programme, the
//! cohort and its dates, the certificate's number, verification code and issue date, and a QR
//! code of the page that verifies it (with its address printed under it, for whoever types it).
//!
//! Text is shaped with the same shaper krilla uses (`rustybuzz`), so a line is measured with the
//! glyphs that are drawn: lines are centred, and a long name or title is set smaller and wrapped
//! rather than run off the page. Each glyph carries the text it stands for, from which krilla
//! writes the font's ToUnicode map.

use anyhow::{Context, Result, anyhow};
use chrono::NaiveDate;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use qrcode::{Color, EcLevel, QrCode};

use crate::certificates::CertificateContent;
use crate::dates::PartialDate;
use crate::messages::Lang;
use crate::texts::{Text, format};

/// A4 portrait, in points.
pub const PAGE_WIDTH: f32 = 595.28;
/// A4 portrait, in points.
pub const PAGE_HEIGHT: f32 = 841.89;

/// Left and right margin of the text: well inside the frame, and inside what any printer prints.
const MARGIN: f32 = 72.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The QR code's side: at about 40 modules, close to a millimetre each, which a phone reads at
/// arm's length from paper.
const QR_SIDE: f32 = 120.0;

const NAVY: (u8, u8, u8) = (22, 46, 94);
const INK: (u8, u8, u8) = (33, 33, 33);
const GREY: (u8, u8, u8) = (96, 96, 96);
const GOLD: (u8, u8, u8) = (176, 141, 58);

/// What a certificate shows, whatever the language it is printed in.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateDocument {
    /// The holder's full name, family name first.
    pub trainee_name: String,
    /// The programme's title (English, or as the programme is known).
    pub program_title: String,
    /// The programme's Vietnamese title, where it has one.
    pub program_title_vi: Option<String>,
    /// The cohort's name.
    pub cohort_name: String,
    /// The cohort's first day, or only its month or year.
    pub cohort_start: Option<PartialDate>,
    /// The cohort's last day, or only its month or year.
    pub cohort_end: Option<PartialDate>,
    /// The certificate number.
    pub number: String,
    /// The verification code printed beside the number.
    pub code: String,
    /// The day it was issued.
    pub issued_on: NaiveDate,
    /// The address of the page that verifies it (number and code in its query), which the QR code
    /// holds. The caller builds it: only it knows the service's public address.
    pub verification_url: String,
}

impl CertificateDocument {
    /// The document of a certificate's content, verified at `verification_url`.
    pub fn new(content: CertificateContent, verification_url: String) -> Self {
        CertificateDocument {
            trainee_name: content.trainee_name,
            program_title: content.program_title,
            program_title_vi: content.program_title_vi,
            cohort_name: content.cohort_name,
            cohort_start: content.cohort_start,
            cohort_end: content.cohort_end,
            number: content.number,
            code: content.code,
            issued_on: content.issued_at.date(),
            verification_url,
        }
    }

    /// The programme's title in `lang`: the Vietnamese one where the programme has it.
    pub fn program_title_in(&self, lang: Lang) -> &str {
        match (lang, &self.program_title_vi) {
            (Lang::Vi, Some(vi)) if !vi.trim().is_empty() => vi,
            _ => &self.program_title,
        }
    }
}

/// Every fixed word of the certificate in one language, from the message catalogue
/// (`crate::texts`, the `Certificate…` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    /// The heading.
    pub title: &'static str,
    /// Before the name.
    pub certifies: &'static str,
    /// After the name, before the programme.
    pub completed: &'static str,
    /// Before the cohort's name.
    pub cohort: &'static str,
    /// Before the cohort's dates.
    pub dates: &'static str,
    /// Before a period's first date when its last is unknown.
    pub from: &'static str,
    /// Before a period's last date when its first is unknown.
    pub until: &'static str,
    /// Before the certificate number.
    pub number: &'static str,
    /// Before the verification code.
    pub code: &'static str,
    /// Before the issue date.
    pub issued: &'static str,
    /// Above the QR code.
    pub scan: &'static str,
}

/// The certificate's words in `lang`.
pub fn labels(lang: Lang) -> Labels {
    Labels {
        title: Text::CertificateHeading.get(lang),
        certifies: Text::CertificateCertifies.get(lang),
        completed: Text::CertificateCompleted.get(lang),
        cohort: Text::CohortLabel.get(lang),
        dates: Text::CertificateDates.get(lang),
        from: Text::CertificateFrom.get(lang),
        until: Text::CertificateUntil.get(lang),
        number: Text::CertificateNumber.get(lang),
        code: Text::VerificationCode.get(lang),
        issued: Text::IssuedOn.get(lang),
        scan: Text::CertificateScan.get(lang),
    }
}

/// A day as `lang` writes it: `20/9/2024`, or `20 September 2024`.
pub fn day_text(day: NaiveDate, lang: Lang) -> String {
    format::date(day, lang)
}

/// A date at its own precision, as `lang` writes it: `20/9/2024`, `tháng 9/2024`, `2024`;
/// `20 September 2024`, `September 2024`, `2024`. A date known only to the month is never
/// printed as its first day.
pub fn date_text(date: &PartialDate, lang: Lang) -> String {
    format::partial_date(date, lang)
}

/// A cohort's period: both ends, one end with a word saying which, or nothing when neither is
/// known.
pub fn period_text(start: Option<&PartialDate>, end: Option<&PartialDate>, lang: Lang) -> Option<String> {
    let words = labels(lang);
    match (start, end) {
        (Some(start), Some(end)) if start == end => Some(date_text(start, lang)),
        (Some(start), Some(end)) => Some(format!("{} – {}", date_text(start, lang), date_text(end, lang))),
        (Some(start), None) => Some(format!("{} {}", words.from, date_text(start, lang))),
        (None, Some(end)) => Some(format!("{} {}", words.until, date_text(end, lang))),
        (None, None) => None,
    }
}

/// One horizontal run of dark modules of a QR code, in modules from its top left corner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrRun {
    /// Its row.
    pub row: usize,
    /// Its first column.
    pub column: usize,
    /// How many dark modules it covers.
    pub length: usize,
}

/// The QR code of a text, as the certificate draws it: its side in modules, and its dark modules
/// as runs along each row (one rectangle each, rather than one per module, which keeps the page's
/// drawing small and leaves no hairline seams between neighbours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    /// Modules on a side, without the quiet zone around it.
    pub width: usize,
    /// The dark modules.
    pub runs: Vec<QrRun>,
}

/// The QR code of `text` at error-correction level M (a stain or a fold over 15 % of it still
/// reads).
pub fn qr_modules(text: &str) -> Result<QrModules> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow!("the verification address cannot be a QR code: {e}"))?;
    let width = code.width();
    let colours = code.to_colors();
    let mut runs = Vec::new();
    for (row, line) in colours.chunks(width).enumerate() {
        let mut column = 0;
        while column < width {
            if line[column] == Color::Dark {
                let length = line[column..].iter().take_while(|c| **c == Color::Dark).count();
                runs.push(QrRun { row, column, length });
                column += length;
            } else {
                column += 1;
            }
        }
    }
    Ok(QrModules { width, runs })
}

/// The certificate as a PDF, in `lang`: one A4 page, its fonts embedded and subsetted.
pub fn certificate_pdf(doc: &CertificateDocument, lang: Lang) -> Result<Vec<u8>> {
    let words = labels(lang);
    let fonts = Fonts::load()?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} – {}", words.title, doc.trainee_name))
            .language(lang.tag().to_owned())
            .creator("TPMS".to_owned()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).context("the A4 page size")?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    draw(&mut surface, &fonts, doc, lang, &words)?;
    surface.finish();
    page.finish();
    // krilla's error holds the font, which need not cross threads: keep its words only.
    document
        .finish()
        .map_err(|e| anyhow!("the certificate's PDF could not be written: {e}"))
}

/// A face of the font: krilla's, which is embedded, and the shaper's, which measures and places.
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(data: &'static [u8], name: &str) -> Result<Face> {
        let font = Font::new(data.into(), 0).with_context(|| format!("the font {name}"))?;
        let shaper = rustybuzz::Face::from_slice(data, 0).with_context(|| format!("the font {name}"))?;
        // A font with no units per em is broken; 1 keeps the arithmetic finite.
        let units_per_em = shaper.units_per_em().max(1) as f32;
        Ok(Face {
            font,
            shaper,
            units_per_em,
        })
    }

    /// `text` as glyphs, placed in ems, and its advance in ems.
    fn shape(&self, text: &str) -> (Vec<KrillaGlyph>, f32) {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        let output = rustybuzz::shape(&self.shaper, &[], buffer);
        let (infos, positions) = (output.glyph_infos(), output.glyph_positions());
        let em = self.units_per_em;
        let mut advance = 0.0;
        let glyphs = infos
            .iter()
            .zip(positions)
            .enumerate()
            .map(|(i, (info, pos))| {
                // The text a glyph stands for runs to the next glyph's cluster: what ToUnicode
                // maps it to, so that ắ copies as ắ.
                let start = info.cluster as usize;
                let end = infos[i + 1..]
                    .iter()
                    .map(|next| next.cluster as usize)
                    .find(|&c| c != start)
                    .unwrap_or(text.len());
                advance += pos.x_advance as f32 / em;
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / em,
                    pos.x_offset as f32 / em,
                    pos.y_offset as f32 / em,
                    pos.y_advance as f32 / em,
                    start..end,
                    None,
                )
            })
            .collect();
        (glyphs, advance)
    }

    /// The width of `text` at `size`, in points.
    fn width(&self, text: &str, size: f32) -> f32 {
        self.shape(text).1 * size
    }
}

struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    fn load() -> Result<Fonts> {
        Ok(Fonts {
            regular: Face::load(super::REGULAR, "Noto Sans Regular")?,
            bold: Face::load(super::BOLD, "Noto Sans Bold")?,
        })
    }
}

/// How a block of text is set.
#[derive(Clone, Copy)]
struct Style<'f> {
    face: &'f Face,
    /// The size it is set at when it fits.
    size: f32,
    /// The smallest it may be set at before it wraps to more lines.
    smallest: f32,
    /// The most lines it may take; what is left after them ends in an ellipsis.
    lines: usize,
    colour: (u8, u8, u8),
}

fn fill(colour: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        ..Fill::default()
    }
}

/// `text` broken into lines no wider than `width` at `size`: at spaces, and inside a word only
/// when the word alone is wider (an address).
fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if face.width(&candidate, size) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if face.width(&line, size) > width && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The size and lines `text` is set in: the largest size from `style.size` down to
/// `style.smallest` at which it fits in `style.lines`, else the smallest, cut to that many lines.
fn fit(text: &str, style: &Style) -> (f32, Vec<String>) {
    let mut size = style.size;
    loop {
        let lines = wrap(style.face, text, size, TEXT_WIDTH);
        if lines.len() <= style.lines {
            return (size, lines);
        }
        if size - 1.0 < style.smallest {
            let mut kept: Vec<String> = lines.into_iter().take(style.lines).collect();
            if let Some(last) = kept.last_mut() {
                while !last.is_empty() && style.face.width(&format!("{last}…"), size) > TEXT_WIDTH {
                    last.pop();
                }
                last.push('…');
            }
            return (size, kept);
        }
        size -= 1.0;
    }
}

/// Sets `text` centred from the baseline `y`, and gives the baseline after it.
fn centred(surface: &mut Surface<'_>, text: &str, style: Style, y: f32) -> f32 {
    let (size, lines) = fit(text, &style);
    let leading = size * 1.3;
    surface.set_fill(Some(fill(style.colour)));
    let mut baseline = y;
    for line in &lines {
        let (glyphs, advance) = style.face.shape(line);
        let x = (PAGE_WIDTH - advance * size) / 2.0;
        surface.draw_glyphs(
            Point::from_xy(x, baseline),
            &glyphs,
            style.face.font.clone(),
            line,
            size,
            false,
        );
        baseline += leading;
    }
    baseline - leading
}

fn stroke_rect(surface: &mut Surface<'_>, inset: f32, width: f32, colour: (u8, u8, u8)) -> Result<()> {
    let mut path = PathBuilder::new();
    path.push_rect(
        Rect::from_xywh(inset, inset, PAGE_WIDTH - 2.0 * inset, PAGE_HEIGHT - 2.0 * inset).context("the frame")?,
    );
    let path = path.finish().context("the frame")?;
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        width,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    Ok(())
}

fn fill_rect(surface: &mut Surface<'_>, rect: Option<Rect>, colour: (u8, u8, u8)) -> Result<()> {
    let mut path = PathBuilder::new();
    path.push_rect(rect.context("a rule")?);
    surface.set_fill(Some(fill(colour)));
    surface.draw_path(&path.finish().context("a rule")?);
    Ok(())
}

/// The QR code of `url`, `QR_SIDE` points square with its top left corner at (`x`, `y`).
fn draw_qr(surface: &mut Surface<'_>, url: &str, x: f32, y: f32) -> Result<()> {
    let qr = qr_modules(url)?;
    let module = QR_SIDE / qr.width as f32;
    let mut path = PathBuilder::new();
    for run in &qr.runs {
        let rect = Rect::from_xywh(
            x + run.column as f32 * module,
            y + run.row as f32 * module,
            run.length as f32 * module,
            module,
        );
        path.push_rect(rect.context("a module of the QR code")?);
    }
    surface.set_fill(Some(fill((0, 0, 0))));
    surface.draw_path(&path.finish().context("the QR code")?);
    Ok(())
}

/// The page, top down. Coordinates are krilla's: points from the top left corner, y downwards.
fn draw(surface: &mut Surface<'_>, fonts: &Fonts, doc: &CertificateDocument, lang: Lang, words: &Labels) -> Result<()> {
    stroke_rect(surface, 24.0, 2.5, NAVY)?;
    stroke_rect(surface, 30.0, 0.75, GOLD)?;

    let line = |face, size: f32, colour| Style {
        face,
        size,
        smallest: size,
        lines: 2,
        colour,
    };
    let mut y = centred(surface, words.title, line(&fonts.bold, 26.0, NAVY), 150.0);
    fill_rect(
        surface,
        Rect::from_xywh(PAGE_WIDTH / 2.0 - 60.0, y + 18.0, 120.0, 1.5),
        GOLD,
    )?;

    y = centred(surface, words.certifies, line(&fonts.regular, 14.0, GREY), y + 75.0);
    let name = Style {
        face: &fonts.bold,
        size: 32.0,
        smallest: 18.0,
        lines: 2,
        colour: NAVY,
    };
    y = centred(surface, &doc.trainee_name, name, y + 50.0);
    y = centred(surface, words.completed, line(&fonts.regular, 14.0, GREY), y + 40.0);
    let programme = Style {
        face: &fonts.bold,
        size: 20.0,
        smallest: 13.0,
        lines: 4,
        colour: INK,
    };
    y = centred(surface, doc.program_title_in(lang), programme, y + 38.0);
    let detail = line(&fonts.regular, 13.0, INK);
    y = centred(
        surface,
        &format!("{}: {}", words.cohort, doc.cohort_name),
        detail,
        y + 30.0,
    );
    if let Some(period) = period_text(doc.cohort_start.as_ref(), doc.cohort_end.as_ref(), lang) {
        y = centred(surface, &format!("{}: {period}", words.dates), detail, y + 20.0);
    }

    // The particulars and the QR code sit low on the page; a long title pushes them down, never
    // under it.
    let small = line(&fonts.regular, 11.0, INK);
    let mut y = (y + 45.0).max(540.0);
    y = centred(surface, &format!("{}: {}", words.number, doc.number), small, y);
    y = centred(surface, &format!("{}: {}", words.code, doc.code), small, y + 17.0);
    y = centred(
        surface,
        &format!("{}: {}", words.issued, day_text(doc.issued_on, lang)),
        small,
        y + 17.0,
    );
    y = centred(surface, words.scan, line(&fonts.regular, 9.0, GREY), y + 30.0);
    // A reader needs four modules of white around the code (about 12 pt): more than that above
    // and below it.
    let qr_top = y + 18.0;
    draw_qr(surface, &doc.verification_url, (PAGE_WIDTH - QR_SIDE) / 2.0, qr_top)?;
    let address = Style {
        face: &fonts.regular,
        size: 8.0,
        smallest: 6.5,
        lines: 2,
        colour: GREY,
    };
    centred(surface, &doc.verification_url, address, qr_top + QR_SIDE + 22.0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real day")
    }

    #[test]
    fn dates_are_written_at_their_precision_in_each_language() {
        let september: PartialDate = "2024-09".parse().expect("a month");
        let year: PartialDate = "2024".parse().expect("a year");
        assert_eq!(day_text(day(2024, 9, 20), Lang::Vi), "20/9/2024");
        assert_eq!(day_text(day(2024, 9, 20), Lang::En), "20 September 2024");
        assert_eq!(date_text(&september, Lang::Vi), "tháng 9/2024");
        assert_eq!(date_text(&september, Lang::En), "September 2024");
        assert_eq!(date_text(&year, Lang::Vi), "2024");
        let start = PartialDate::day(day(2024, 9, 20));
        let end = PartialDate::day(day(2024, 12, 15));
        assert_eq!(
            period_text(Some(&start), Some(&end), Lang::Vi).as_deref(),
            Some("20/9/2024 – 15/12/2024")
        );
        assert_eq!(
            period_text(Some(&start), None, Lang::En).as_deref(),
            Some("from 20 September 2024")
        );
        assert_eq!(period_text(None, None, Lang::En), None);
    }

    /// The runs drawn, painted into a bitmap as a printer would (with the quiet zone the page's
    /// white gives it), read back as a phone would: the verification address itself.
    #[test]
    fn the_drawn_qr_code_reads_back_as_the_verification_address() {
        let url = "https://tpms.example.gov.vn/verify?number=JICA-YL%2FC3%2F00042&code=7KQ2-M9XD-4TPA";
        let qr = qr_modules(url).expect("a QR code");
        let reference = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).expect("a QR code");
        let dark = reference.to_colors().iter().filter(|c| **c == Color::Dark).count();
        assert_eq!(qr.runs.iter().map(|r| r.length).sum::<usize>(), dark);

        let (scale, quiet) = (6, 4);
        let side = (qr.width + 2 * quiet) * scale;
        let mut pixels = vec![255u8; side * side];
        for run in &qr.runs {
            for module in run.column..run.column + run.length {
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = ((module + quiet) * scale + dx, (run.row + quiet) * scale + dy);
                        pixels[py * side + px] = 0;
                    }
                }
            }
        }
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().expect("a readable code");
        assert_eq!(content, url);
    }

    #[test]
    fn a_long_title_is_set_smaller_and_wrapped_within_the_margins() {
        let fonts = Fonts::load().expect("the fonts");
        let title = "Chương trình đào tạo, bồi dưỡng cán bộ, công chức, viên chức ở nước ngoài về quản lý nhà \
                     nước, phát triển bền vững và chuyển đổi số trong khu vực công giai đoạn 2021 – 2030";
        let style = Style {
            face: &fonts.bold,
            size: 20.0,
            smallest: 13.0,
            lines: 4,
            colour: INK,
        };
        let (size, lines) = fit(title, &style);
        assert!(lines.len() <= 4);
        assert!(lines.iter().all(|l| fonts.bold.width(l, size) <= TEXT_WIDTH));
        assert_eq!(lines.join(" "), title);
    }
}
