//! Helpers shared by the CLI tests: running the built `ferry` binary and what it answered.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What a run of `ferry` gave: exit code (-1 when killed by a signal) and output.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the built `ferry` with `args`, `stdin` (none: `/dev/null`), no `$FERRY_HOME`, and the
/// variables of `env` set.
pub fn ferry<S: AsRef<OsStr>>(args: &[S], stdin: Option<&str>, env: &[(&str, &Path)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.args(args)
        .env_remove("FERRY_HOME")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        // A command refused before it reads stdin exits without reading it: the write then
        // fails with a broken pipe, which is not the test's concern (its exit code and output
        // are).
        if let Err(e) = child.stdin.take().unwrap().write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `ferry ARGS --home HOME`.
pub fn ferry_in(home: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    all.push(OsStr::new("--home"));
    all.push(home.as_os_str());
    ferry(&all, stdin, &[])
}

/// Prints the time since the test's start with what was just done.
pub fn mark(start: Instant, what: &str) {
    eprintln!("[{:>6.2}s] {what}", start.elapsed().as_secs_f64());
}
