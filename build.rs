//! Names the commit fanout is built from, for `fanout --version` (issue
//! 28): a bug report then says which code it is about.
//!
//! In a git checkout this is `git rev-parse --short HEAD`, with `-dirty`
//! when what goes into the binary (sources, manifest, lock file, assets,
//! vendored crates) differs from that commit. Outside one (a crate
//! tarball, a distribution's source package) it is `$FANOUT_COMMIT`, which
//! a packager sets, else `unknown`. Only a checkout of this very package
//! counts: a tarball unpacked inside some other repository must not take
//! that repository's commit.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What goes into the binary: a change here makes the build `-dirty`.
const INPUTS: &[&str] = &["src", "build.rs", "Cargo.toml", "Cargo.lock", "assets", "vendor"];

/// Of those, the ones whose change reruns this script (HEAD alone would
/// miss an edit made after the commit). Not all of them: a rerun rebuilds
/// the whole package, and an edit of Cargo.toml's metadata or a new
/// screenshot is no reason to; an edit there alone may then go unmarked
/// until the next commit or source edit.
const WATCHED: &[&str] = &["src", "build.rs", "Cargo.lock"];

fn main() {
    println!("cargo:rerun-if-env-changed=FANOUT_COMMIT");
    let commit = from_git().unwrap_or_else(|| {
        std::env::var("FANOUT_COMMIT")
            .ok()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unknown".to_string())
    });
    println!("cargo:rustc-env=FANOUT_COMMIT={commit}");
}

/// `git` in the package's folder, its output trimmed; `None` when git is
/// missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        // Never rewrite the index from a build (another git command may
        // hold it): `git status` otherwise refreshes it opportunistically.
        .arg("--no-optional-locks")
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn from_git() -> Option<String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    let short = git(&["rev-parse", "--short", "HEAD"])?;
    for path in watched(&manifest_dir) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
    let mut status = vec!["status", "--porcelain", "--"];
    status.extend(INPUTS);
    let dirty = !git(&status)?.is_empty();
    Some(if dirty { format!("{short}-dirty") } else { short })
}

/// The files whose change means HEAD moved: HEAD itself (a checkout), the
/// branch's ref (a commit) and `packed-refs` (after `git gc`), in a
/// worktree's own git folder or the shared one as git says; and the
/// watched inputs. A file that does not exist is never named (cargo would rerun
/// every build): a branch not yet written loose is watched by its folder.
fn watched(manifest_dir: &Path) -> Vec<PathBuf> {
    let git_path = |p: &str| git(&["rev-parse", "--git-path", p]).map(|p| manifest_dir.join(p));
    let mut paths: Vec<PathBuf> = ["HEAD", "packed-refs"]
        .iter()
        .filter_map(|p| git_path(p))
        .collect();
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(file) = git_path(&branch)
    {
        match file.exists() {
            true => paths.push(file),
            false => paths.extend(file.parent().map(Path::to_path_buf)),
        }
    }
    paths.extend(WATCHED.iter().map(|i| manifest_dir.join(i)));
    paths.retain(|p| p.exists());
    paths
}
