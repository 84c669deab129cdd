//! The `ferry config` and `ferry keys` commands end to end: the built binary in temporary
//! homes, its output, files and exit codes.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::Out;
use std::process::{Command, Stdio};

/// `ferry_testnet::TEST_MNEMONIC` (simd's test accounts; public test data).
const TEST_MNEMONIC: &str = "cushion range empty quality decade end index salon tongue desert \
    truly fly crazy joy bunker same fix excuse oblige trip bulk act plate tuition";
/// `simd keys add --recover --index 0 / 1` of it.
const ADDRESS_0: &str = "cosmos15nznpc0xmf2y4fzgmcf4xldmnj8pnhgdrullm3";
const ADDRESS_1: &str = "cosmos1598hgaeejshqjne70yrpzhhdzq3d30ssagpf69";
/// The secret of index 1 (`simd keys export --unarmored-hex`): never to be printed.
const SECRET_1: &str = "9a84a1e728409261442bf7f163d8a1c7e5b023438bb4d968ada440e4b5a8e4ff";

/// A fresh directory standing in for the user's home and the Ferry home.
struct Home(PathBuf);

impl Home {
    fn new(tag: &str) -> Home {
        let dir = std::env::temp_dir().join(format!("ferry-cli-ck-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Home(dir)
    }

    /// The Ferry home (`--home`).
    fn ferry(&self) -> PathBuf {
        self.0.join("ferry")
    }

    fn keys(&self) -> PathBuf {
        self.ferry().join("keys")
    }

    fn config(&self) -> PathBuf {
        self.ferry().join("config.toml")
    }

    /// Runs `ferry ARGS --home <ferry home>` with `stdin`, `$HOME` pointing here and no
    /// `$FERRY_HOME`.
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Out {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.push("--home".into());
        all.push(self.ferry().display().to_string());
        self.raw(&all, stdin, &[])
    }

    fn raw(&self, args: &[String], stdin: Option<&str>, env: &[(&str, &Path)]) -> Out {
        let mut all: Vec<(&str, &Path)> = vec![("HOME", &self.0)];
        all.extend_from_slice(env);
        common::ferry(args, stdin, &all)
    }

    /// `config init` in the Ferry home.
    fn init(&self) {
        let o = self.run(&["config", "init"], None);
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(d) => d
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
fn config_init_writes_a_valid_example_and_refuses_to_overwrite() {
    let h = Home::new("init");
    let o = h.run(&["config", "init"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(&h.config().display().to_string()));
    assert_eq!(
        std::fs::read_to_string(h.config()).unwrap(),
        ferry::config::EXAMPLE
    );
    let o = h.run(&["config", "validate"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("valid (2 chains, 1 path)"),
        "{}",
        o.stdout
    );
    // The example's key is not added yet: a warning, not an error.
    assert!(o
        .stderr
        .contains("warning: chain ferry-a signs with key \"relayer\""));

    // Without --force an existing file stays as it is.
    std::fs::write(h.config(), "# mine\n").unwrap();
    let o = h.run(&["config", "init"], None);
    assert_eq!(o.code, 73);
    assert!(o.stderr.contains("already exists") && o.stderr.contains("--force"));
    assert_eq!(std::fs::read_to_string(h.config()).unwrap(), "# mine\n");
    let o = h.run(&["config", "init", "--force"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(h.config()).unwrap(),
        ferry::config::EXAMPLE
    );
    assert_eq!(files_in(&h.ferry()), ["config.toml"]);

    // --config names another file; --home/--config also work before the subcommand.
    let other = h.0.join("elsewhere").join("relayer.toml");
    let other_s = other.display().to_string();
    let o = h.raw(
        &[
            "config".into(),
            "--config".into(),
            other_s.clone(),
            "init".into(),
        ],
        None,
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(other.is_file());
    assert_eq!(
        h.run(&["config", "validate", "--config", &other_s], None)
            .code,
        0
    );
}

#[test]
fn home_from_ferry_home_then_home() {
    let h = Home::new("envhome");
    let via_env = h.0.join("via-env");
    let o = h.raw(
        &["config".into(), "init".into()],
        None,
        &[("FERRY_HOME", &via_env)],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(via_env.join("config.toml").is_file());
    // Without --home and $FERRY_HOME: ~/.ferry.
    let o = h.raw(&["config".into(), "init".into()], None, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(h.0.join(".ferry").join("config.toml").is_file());
}

#[test]
fn validate_names_line_column_and_field_of_every_problem() {
    let h = Home::new("validate");
    let file = h.0.join("bad.toml");
    std::fs::write(
        &file,
        "\
[global]
log_format = \"xml\"

[[chains]]
id = \"ferry-a\"
rpc = \"tcp://127.0.0.1:26657\"
key = \"relayer\"
gas_price = { amount = 0.025, denom = \"stake\" }
trust_threshold = \"1/4\"
trusting_period = \"0s\"

[[chains]]
id = \"ferry-a\"
rpc = \"http://127.0.0.1:26757\"
key = \"relayer\"
gas_price = { amount = 0.025, denom = \"stake\" }
gas_multiplyer = 1.2

[[paths]]
name = \"a-b\"
a = { chain_id = \"ferry-a\" }
b = { chain_id = \"ferry-c\" }
",
    )
    .unwrap();
    let f = file.display().to_string();
    let o = h.run(&["config", "validate", "--config", &f], None);
    assert_eq!(o.code, 65, "{}", o.stderr);
    assert!(o.stdout.is_empty());
    for expected in [
        format!("{f}:2:14: global.log_format: \"xml\" is not a log format"),
        format!("{f}:6:7: chains[0].rpc: \"tcp://127.0.0.1:26657\": the scheme \"tcp\" is not http or https"),
        format!("{f}:9:19: chains[0].trust_threshold: \"1/4\" is not a trust threshold"),
        format!("{f}:10:19: chains[0].trusting_period: zero"),
        format!("{f}:13:6: chains[1].id: \"ferry-a\" is used twice (first on line 5)"),
        format!("{f}:17:1: chains[1].gas_multiplyer: unknown field"),
        format!("{f}:22:18: paths[0].b.chain_id: no chain \"ferry-c\" is configured"),
    ] {
        assert!(o.stderr.contains(&expected), "{expected}\nin:\n{}", o.stderr);
    }
    assert!(
        o.stderr.contains("invalid configuration: 7 problems"),
        "{}",
        o.stderr
    );

    // A syntax error: its line and column.
    std::fs::write(&file, "[[chains]]\nid = \"a\"\nrpc = http://x\n").unwrap();
    let o = h.run(&["config", "validate", "--config", &f], None);
    assert_eq!(o.code, 65);
    assert!(
        o.stderr.contains(&format!("{f}:3:7: TOML syntax error")),
        "{}",
        o.stderr
    );

    // Not UTF-8: 65; missing or a directory: 66.
    std::fs::write(&file, b"id = \"\xff\"\n").unwrap();
    assert_eq!(
        h.run(&["config", "validate", "--config", &f], None).code,
        65
    );
    let o = h.run(&["config", "validate"], None);
    assert_eq!(o.code, 66);
    assert!(o.stderr.contains("ferry config init"), "{}", o.stderr);
    let d = h.0.display().to_string();
    assert_eq!(
        h.run(&["config", "validate", "--config", &d], None).code,
        66
    );
}

#[test]
fn recovered_keys_have_simds_addresses_and_stay_secret() {
    let h = Home::new("recover");
    h.init();
    let o = h.run(
        &["keys", "add", "val", "--chain", "ferry-a", "--recover"],
        Some(&format!("{TEST_MNEMONIC}\n")),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        o.stdout,
        format!("added key val for chain ferry-a: {ADDRESS_0}\n")
    );
    let o = h.run(
        &[
            "keys",
            "add",
            "relayer",
            "--chain",
            "ferry-b",
            "--recover",
            "--hd-path",
            "m/44'/118'/0'/0/1",
        ],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(ADDRESS_1));
    // Recovering prints no mnemonic.
    assert!(!o.stderr.contains("cushion"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&h.keys()), 0o700);
        assert_eq!(mode(&h.keys().join("relayer.json")), 0o600);
        assert_eq!(mode(&h.ferry()), 0o700);
    }
    assert_eq!(files_in(&h.keys()), ["relayer.json", "val.json"]);
    // The file holds the derived key, not the mnemonic.
    let file = std::fs::read_to_string(h.keys().join("relayer.json")).unwrap();
    assert!(file.contains(SECRET_1) && !file.contains("cushion"));

    let o = h.run(&["keys", "show", "relayer"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(&format!("address: {ADDRESS_1}")));
    assert!(o.stdout.contains(
        "public_key: 03c335bb44d4456a7a35f133f6b777f5550fd71809e27c2d095e3fbe21d4e0c3c5"
    ));
    assert!(o.stdout.contains("hd_path: m/44'/118'/0'/0/1"));
    let o = h.run(&["keys", "show", "relayer", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v["address"], ADDRESS_1);
    assert_eq!(v["chain_id"], "ferry-b");
    let o = h.run(&["keys", "list"], None);
    assert_eq!(o.code, 0);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", o.stdout);
    assert!(lines[0].starts_with("relayer") && lines[0].contains(ADDRESS_1));
    assert!(lines[1].starts_with("val") && lines[1].contains(ADDRESS_0));
    let o = h.run(&["keys", "list", "--json"], None);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    // No command prints the secret.
    for args in [
        &["keys", "show", "relayer"][..],
        &["keys", "show", "relayer", "--json"],
        &["keys", "list"],
        &["keys", "list", "--json"],
    ] {
        let o = h.run(args, None);
        assert!(!o.stdout.contains(SECRET_1) && !o.stderr.contains(SECRET_1));
    }
    // Now the config's key exists: no warning.
    let o = h.run(&["config", "validate"], None);
    assert_eq!(o.code, 0);
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
}

#[test]
fn new_key_shows_its_mnemonic_once_on_stderr() {
    let h = Home::new("new");
    h.init();
    let o = h.run(&["keys", "add", "fresh", "--chain", "ferry-a"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let address = o.stdout.trim().rsplit(' ').next().unwrap().to_string();
    assert!(address.starts_with("cosmos1"), "{}", o.stdout);
    assert!(o.stderr.contains("WARNING"));
    // The mnemonic: the one line of 24 words on stderr, nowhere on stdout.
    let phrase = o
        .stderr
        .lines()
        .find(|l| l.split(' ').count() == 24)
        .expect("a 24-word line")
        .to_string();
    for word in phrase.split(' ').filter(|w| w.len() > 5) {
        assert!(!o.stdout.contains(word));
    }
    // Recovered, it is the same key.
    let o = h.run(
        &["keys", "add", "again", "--chain", "ferry-a", "--recover"],
        Some(&phrase),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(&address));
    // Two new keys differ.
    let o = h.run(&["keys", "add", "other", "--chain", "ferry-a"], None);
    assert!(!o.stdout.contains(&address));
    simd_agrees(&h, &phrase, &address);
}

/// When the real `simd` is installed (`scripts/chains/install.sh`), it recovers the same
/// address from a mnemonic Ferry made.
fn simd_agrees(h: &Home, phrase: &str, address: &str) {
    let dir = match std::env::var_os("FERRY_CHAINS") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/chains"),
    };
    let simd = dir.join("simd");
    if !simd.is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no simd at {}",
            simd.display()
        );
        eprintln!("SKIPPED (no simd): the simd cross-check of a new mnemonic");
        return;
    }
    let mut child = Command::new(&simd)
        .args(["keys", "add", "k", "--recover", "--keyring-backend", "test"])
        .args(["--output", "json", "--home"])
        .arg(h.0.join("simd"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that exits before reading stdin breaks the pipe: not this test's concern.
    if let Err(e) = child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{phrase}\n").as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("\"address\":\"{address}\"")),
        "{text}"
    );
}

#[test]
fn refusals_write_nothing() {
    let h = Home::new("refuse");
    // No config: 66, nothing created.
    let o = h.run(
        &["keys", "add", "k", "--chain", "ferry-a", "--recover"],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 66, "{}", o.stderr);
    assert!(o.stderr.contains("ferry config init"));
    assert!(!h.ferry().exists());

    h.init();
    let add = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["keys", "add"];
        all.extend_from_slice(args);
        h.run(&all, stdin)
    };
    for (args, stdin, code, needle) in [
        (
            &["k", "--chain", "ferry-z"][..],
            None,
            64,
            "no chain \"ferry-z\"",
        ),
        (
            &["../k", "--chain", "ferry-a"],
            None,
            64,
            "invalid key name",
        ),
        (
            &["k", "--chain", "ferry-a", "--hd-path", "44/118"],
            None,
            64,
            "HD path",
        ),
        (
            &["k", "--chain", "ferry-a", "--recover"],
            Some(""),
            65,
            "no mnemonic",
        ),
        (
            &["k", "--chain", "ferry-a", "--recover"],
            Some("cushion range empty"),
            65,
            "3 words",
        ),
        (
            &["k", "--chain", "ferry-a", "--recover"],
            Some(&TEST_MNEMONIC.replace("tuition", "abandon")),
            65,
            "checksum",
        ),
        // The mnemonic is never taken from the command line.
        (&["k", TEST_MNEMONIC, "--chain", "ferry-a"], None, 64, ""),
    ] {
        let o = add(args, stdin);
        assert_eq!(o.code, code, "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(needle), "{args:?}: {}", o.stderr);
        assert!(!h.keys().exists(), "{args:?} wrote the store");
    }

    // An existing key is never replaced.
    assert_eq!(
        add(
            &["k", "--chain", "ferry-a", "--recover"],
            Some(TEST_MNEMONIC)
        )
        .code,
        0
    );
    let before = std::fs::read(h.keys().join("k.json")).unwrap();
    for (args, stdin) in [
        (&["k", "--chain", "ferry-b"][..], None),
        (
            &[
                "k",
                "--chain",
                "ferry-b",
                "--recover",
                "--hd-path",
                "m/44'/118'/0'/0/3",
            ],
            Some(TEST_MNEMONIC),
        ),
    ] {
        let o = add(args, stdin);
        assert_eq!(o.code, 73, "{}", o.stderr);
        assert!(o.stderr.contains("already exists"), "{}", o.stderr);
        // A refused new key shows no mnemonic.
        assert!(!o.stderr.contains("WARNING"));
    }
    assert_eq!(std::fs::read(h.keys().join("k.json")).unwrap(), before);
    assert_eq!(files_in(&h.keys()), ["k.json"]);

    // An invalid config: 65 with its problems, nothing written.
    std::fs::write(h.config(), "[[chains]]\nid = 1\n").unwrap();
    let o = add(
        &["k2", "--chain", "ferry-a", "--recover"],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 65, "{}", o.stderr);
    assert!(
        o.stderr.contains(":2:6: chains[0].id: expected a string"),
        "{}",
        o.stderr
    );
    assert_eq!(files_in(&h.keys()), ["k.json"]);
}

#[test]
fn show_list_and_delete() {
    let h = Home::new("delete");
    // No config and no keys: an empty list.
    let o = h.run(&["keys", "list"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.is_empty() && o.stderr.contains("no keys"));
    assert_eq!(h.run(&["keys", "list", "--json"], None).stdout, "[]\n");
    let o = h.run(&["keys", "show", "relayer"], None);
    assert_eq!(o.code, 66);
    assert!(o.stderr.contains("no key named \"relayer\""));

    h.init();
    for (name, path) in [("a", "m/44'/118'/0'/0/0"), ("b", "m/44'/118'/0'/0/1")] {
        let o = h.run(
            &[
                "keys",
                "add",
                name,
                "--chain",
                "ferry-a",
                "--recover",
                "--hd-path",
                path,
            ],
            Some(TEST_MNEMONIC),
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
    }
    // Not confirmed: nothing deleted, exit 1.
    for answer in ["n\n", "", "maybe\n"] {
        let o = h.run(&["keys", "delete", "a"], Some(answer));
        assert_eq!(o.code, 1, "{}", o.stderr);
        assert!(o.stderr.contains(ADDRESS_0), "{}", o.stderr);
        assert!(o.stderr.contains("not deleted"));
    }
    assert_eq!(files_in(&h.keys()), ["a.json", "b.json"]);
    let o = h.run(&["keys", "delete", "a"], Some("y\n"));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains(&format!("deleted key a ({ADDRESS_0}")));
    let o = h.run(&["keys", "delete", "b", "--yes"], None);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(files_in(&h.keys()).is_empty());
    assert_eq!(h.run(&["keys", "delete", "b", "--yes"], None).code, 66);

    // A corrupt key file: named by list (65, the others still listed), deletable.
    for name in ["good", "bad"] {
        let o = h.run(
            &["keys", "add", name, "--chain", "ferry-a", "--recover"],
            Some(TEST_MNEMONIC),
        );
        assert_eq!(o.code, 0);
    }
    std::fs::write(h.keys().join("bad.json"), "{}").unwrap();
    let o = h.run(&["keys", "list"], None);
    assert_eq!(o.code, 65);
    assert!(o.stdout.contains("good"));
    assert!(
        o.stderr.contains("bad.json: not a valid key file"),
        "{}",
        o.stderr
    );
    assert_eq!(h.run(&["keys", "show", "bad"], None).code, 65);
    assert_eq!(h.run(&["keys", "delete", "bad", "--yes"], None).code, 0);
    assert_eq!(files_in(&h.keys()), ["good.json"]);
}

#[test]
fn data_dir_from_the_config() {
    let h = Home::new("datadir");
    h.init();
    let text = std::fs::read_to_string(h.config()).unwrap();
    std::fs::write(
        h.config(),
        text.replace("# data_dir = \"~/.ferry\"", "data_dir = \"state\""),
    )
    .unwrap();
    let o = h.run(
        &["keys", "add", "relayer", "--chain", "ferry-a", "--recover"],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(h.ferry().join("state/keys/relayer.json").is_file());
    assert!(!h.keys().exists());
    assert_eq!(h.run(&["keys", "show", "relayer"], None).code, 0);
    // "~/..." is under $HOME.
    std::fs::write(
        h.config(),
        text.replace("# data_dir = \"~/.ferry\"", "data_dir = \"~/elsewhere\""),
    )
    .unwrap();
    let o = h.run(
        &["keys", "add", "relayer", "--chain", "ferry-a", "--recover"],
        Some(TEST_MNEMONIC),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(h.0.join("elsewhere/keys/relayer.json").is_file());
}
