//! `ferry start` behind a faulty RPC proxy: chain A's node is reached through a loopback
//! proxy that, in turn, answers garbage, resets connections, hangs past the client's
//! timeout, and lies (a changed byte in every proof it passes on). The relayer keeps
//! running through all of it, reports the failures (log, `ferry_rpc_errors_total`), sends
//! nothing a lie would have made it send, and once the proxy behaves relays every packet
//! exactly once. Skipped (SKIPPED printed) without the chain binaries, failed with
//! `CI=true`.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{balance, ferry_in, mark, pending, relay_setup};
use ferry_testnet::{require_chains, TempDir};

const PASS: u8 = 0;
const GARBAGE: u8 = 1;
const RESET: u8 = 2;
const HANG: u8 = 3;
const LIE: u8 = 4;

/// Reads one HTTP request (head and `Content-Length` body); `None` at EOF.
fn read_request(r: &mut BufReader<TcpStream>) -> Option<(Vec<String>, Vec<u8>)> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let len = head
        .iter()
        .find_map(|h| {
            let (k, v) = h.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Forwards one request to `upstream` as HTTP/1.0 (one response, closed, never chunked)
/// and returns the response body.
fn forward(upstream: SocketAddr, head: &[String], body: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(upstream).ok()?;
    let first = head.first()?.replace("HTTP/1.1", "HTTP/1.0");
    let mut req = format!("{first}\r\n");
    for h in head.iter().skip(1) {
        let k = h.split(':').next().unwrap_or("").to_ascii_lowercase();
        if k != "connection" && k != "keep-alive" {
            req.push_str(h);
            req.push_str("\r\n");
        }
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    let at = resp.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(resp.split_off(at + 4))
}

/// Changes one base64 character of every proof op's data.
fn lie(body: &[u8]) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(body).into_owned();
    let mut from = 0;
    while let Some(i) = text[from..].find("\"data\":\"") {
        let at = from + i + 8 + 20;
        if at < text.len() && text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
            let c = &text[at..at + 1];
            let new = if c == "A" { "B" } else { "A" };
            text.replace_range(at..at + 1, new);
        }
        from = at.min(text.len());
    }
    text.into_bytes()
}

fn respond(s: &mut TcpStream, body: &[u8]) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)
}

/// Starts the proxy to `upstream`; its mode is read per request. Counts the faults served.
fn proxy(upstream: SocketAddr, mode: Arc<AtomicU8>, faults: Arc<AtomicUsize>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { continue };
            let (mode, faults) = (Arc::clone(&mode), Arc::clone(&faults));
            std::thread::spawn(move || {
                let Ok(mut w) = conn.try_clone() else { return };
                let mut r = BufReader::new(conn);
                while let Some((head, body)) = read_request(&mut r) {
                    let m = mode.load(Ordering::SeqCst);
                    if m != PASS {
                        faults.fetch_add(1, Ordering::SeqCst);
                    }
                    let ok = match m {
                        GARBAGE => respond(&mut w, b"{\"jsonrpc\":\"2.0\",\"id\":").is_ok(),
                        RESET => false,
                        HANG => {
                            std::thread::sleep(Duration::from_secs(12));
                            false
                        }
                        _ => match forward(upstream, &head, &body) {
                            Some(b) if m == LIE && b.windows(8).any(|w| w == b"proofOps") => {
                                respond(&mut w, &lie(&b)).is_ok()
                            }
                            Some(b) => respond(&mut w, &b).is_ok(),
                            None => false,
                        },
                    };
                    if !ok {
                        let _ = w.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn alive(c: &mut Child) -> bool {
    c.try_wait().unwrap().is_none()
}

#[test]
fn start_survives_a_lying_flaky_node_and_relays_exactly_once() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    let dir = TempDir::new("cli-faults").unwrap();
    let home = dir.path();
    let (a, b) = relay_setup(home, None);
    let user_a = a.account("user").unwrap().address.clone();
    let user_b = b.account("user").unwrap().address.clone();
    // Ten transfers each way, sent through the real node.
    for (src, to) in [("ferry-a", &user_b), ("ferry-b", &user_a)] {
        let o = ferry_in(
            home,
            &[
                "tx",
                "transfer",
                "--src",
                src,
                "--channel",
                "channel-0",
                "--receiver",
                to,
                "--amount",
                "3stake",
                "--count",
                "10",
                "--key",
                "user",
            ],
            None,
        );
        assert_eq!(o.code, 0, "{o:?}");
    }
    assert_eq!(pending(home), 20);

    // From now on Ferry reaches ferry-a through the proxy.
    let upstream: SocketAddr = a.rpc_url().trim_start_matches("http://").parse().unwrap();
    let mode = Arc::new(AtomicU8::new(GARBAGE));
    let faults = Arc::new(AtomicUsize::new(0));
    let px = proxy(upstream, Arc::clone(&mode), Arc::clone(&faults));
    let metrics = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let text = std::fs::read_to_string(home.join("config.toml"))
        .unwrap()
        .replace(a.rpc_url(), &format!("http://{px}"))
        .replace("enabled = false", "enabled = true")
        .replace("127.0.0.1:3001", &metrics.to_string());
    std::fs::write(home.join("config.toml"), text).unwrap();

    // The preflight check meets garbage: refused with a clear message, nothing relayed.
    let o = ferry_in(home, &["start"], None);
    assert_eq!(o.code, 69, "{o:?}");
    assert!(o.stderr.contains("ferry-a"), "{o:?}");
    assert!(!o.stderr.contains("panicked"), "{o:?}");

    // Started while the node lies (the preflight reads no proofs), then each other fault
    // in turn.
    mode.store(LIE, Ordering::SeqCst);
    let log = home.join("start.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["start", "--batch", "4", "--home"])
        .arg(home)
        .env_remove("FERRY_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // Every proof from ferry-a is changed: nothing from A may be received on B while the
    // lie lasts.
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(balance(&b, &user_b, "ibc/"), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    mark(t0, "lies for 8 s: nothing received on ferry-b");
    assert!(alive(&mut child), "{text}");
    assert!(text.contains("nothing was sent"), "{text}");
    for (m, name, secs) in [
        (GARBAGE, "garbage", 6),
        (RESET, "resets", 6),
        (HANG, "hangs", 14),
    ] {
        mode.store(m, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(secs));
        mark(t0, &format!("{name} for {secs} s"));
        assert!(
            alive(&mut child),
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
    }
    mode.store(PASS, Ordering::SeqCst);
    let start = Instant::now();
    while pending(home) > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "not relayed: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert!(
            alive(&mut child),
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    mark(t0, "all relayed after the faults");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("panicked"), "{text}");
    assert!(text.contains("retried next round"), "{text}");
    // Every packet once: 30 each way.
    assert_eq!(balance(&b, &user_b, "ibc/"), 30);
    assert_eq!(balance(&a, &user_a, "ibc/"), 30);
    assert!(faults.load(Ordering::SeqCst) > 0);
    let mut s = TcpStream::connect(metrics).unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\n\r\n").unwrap();
    let mut m = String::new();
    s.read_to_string(&mut m).unwrap();
    let errors: f64 = m
        .lines()
        .filter(|l| l.starts_with("ferry_rpc_errors_total") && l.contains("ferry-a"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(errors >= 1.0, "{m}");
    let _ = child.kill();
    let _ = child.wait();
    mark(t0, "done");
}
