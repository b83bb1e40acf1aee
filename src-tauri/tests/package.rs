//! The Debian package `scripts/package.sh` builds (`make package`), inspected as a user gets
//! it: its control fields and file list (`dpkg-deb -f` / `-c`), its desktop entry
//! (`desktop-file-validate`), and both binaries run from a copy extracted with `dpkg-deb -x`.
//! `POSTGATE_DEB` names the package; `scripts/test.sh` builds one (`--debug`) and sets it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The packages the binaries need at run time: `WebKitGTK` and GTK (the bundler adds these two),
/// the tray library (loaded with `dlopen`, so not in the binaries' dynamic section) and OpenSSL.
const DEPENDS: &[&str] = &["libwebkit2gtk-4.1-0", "libgtk-3-0", "libayatana-appindicator3-1", "libssl3"];
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn deb() -> PathBuf {
    let Some(path) = std::env::var_os("POSTGATE_DEB") else {
        panic!(
            "POSTGATE_DEB is not set: build the package with `scripts/package.sh --debug` and run \
             the test with POSTGATE_DEB=<the path it prints> (scripts/test.sh does both)"
        );
    };
    let path = PathBuf::from(path);
    assert!(path.is_file(), "POSTGATE_DEB={} is not a file", path.display());
    path
}

fn run(command: &mut Command) -> Output {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn stdout(command: &mut Command) -> String {
    String::from_utf8(run(command).stdout).unwrap()
}

/// The package unpacked into a temporary root, as `dpkg` would install it under `/`.
fn extracted() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb").arg("-x").arg(deb()).arg(root.path()));
    root
}

fn field(name: &str) -> String {
    stdout(Command::new("dpkg-deb").arg("-f").arg(deb()).arg(name)).trim().to_owned()
}

#[test]
fn control_names_the_package_and_its_runtime_libraries() {
    assert_eq!(field("Package"), "postgate");
    assert_eq!(field("Version"), VERSION);
    let depends = field("Depends");
    let listed: Vec<&str> = depends.split(',').map(|d| d.split_whitespace().next().unwrap_or_default()).collect();
    for lib in DEPENDS {
        assert!(listed.contains(lib), "Depends lacks {lib}: {depends}");
    }
    // Whatever the binaries link must come from a listed package.
    let root = extracted();
    for binary in ["postgate", "postgate-desktop"] {
        let ldd = stdout(Command::new("ldd").arg(root.path().join("usr/bin").join(binary)));
        assert!(!ldd.contains("not found"), "{binary} links a library this machine lacks:\n{ldd}");
        if ldd.contains("libssl.so.3") {
            assert!(listed.contains(&"libssl3"), "{binary} links libssl.so.3; Depends: {depends}");
        }
    }
}

#[test]
fn contents_are_both_binaries_the_desktop_entry_and_the_icons() {
    let listing = stdout(Command::new("dpkg-deb").arg("-c").arg(deb()));
    // `dpkg-deb -c` lists `./usr/...` or `usr/...` depending on how the archive was written.
    let listing = listing.replace(" ./usr/", " usr/");
    let files: Vec<&str> = listing.lines().filter_map(|l| l.split_whitespace().nth(5)).collect();
    for wanted in [
        "usr/bin/postgate",
        "usr/bin/postgate-desktop",
        "usr/share/applications/postgate.desktop",
        "usr/share/icons/hicolor/32x32/apps/postgate-desktop.png",
        "usr/share/icons/hicolor/128x128/apps/postgate-desktop.png",
        "usr/share/icons/hicolor/256x256/apps/postgate-desktop.png",
    ] {
        assert!(files.contains(&wanted), "{wanted} is not in the package:\n{listing}");
    }
    let binaries = listing.lines().filter(|l| l.contains("usr/bin/") && !l.ends_with('/'));
    for line in binaries {
        assert!(line.starts_with("-rwxr-xr-x 0/0 "), "not an executable owned by root: {line}");
    }
}

#[test]
fn desktop_entry_is_valid_and_launches_the_packaged_console() {
    let root = extracted();
    let entry = root.path().join("usr/share/applications/postgate.desktop");
    run(Command::new("desktop-file-validate").arg(&entry));
    let text = std::fs::read_to_string(&entry).unwrap();
    let value = |key: &str| {
        text.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix('='))).unwrap_or_default()
    };
    assert_eq!(value("Name"), "PostGate");
    assert!(!value("Comment[ru]").is_empty(), "no Russian comment:\n{text}");
    assert_eq!(value("Categories"), "Network;InstantMessaging;");
    let exec = value("Exec");
    assert!(root.path().join("usr/bin").join(exec).is_file(), "Exec={exec} is not a packaged binary");
    let icon = value("Icon");
    assert!(
        root.path().join(format!("usr/share/icons/hicolor/128x128/apps/{icon}.png")).is_file(),
        "Icon={icon} has no packaged PNG"
    );
}

fn packaged(root: &Path, binary: &str) -> Command {
    let mut command = Command::new(root.join("usr/bin").join(binary));
    command.current_dir(root).env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    command
}

#[test]
fn both_packaged_binaries_report_their_version() {
    let root = extracted();
    assert_eq!(stdout(packaged(root.path(), "postgate").arg("--version")).trim(), format!("postgate {VERSION}"));
    assert_eq!(
        stdout(packaged(root.path(), "postgate-desktop").arg("--version")).trim(),
        format!("postgate-desktop {VERSION}")
    );
}

#[test]
fn packaged_console_without_a_display_exits_2_and_names_postgate_serve() {
    let root = extracted();
    let out = packaged(root.path(), "postgate-desktop").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no display") && stderr.contains("postgate serve"), "{stderr}");
}
