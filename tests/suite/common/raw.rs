//! A tiny HTTP/1.1 server of the tests' own, for faults that a mock
//! framework cannot produce: a connection reset mid-request, an answer cut
//! short, no answer at all within the client's timeout. Each connection gets
//! the next action of a script; every request is recorded with its time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Clone, Debug)]
pub enum Fault {
    /// Read only the request line and headers, then close: the unread body
    /// makes the kernel answer with a TCP reset.
    Reset,
    /// Stop in the middle of the headers and close.
    Truncated,
    /// A complete status line and headers announcing 100 bytes of body,
    /// 5 bytes of it, then close.
    CutBody(u16),
    /// Read the request, then never answer: hold the connection until the
    /// client gives up and closes it.
    Hang,
    /// Answer with this status and body.
    Status(u16, &'static str),
}

#[derive(Clone, Debug)]
pub struct RawRequest {
    pub request_line: String,
    pub body: String,
    pub at: Instant,
}

pub struct RawServer {
    pub url: String,
    log: Arc<Mutex<Vec<RawRequest>>>,
}

fn read_request(stream: &mut TcpStream, read_body: bool) -> Option<RawRequest> {
    let at = Instant::now();
    // One byte at a time, so that what is not read stays in the kernel and
    // closing the socket sends a reset.
    let mut reader = BufReader::with_capacity(1, stream.try_clone().ok()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if read_body {
        reader.read_exact(&mut body).ok()?;
    }
    Some(RawRequest {
        request_line: request_line.trim().to_string(),
        body: String::from_utf8_lossy(&body).into_owned(),
        at,
    })
}

impl RawServer {
    /// Serves `script[i]` to the i-th connection and 200 once it runs out.
    pub fn start(script: Vec<Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let requests = log.clone();
        std::thread::spawn(move || {
            for (index, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let fault = script.get(index).cloned().unwrap_or(Fault::Status(200, ""));
                let requests = requests.clone();
                std::thread::spawn(move || {
                    let read_body = !matches!(fault, Fault::Reset);
                    let Some(request) = read_request(&mut stream, read_body) else {
                        return;
                    };
                    requests.lock().expect("log").push(request);
                    let answer = |status: u16, body: &str| {
                        format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    match fault {
                        Fault::Reset => {
                            // Closing with unread data sends RST.
                            drop(stream);
                        }
                        Fault::Truncated => {
                            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-le");
                            let _ = stream.flush();
                        }
                        Fault::CutBody(status) => {
                            let head = format!(
                                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{{\"er"
                            );
                            let _ = stream.write_all(head.as_bytes());
                            let _ = stream.flush();
                        }
                        Fault::Hang => {
                            // Returns once the client closes its end.
                            let _ = std::io::copy(&mut stream, &mut std::io::sink());
                        }
                        Fault::Status(status, body) => {
                            let _ = stream.write_all(answer(status, body).as_bytes());
                        }
                    }
                });
            }
        });
        Self { url, log }
    }

    pub fn requests(&self) -> Vec<RawRequest> {
        self.log.lock().expect("log").clone()
    }
}
