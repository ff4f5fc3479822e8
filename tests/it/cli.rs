//! Black-box tests of the `strata` binary's command line.

use std::process::Command;

use proto::{Lsn, Record, frame};

fn strata() -> Command {
    Command::new(env!("CARGO_BIN_EXE_strata"))
}

#[test]
fn help_explains_itself() {
    let out = strata().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("waldump"), "{text}");
}

#[test]
fn waldump_prints_records_of_a_file() {
    let dir = std::env::temp_dir().join(format!("strata-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wal");
    let mut wal = Vec::new();
    for ts in 0..5 {
        wal.extend_from_slice(&frame::encode_record(&Record::commit(ts, vec![])));
    }
    wal.resize(wal.len() + 4096, 0);
    std::fs::write(&path, &wal).unwrap();
    let out = strata()
        .args(["waldump", "--start", "0/1000000"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(stdout.starts_with(&format!("lsn {}..", Lsn::TIMELINE_START)));

    // A corrupt byte is reported with its offset, and the exit code says so.
    let mut bad = wal.clone();
    bad[30] ^= 0xff;
    std::fs::write(&path, &bad).unwrap();
    let out = strata().arg("waldump").arg(&path).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("corrupt WAL"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
