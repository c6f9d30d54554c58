//! The test SMTP server (`support::smtp`, `tests/smtp/server.py`), spoken to in plain SMTP over a
//! socket: what it answers each recipient, and what the harness reads back of a message.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::smtp::SmtpServer;

/// "Thư mời: khóa đào tạo tại Đà Nẵng", as an RFC 2047 encoded word.
const SUBJECT: &str = "=?utf-8?b?VGjGsCBt4budaToga2jDs2EgxJHDoG8gdOG6oW8gdOG6oWkgxJDDoCBO4bq1bmc=?=";

/// A message with a text part (quoted-printable, with a line starting with a dot), an HTML part
/// (8-bit UTF-8) and a calendar part (base64), as the outbox will send.
const MESSAGE: &str = "From: TPMS <outbox@tpms.test>\r\n\
To: Nguyen Van Duc <duc@example.org>\r\n\
Subject: =?utf-8?b?VGjGsCBt4budaToga2jDs2EgxJHDoG8gdOG6oW8gdOG6oWkgxJDDoCBO4bq1bmc=?=\r\n\
Message-ID: <invitation-1@tpms.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=\"inner\"\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
K=C3=ADnh g=E1=BB=ADi anh =C4=90=E1=BB=A9c,\r\n\
.a line that starts with a dot\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
<p>Kính gửi anh Đức,</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
QkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo=\r\n\
--outer--\r\n";

/// A plain SMTP client: one command, one (possibly multi-line) reply.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("the SMTP server accepts a connection");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().expect("a second handle")),
            writer: stream,
        };
        let greeting = client.reply();
        assert!(greeting.starts_with("220 "), "greeting: {greeting}");
        client
    }

    /// The next reply, its lines joined by '\n'.
    fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("a reply line");
            assert!(line.len() >= 4, "a short reply line: {line:?} after {lines:?}");
            let last = line.as_bytes()[3] == b' ';
            lines.push(line.trim_end().to_owned());
            if last {
                return lines.join("\n");
            }
        }
    }

    fn send(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .expect("the command is sent");
        self.reply()
    }

    /// MAIL FROM, one RCPT TO each (their replies returned), DATA, QUIT.
    fn mail(&mut self, from: &str, to: &[&str], message: &str) -> Vec<String> {
        assert!(self.send(&format!("MAIL FROM:<{from}>")).starts_with("250 "));
        let replies: Vec<String> = to.iter().map(|rcpt| self.send(&format!("RCPT TO:<{rcpt}>"))).collect();
        assert!(self.send("DATA").starts_with("354 "));
        // Dot-stuffing (RFC 5321 4.5.2): a line starting with "." is sent with another before it.
        let stuffed = message.replace("\r\n.", "\r\n..");
        let done = self.send(&format!("{stuffed}."));
        assert!(done.starts_with("250 "), "end of DATA: {done}");
        assert!(self.send("QUIT").starts_with("221 "));
        replies
    }
}

fn ehlo(port: u16) -> Client {
    let mut client = Client::connect(port);
    let ehlo = client.send("EHLO tpms.test");
    assert!(ehlo.starts_with("250"), "EHLO: {ehlo}");
    client
}

#[actix_web::test]
async fn it_keeps_each_message_per_recipient_and_refuses_or_defers_as_the_address_says() {
    let Some(smtp) = SmtpServer::start() else { return };
    assert_eq!(smtp.url(), format!("smtp://127.0.0.1:{}?tls=none", smtp.port()));

    let replies = ehlo(smtp.port()).mail(
        "outbox@tpms.test",
        &[
            "duc@example.org",
            "refuse-me@example.org",
            "busy@example.org",
            "busy1-lan@example.org",
            "busy1-lan@example.org",
        ],
        MESSAGE,
    );
    assert!(replies[0].starts_with("250 "), "{replies:?}");
    assert_eq!(replies[1], "550 5.1.1 mailbox unavailable");
    assert_eq!(replies[2], "451 4.3.0 try again later");
    // `busy1-...`: deferred once, then accepted.
    assert_eq!(replies[3], "451 4.3.0 try again later");
    assert!(replies[4].starts_with("250 "), "{replies:?}");

    let received = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(
        received.len(),
        2,
        "one copy per accepted recipient; log: {}",
        smtp.log()
    );
    let accepted = vec!["duc@example.org".to_owned(), "busy1-lan@example.org".to_owned()];
    assert_eq!(received[0].rcpt_to, "duc@example.org");
    assert_eq!(received[1].rcpt_to, "busy1-lan@example.org");
    for copy in &received {
        assert_eq!(copy.rcpt_tos, accepted);
        assert_eq!(copy.mail_from, "outbox@tpms.test");
        assert_eq!(copy.message, 1);
        assert!(
            chrono::DateTime::parse_from_rfc3339(&copy.received_at).is_ok(),
            "{}",
            copy.received_at
        );
        assert_eq!(copy.raw, MESSAGE.as_bytes(), "the bytes exactly as sent, dot-unstuffed");
    }
    assert_eq!(received.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2]);

    let mail = &received[0];
    assert_eq!(mail.header("subject").as_deref(), Some(SUBJECT));
    assert_eq!(
        mail.subject_decoded().as_deref(),
        Some("Thư mời: khóa đào tạo tại Đà Nẵng")
    );
    assert_eq!(mail.message_id().as_deref(), Some("invitation-1@tpms.test"));
    assert_eq!(mail.to(), ["duc@example.org"]);
    let text = mail.text_body().expect("a text body");
    assert!(
        text.starts_with("Kính gửi anh Đức,") && text.contains("\n.a line that starts with a dot"),
        "{text:?}"
    );
    assert_eq!(
        mail.html_body().as_deref().map(str::trim),
        Some("<p>Kính gửi anh Đức,</p>")
    );
    assert_eq!(
        mail.attachment("text/calendar").as_deref(),
        Some(&b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"[..])
    );
    assert_eq!(mail.attachment("application/pdf"), None);
}

#[actix_web::test]
async fn it_can_go_down_and_come_back_on_its_port_numbering_on() {
    let Some(mut smtp) = SmtpServer::start() else { return };
    let plain = "Subject: one\r\n\r\nbody\r\n";
    ehlo(smtp.port()).mail("outbox@tpms.test", &["a@example.org"], plain);
    assert_eq!(smtp.wait_for(1, Duration::from_secs(10)).await.len(), 1);

    smtp.kill();
    assert!(
        TcpStream::connect(("127.0.0.1", smtp.port())).is_err(),
        "a killed server refuses connections"
    );
    smtp.restart();
    ehlo(smtp.port()).mail("outbox@tpms.test", &["b@example.org"], plain);
    let received = smtp.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(
        received.iter().map(|r| (r.seq, r.rcpt_to.as_str())).collect::<Vec<_>>(),
        [(1, "a@example.org"), (2, "b@example.org")]
    );
    assert_eq!(received[1].html_body(), None, "a plain message has no HTML body");
    assert_eq!(received[1].text_body().as_deref(), Some("body\r\n"));
}
