//! Child processes that die with their owner, temporary homes, free ports.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::Error;

/// Ports handed out by [`free_port`] in this process (never handed out twice).
static PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A free TCP port on 127.0.0.1: bound to `127.0.0.1:0`, read and released. The same port is
/// never returned twice in one process, so tests running in parallel do not collide with each
/// other; another process may still take it before the node binds it, which the starts detect
/// ("address already in use" in a node's log) and retry with new ports.
pub fn free_port() -> Result<u16, Error> {
    for _ in 0..1000 {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(Error::io("binding 127.0.0.1:0"))?;
        let port = listener
            .local_addr()
            .map_err(Error::io("reading a bound port"))?
            .port();
        drop(listener);
        let mut used = PORTS.lock().unwrap_or_else(|e| e.into_inner());
        if used.insert(port) {
            return Ok(port);
        }
    }
    Err(Error::Io {
        action: "finding a free port".into(),
        error: std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "1000 ports bound in a row were all handed out before",
        ),
    })
}

static DIRS: AtomicU64 = AtomicU64::new(0);

/// A fresh directory under [`std::env::temp_dir`], removed on drop, except when the thread is
/// panicking (a failed test), when [`TempDir::keep`] was called, or when `FERRY_TESTNET_KEEP`
/// is set: then it stays and its path is printed to stderr.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
    keep: bool,
}

impl TempDir {
    /// Creates `ferry-testnet-<label>-<pid>-<n>-<nanos>` under the temp dir.
    pub fn new(label: &str) -> Result<TempDir, Error> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for _ in 0..100 {
            let n = DIRS.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "ferry-testnet-{label}-{}-{n}-{nanos}",
                std::process::id()
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path, keep: false }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::Io {
                        action: format!("creating {}", path.display()),
                        error: e,
                    })
                }
            }
        }
        Err(Error::Io {
            action: "creating a temporary directory".into(),
            error: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "100 names taken"),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the directory when dropped (and prints its path then).
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let keep = self.keep
            || std::thread::panicking()
            || std::env::var_os("FERRY_TESTNET_KEEP").is_some_and(|v| !v.is_empty());
        if keep {
            let logs = list_logs(&self.path);
            let _ = writeln!(
                std::io::stderr(),
                "ferry-testnet: kept {} (logs: {logs})",
                self.path.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn list_logs(dir: &Path) -> String {
    let mut logs: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    logs.sort();
    if logs.is_empty() {
        "none".into()
    } else {
        logs.join(", ")
    }
}

/// Whether the log file holds `needle` anywhere.
pub(crate) fn log_contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
}

/// The last `lines` lines of a log file (at most its last 64 KiB), or why it cannot be read.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let read = || -> std::io::Result<String> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf).into_owned())
    };
    match read() {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            let tail = &all[all.len().saturating_sub(lines)..];
            tail.iter()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        }
        Err(e) => format!("    (cannot read {}: {e})", path.display()),
    }
}

/// On Linux, makes the child get SIGKILL when the thread that spawns it ends (the test
/// process killed, or the thread gone), so no node outlives its test.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and calls only prctl(2) and
    // getppid(2), which are async-signal-safe; it allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before the prctl: then do not start at all.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Renders a command line for messages.
pub(crate) fn command_line(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// A long-running node: stdout and stderr go to its log file; killed (SIGKILL) and reaped on
/// drop.
#[derive(Debug)]
pub(crate) struct Process {
    child: Option<Child>,
    name: String,
    log: PathBuf,
}

impl Process {
    pub(crate) fn spawn(mut cmd: Command, name: &str, log: &Path) -> Result<Process, Error> {
        let out = File::create(log).map_err(Error::io(format!("creating {}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(Error::io(format!("opening {}", log.display())))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(Error::io(format!("starting `{}`", command_line(&cmd))))?;
        Ok(Process {
            child: Some(child),
            name: name.to_string(),
            log: log.to_path_buf(),
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    pub(crate) fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Its exit status if it has exited.
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// [`Error::NodeExited`] for an exit with `status`.
    pub(crate) fn exited_error(&self, status: ExitStatus) -> Error {
        Error::NodeExited {
            node: self.name.clone(),
            status: status.to_string(),
            log: self.log.clone(),
            tail: log_tail(&self.log, 40),
        }
    }

    /// Whether its log says a listener could not bind.
    pub(crate) fn port_taken(&self) -> bool {
        log_tail(&self.log, 200).contains("address already in use")
    }

    /// Kills and reaps the process (idempotent).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a setup command to completion within `timeout` (killed after it), `stdin` written to
/// it; stdout and stderr go to `log` (appended) and are returned as text.
pub(crate) fn run_setup(
    mut cmd: Command,
    stdin: Option<&[u8]>,
    log: &Path,
    timeout: Duration,
) -> Result<String, Error> {
    let line = command_line(&cmd);
    let out_path = log.with_extension(format!("{}.out", DIRS.fetch_add(1, Ordering::Relaxed)));
    let out =
        File::create(&out_path).map_err(Error::io(format!("creating {}", out_path.display())))?;
    let err = out
        .try_clone()
        .map_err(Error::io(format!("opening {}", out_path.display())))?;
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::from(out))
    .stderr(Stdio::from(err));
    die_with_parent(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(Error::io(format!("starting `{line}`")))?;
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A command that exits without reading its input is judged by its status below.
        let _ = pipe.write_all(data);
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("killed after {timeout:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("cannot wait for it: {e}"));
            }
        }
    };
    let output = std::fs::read(&out_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(f, "$ {line}\n{output}");
    }
    match status {
        Ok(s) if s.success() => Ok(output),
        Ok(s) => Err(Error::Setup {
            command: line,
            status: s.to_string(),
            output: tail_text(&output, 40),
        }),
        Err(status) => Err(Error::Setup {
            command: line,
            status,
            output: tail_text(&output, 40),
        }),
    }
}

fn tail_text(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Replaces the value of every line `key = ...` (TOML, at the start of a line) in `file`;
/// fails when the key is not there.
pub(crate) fn set_toml(file: &Path, edits: &[(&str, String)]) -> Result<(), Error> {
    let text =
        std::fs::read_to_string(file).map_err(Error::io(format!("reading {}", file.display())))?;
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (key, value) in edits {
        let mut found = false;
        for line in lines.iter_mut() {
            let is_key = line
                .split_once('=')
                .is_some_and(|(k, _)| k.trim() == *key && !line.starts_with('#'));
            if is_key {
                *line = format!("{key} = {value}");
                found = true;
            }
        }
        if !found {
            return Err(Error::Config {
                file: file.to_path_buf(),
                reason: format!("no `{key} = ...` line to set"),
            });
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(file, out).map_err(Error::io(format!("writing {}", file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_never_handed_out_twice() {
        let ports: Vec<u16> = (0..200).map(|_| free_port().unwrap()).collect();
        let unique: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(unique.len(), ports.len());
        assert!(ports.iter().all(|&p| p != 0));
    }

    #[test]
    fn temp_dirs_are_removed_unless_kept() {
        let d = TempDir::new("unit").unwrap();
        let path = d.path().to_path_buf();
        std::fs::write(path.join("x.log"), "x").unwrap();
        drop(d);
        assert!(!path.exists());
        let mut d = TempDir::new("unit").unwrap();
        d.keep();
        let path = d.path().to_path_buf();
        drop(d);
        assert!(path.exists());
        std::fs::remove_dir_all(path).unwrap();
        // Kept when dropped while panicking (a failed test).
        let path = std::panic::catch_unwind(|| {
            let d = TempDir::new("unit").unwrap();
            let path = d.path().to_path_buf();
            std::panic::panic_any(path)
        })
        .unwrap_err()
        .downcast::<PathBuf>()
        .unwrap();
        assert!(path.exists());
        std::fs::remove_dir_all(*path).unwrap();
    }

    #[test]
    fn toml_edits() {
        let d = TempDir::new("unit").unwrap();
        let f = d.path().join("c.toml");
        std::fs::write(
            &f,
            "# timeout_commit = \"1s\"\ntimeout_commit = \"1s\"\nx = 1\n",
        )
        .unwrap();
        set_toml(&f, &[("timeout_commit", "\"200ms\"".into())]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "# timeout_commit = \"1s\"\ntimeout_commit = \"200ms\"\nx = 1\n"
        );
        assert!(set_toml(&f, &[("nope", "1".into())]).is_err());
    }

    #[test]
    fn setup_commands_time_out_and_report() {
        let d = TempDir::new("unit").unwrap();
        let log = d.path().join("setup.log");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "read x; echo got $x; exit 3"]);
        let e = run_setup(cmd, Some(b"hello\n"), &log, Duration::from_secs(10)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("got hello") && msg.contains("exit status: 3"),
            "{msg}"
        );
        let mut cmd = Command::new("sleep");
        cmd.arg("30");
        let t = Instant::now();
        let e = run_setup(cmd, None, &log, Duration::from_millis(200)).unwrap_err();
        assert!(e.to_string().contains("killed after"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(10));
    }
}
