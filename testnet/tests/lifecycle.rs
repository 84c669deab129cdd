//! The harness itself: nodes die with a panicking test and their logs stay; a start that
//! times out says why (with the log tail) and leaves no process; missing binaries name the
//! install script.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ferry_testnet::{require_chains, CometBftNetwork, Error, SimdChain};

/// Whether any process has `needle` in its command line (its `--home` is unique to a start).
fn process_running_with(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn missing_binaries_name_the_install_script() {
    let e = CometBftNetwork::builder()
        .chains_dir("/nonexistent/ferry-chains")
        .start()
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::MissingBinary {
                name: "cometbft",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains("bash scripts/chains/install.sh"),
        "{e}"
    );
    let e = SimdChain::builder("x")
        .chains_dir("/nonexistent/ferry-chains")
        .start()
        .unwrap_err();
    assert!(
        matches!(e, Error::MissingBinary { name: "simd", .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("bash scripts/chains/install.sh"),
        "{e}"
    );
}

#[test]
fn nodes_are_killed_and_logs_kept_when_a_test_panics() {
    if !require_chains() {
        return;
    }
    let t0 = Instant::now();
    // A normal drop: processes gone, home removed.
    let net = CometBftNetwork::start(1).unwrap();
    let (pids, home) = (net.pids(), net.home().to_path_buf());
    assert_eq!(pids.len(), 1);
    assert!(pids.iter().all(|&p| pid_alive(p)));
    drop(net);
    assert!(pids.iter().all(|&p| !pid_alive(p)), "{pids:?} still alive");
    assert!(!home.exists());

    // A panic while the network runs: unwinding kills the node, the home stays with logs.
    let payload = std::panic::catch_unwind(|| {
        let net = CometBftNetwork::start(1).unwrap();
        let info = (net.pids(), net.home().to_path_buf());
        std::panic::panic_any(info);
    })
    .unwrap_err();
    let (pids, home) = *payload.downcast::<(Vec<u32>, PathBuf)>().unwrap();
    assert!(pids.iter().all(|&p| !pid_alive(p)), "{pids:?} still alive");
    assert!(process_running_with(&home.to_string_lossy()).is_empty());
    let log = std::fs::read_to_string(home.join("node0.log")).unwrap();
    assert!(
        log.contains("Committed state") || log.contains("finalized block"),
        "{log}"
    );
    std::fs::remove_dir_all(&home).unwrap();
    eprintln!("[{:>6.2}s] done", t0.elapsed().as_secs_f64());
}

#[test]
fn a_start_that_times_out_reports_the_log_and_leaves_nothing_running() {
    if !require_chains() {
        return;
    }
    let e = CometBftNetwork::builder()
        .validators(1)
        .start_timeout(Duration::from_millis(1))
        .start()
        .unwrap_err();
    let Error::StartTimeout { node, log, .. } = &e else {
        panic!("expected a start timeout, got {e}");
    };
    assert_eq!(node, "cometbft node0");
    let text = e.to_string();
    assert!(text.contains("did not reach height 2"), "{text}");
    assert!(text.contains(&log.display().to_string()), "{text}");
    // The home is kept for its logs; nothing runs from it.
    let home = log.parent().unwrap();
    assert!(log.exists());
    assert!(process_running_with(&home.to_string_lossy()).is_empty());
    std::fs::remove_dir_all(home).unwrap();
}
