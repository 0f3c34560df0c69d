//! `nixbench watch ssh://...` against a real sshd on 127.0.0.1 with throwaway keys: the connection is
//! cut mid-log and the lines seen must equal reading the whole file: none lost, none repeated.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::{fixture, require};

struct Sshd {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

fn start_sshd() -> Option<Sshd> {
    if !require("ssh") || !require("ssh-keygen") {
        return None;
    }
    let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(sshd) = sshd else {
        assert!(
            !crate::strict(),
            "sshd is required under CI (openssh-server)"
        );
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    keygen(&d.join("host_key"));
    keygen(&d.join("client_key"));
    std::fs::copy(d.join("client_key.pub"), d.join("authorized_keys")).unwrap();
    let _ = std::fs::create_dir_all("/run/sshd");
    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\nPidFile {d}/sshd.pid\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n",
        d = d.display()
    );
    std::fs::write(d.join("sshd_config"), config).unwrap();
    let child = Command::new(sshd)
        .arg("-D")
        .arg("-e")
        .arg("-f")
        .arg(d.join("sshd_config"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "sshd did not start"
        );
        sleep(Duration::from_millis(50));
    }
    // The client side: the system ssh with this test's key, as NIXBENCH_SSH.
    let wrapper = d.join("ssh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec ssh -i {}/client_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \"$@\"\n",
            d.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    Some(Sshd { child, port, dir })
}

fn user() -> String {
    String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string()
}

fn log_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.contains("> "))
        .map(str::to_string)
        .collect()
}

#[test]
fn ssh_watch_survives_a_cut_connection_without_losing_or_repeating_lines() {
    let Some(sshd) = start_sshd() else { return };
    let full = std::fs::read(fixture(
        "golden/nix-2.8.0/build-failure-keep-going.internal-json",
    ))
    .unwrap();
    let remote: PathBuf = sshd.dir.path().join("remote build.log");
    // The first part ends in the middle of a line.
    let cut = full.len() / 2 + 7;
    assert_ne!(full[cut - 1], b'\n');
    std::fs::write(&remote, &full[..cut]).unwrap();

    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        user(),
        sshd.port,
        remote.display()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_nixbench"))
        .args(["watch", "--plain", &url])
        .env("NIXBENCH_SSH", sshd.dir.path().join("ssh"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it read the first part, then cut the connection by killing the remote tail.
    sleep(Duration::from_millis(1500));
    let killed = Command::new("pkill")
        .arg("-f")
        .arg(format!("tail -c .* -F .*{}", "remote build.log"))
        .status()
        .unwrap();
    assert!(killed.success(), "the remote tail was running");
    sleep(Duration::from_millis(300));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&remote)
        .unwrap();
    file.write_all(&full[cut..]).unwrap();
    drop(file);

    let output = wait_with_timeout(child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("reconnecting"),
        "the cut was noticed: {stderr}"
    );

    let direct = assert_cmd::Command::cargo_bin("nixbench")
        .unwrap()
        .args(["watch", "--plain", "--no-follow"])
        .arg(fixture(
            "golden/nix-2.8.0/build-failure-keep-going.internal-json",
        ))
        .output()
        .unwrap();
    let expected = log_lines(&direct.stdout);
    assert!(expected.len() > 400);
    assert_eq!(log_lines(&output.stdout), expected);
    assert_eq!(output.status.code(), Some(1), "the watched build failed");
}

#[test]
fn ssh_watch_follows_two_remote_logs_at_once() {
    let Some(sshd) = start_sshd() else { return };
    let failure = fixture("golden/nix-2.8.0/build-failure-keep-going.internal-json");
    let success = fixture("golden/nix-2.8.0/build-success.internal-json");
    let (one, two) = (
        sshd.dir.path().join("ci-one.log"),
        sshd.dir.path().join("ci-two.log"),
    );
    std::fs::copy(&failure, &one).unwrap();
    std::fs::copy(&success, &two).unwrap();
    let url = |path: &std::path::Path| {
        format!("ssh://{}@127.0.0.1:{}{}", user(), sshd.port, path.display())
    };
    let child = Command::new(env!("CARGO_BIN_EXE_nixbench"))
        .args(["watch", "--plain", &url(&one), &url(&two)])
        .env("NIXBENCH_SSH", sshd.dir.path().join("ssh"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_with_timeout(child, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1), "one of the builds failed");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    // Both remote logs arrive whole, each under its own label (the same host twice: #2).
    for (log, label) in [(&failure, "[127.0.0.1] "), (&success, "[127.0.0.1#2] ")] {
        let direct = assert_cmd::Command::cargo_bin("nixbench")
            .unwrap()
            .args(["watch", "--plain", "--no-follow"])
            .arg(log)
            .output()
            .unwrap();
        let prefixed: Vec<u8> = text
            .lines()
            .filter_map(|l| l.strip_prefix(label))
            .flat_map(|l| format!("{l}\n").into_bytes())
            .collect();
        assert_eq!(log_lines(&prefixed), log_lines(&direct.stdout), "{label}");
    }
}

fn wait_with_timeout(mut child: Child, limit: Duration) -> std::process::Output {
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "nixbench watch did not finish; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        sleep(Duration::from_millis(100));
    }
}

#[test]
fn unreachable_host_is_a_clear_error() {
    if !require("ssh") {
        return;
    }
    let port = free_port();
    let out = assert_cmd::Command::cargo_bin("nixbench")
        .unwrap()
        .args([
            "watch",
            "--plain",
            &format!("ssh://127.0.0.1:{port}/var/log/build.json"),
        ])
        .env("NIXBENCH_SSH", "ssh")
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let stderr = String::from_utf8_lossy(&out);
    assert!(
        stderr.contains("cannot read /var/log/build.json over ssh"),
        "{stderr}"
    );
    assert!(
        stderr.contains("refused") || stderr.contains("closed"),
        "{stderr}"
    );
}
