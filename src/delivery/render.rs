//! A queued message as it goes out: the configured sender and reply-to, the recipient by name,
//! the subject (RFC 2047-encoded by lettre when it is not ASCII, as Vietnamese always is), the
//! stored `Message-ID`, the plain text with an HTML alternative made from it, and the calendar
//! attached.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use crate::config::MailConfig;
use crate::mail::outbox::Claimed;

/// Who every message is from, and where replies go.
pub struct Letterhead {
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Letterhead {
    /// The mailboxes `config` names; an error names the setting that does not parse.
    pub fn of(config: &MailConfig) -> anyhow::Result<Letterhead> {
        let from = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("TPMS_MAIL_FROM is not a mailbox (Name <address@example.org>): {e}"))?;
        let reply_to =
            config.reply_to.as_deref().map(str::parse).transpose().map_err(|e| {
                anyhow::anyhow!("TPMS_MAIL_REPLY_TO is not a mailbox (Name <address@example.org>): {e}")
            })?;
        Ok(Letterhead { from, reply_to })
    }

    /// The message to send; an error (an address that does not parse) is permanent.
    pub fn render(&self, message: &Claimed) -> Result<lettre::Message, String> {
        let address = message
            .recipient_email
            .as_deref()
            .ok_or_else(|| crate::mail::NO_ADDRESS.to_owned())?
            .parse()
            .map_err(|e| format!("the address is not valid ({e}); correct it and retry"))?;
        let to = Mailbox::new(Some(message.recipient_name.clone()), address);
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(message.message_id.clone()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let text = MultiPart::alternative_plain_html(message.body.clone(), html(&message.body, &message.language));
        let built = match &message.calendar {
            None => builder.multipart(text),
            Some(calendar) => {
                // `method=` on the part tells a mail client an invitation's update or
                // cancellation from a plain calendar file (RFC 6047).
                let method = calendar
                    .lines()
                    .find_map(|line| line.strip_prefix("METHOD:"))
                    .unwrap_or("PUBLISH")
                    .trim();
                let kind = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                    .map_err(|e| format!("the calendar's content type: {e}"))?;
                let attachment: SinglePart = Attachment::new("invite.ics".to_owned()).body(calendar.clone(), kind);
                builder.multipart(MultiPart::mixed().multipart(text).singlepart(attachment))
            }
        };
        built.map_err(|e| format!("the message could not be built: {e}"))
    }
}

/// The HTML alternative of a plain-text body: its paragraphs, with each address on a line of its
/// own made a link.
fn html(body: &str, language: &str) -> String {
    let paragraphs: Vec<&str> = body.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect();
    maud::html! {
        (maud::DOCTYPE)
        html lang=(language) {
            head { meta charset="utf-8"; }
            body style="font-family: sans-serif; font-size: 16px; line-height: 1.5" {
                @for paragraph in &paragraphs {
                    p {
                        @for (n, line) in paragraph.lines().enumerate() {
                            @if n > 0 { br; }
                            @if line.starts_with("https://") || line.starts_with("http://") {
                                a href=(line) { (line) }
                            } @else {
                                (line)
                            }
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_alternative_keeps_the_paragraphs_and_links_the_address() {
        let page = html("Kính gửi A <b>,\n\nMở đường dẫn:\nhttps://t.example/r/abc", "vi");
        assert!(page.contains("<html lang=\"vi\">"), "{page}");
        assert!(page.contains("<p>Kính gửi A &lt;b&gt;,</p>"), "{page}");
        assert!(
            page.contains("<a href=\"https://t.example/r/abc\">https://t.example/r/abc</a>"),
            "{page}"
        );
    }
}
