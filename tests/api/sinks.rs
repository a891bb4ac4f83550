//! Local peers for the notification tests: an SMTP server that keeps what it is sent, and an
//! HTTP receiver (for webhooks and the SMS gateway) that keeps each request and answers with
//! the statuses it is told to.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;

/// A message as the SMTP server got it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The decoded Subject header.
    pub subject: String,
    /// The decoded text body.
    pub body: String,
}

/// An SMTP server on a free loopback port.
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        Self::start_slow(Duration::ZERO)
    }

    /// A server that takes `delay` to accept each message.
    pub fn start_slow(delay: Duration) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || {
                    let _ = smtp_session(stream, &kept, delay);
                });
            }
        });
        SmtpSink { port, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    /// Waits until `count` messages have arrived (at most 20 s) and returns them all.
    #[track_caller]
    pub fn wait_for(&self, count: usize) -> Vec<Mail> {
        wait(|| (self.mails().len() >= count).then(|| self.mails()))
            .unwrap_or_else(|| panic!("{count} mails expected, got {:?}", self.mails()))
    }
}

fn smtp_session(
    stream: TcpStream,
    mails: &Mutex<Vec<Mail>>,
    delay: Duration,
) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 sink ESMTP\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            out.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&command[10..]);
            to.clear();
            out.write_all(b"250 ok\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&command[8..]));
            out.write_all(b"250 ok\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 go on\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            std::thread::sleep(delay);
            let (subject, body) = parse(&data);
            mails.lock().unwrap().push(Mail {
                from: from.clone(),
                to: to.clone(),
                subject,
                body,
            });
            out.write_all(b"250 queued\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"250 ok\r\n")?;
        }
    }
}

fn address(text: &str) -> String {
    let text = text.trim().trim_start_matches('<');
    text.split('>').next().unwrap_or(text).to_string()
}

/// The decoded subject and text body of a message (RFC 2047 `=?utf-8?b?…?=` words; a
/// quoted-printable, base64, 7bit or 8bit body).
fn parse(data: &str) -> (String, String) {
    let (head, body) = data.split_once("\r\n\r\n").unwrap_or((data, ""));
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let header = |name: &str| {
        unfolded
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    // Adjacent encoded words join without the space between them (RFC 2047 §6.2).
    let mut subject = String::new();
    let mut after_encoded = false;
    for word in header("Subject").split(' ') {
        match word
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="))
        {
            Some(encoded) => {
                if !subject.is_empty() && !after_encoded {
                    subject.push(' ');
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap();
                subject.push_str(&String::from_utf8(bytes).unwrap());
                after_encoded = true;
            }
            None => {
                if !subject.is_empty() {
                    subject.push(' ');
                }
                subject.push_str(word);
                after_encoded = false;
            }
        }
    }
    let body = match header("Content-Transfer-Encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(body.replace("\r\n", ""))
                .unwrap(),
        )
        .unwrap(),
        "quoted-printable" => quoted_printable(body),
        _ => body.to_string(),
    };
    (subject, body.replace("\r\n", "\n"))
}

fn quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A request as the HTTP receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// An HTTP server on a free loopback port; it answers 200, or the statuses queued with
/// [`HttpSink::fail_next`] / [`HttpSink::fail_always`].
pub struct HttpSink {
    pub port: u16,
    requests: Arc<Mutex<Vec<Received>>>,
    /// Statuses for the next requests; when empty, `otherwise`.
    script: Arc<Mutex<(Vec<u16>, u16)>>,
}

impl HttpSink {
    pub fn start() -> HttpSink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new((Vec::new(), 200)));
        let (kept, told) = (requests.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (kept, told) = (kept.clone(), told.clone());
                std::thread::spawn(move || {
                    let _ = http_exchange(stream, &kept, &told);
                });
            }
        });
        HttpSink {
            port,
            requests,
            script,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next `n` requests answer `status`.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.script
            .lock()
            .unwrap()
            .0
            .extend(std::iter::repeat_n(status, n));
    }

    /// Every request answers `status` from now on (200 to heal).
    pub fn fail_always(&self, status: u16) {
        self.script.lock().unwrap().1 = status;
    }

    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits until `count` requests to `path` have arrived (at most 20 s) and returns them.
    #[track_caller]
    pub fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        let on = || -> Vec<Received> {
            self.requests()
                .into_iter()
                .filter(|r| r.path == path)
                .collect()
        };
        wait(|| {
            let got = on();
            (got.len() >= count).then_some(got)
        })
        .unwrap_or_else(|| panic!("{count} requests to {path} expected, got {:?}", on()))
    }
}

fn http_exchange(
    stream: TcpStream,
    requests: &Mutex<Vec<Received>>,
    script: &Mutex<(Vec<u16>, u16)>,
) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        requests.lock().unwrap().push(Received {
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let status = {
            let mut s = script.lock().unwrap();
            if s.0.is_empty() {
                s.1
            } else {
                s.0.remove(0)
            }
        };
        write!(
            out,
            "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{{}}"
        )?;
    }
}

/// Polls `f` every 20 ms for up to 20 s.
pub fn wait<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(found) = f() {
            return Some(found);
        }
        if start.elapsed() > Duration::from_secs(20) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
