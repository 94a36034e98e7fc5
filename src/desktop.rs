//! `fanout --install-desktop-entry`: a freedesktop `.desktop` file in the
//! user's data folder (`~/.local/share/applications`), so fanout is in the
//! application menu and "Open with" hands it URLs and lists of URLs. The
//! template ships as `assets/fanout.desktop`; the binary's absolute path
//! and the icon's are filled in.

use std::io;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = include_str!("../assets/fanout.desktop");
const ICON: &[u8] = include_bytes!("../assets/icon.png");

/// What was written.
#[derive(Debug)]
pub struct Installed {
    pub entry: PathBuf,
    pub icon: PathBuf,
}

/// The entry for `exe`, with its icon at `icon`. A path with spaces is
/// quoted, as the spec asks.
pub fn entry(exe: &Path, icon: &Path) -> String {
    let exe = exe.display().to_string();
    let exec = if exe.contains([' ', '"', '\'', '\\']) {
        format!("\"{}\"", exe.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        exe
    };
    TEMPLATE
        .replace("@EXEC@", &exec)
        .replace("@ICON@", &icon.display().to_string())
}

/// Writes the entry and the icon under `data_dir` (the XDG data home).
pub fn install(data_dir: &Path, exe: &Path) -> io::Result<Installed> {
    let icon = data_dir.join("icons/hicolor/256x256/apps/fanout.png");
    let entry_path = data_dir.join("applications/fanout.desktop");
    for p in [&icon, &entry_path] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
    }
    std::fs::write(&icon, ICON)?;
    std::fs::write(&entry_path, entry(exe, &icon))?;
    Ok(Installed {
        entry: entry_path,
        icon,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_runs_this_binary_with_the_urls() {
        let e = entry(Path::new("/opt/my apps/fanout"), Path::new("/i/fanout.png"));
        assert!(e.contains("Exec=\"/opt/my apps/fanout\" %U\n"), "{e}");
        assert!(e.contains("Icon=/i/fanout.png\n"));
        assert!(e.contains("StartupWMClass=fanout\n"));
        assert!(!e.contains('@'));
    }
}
