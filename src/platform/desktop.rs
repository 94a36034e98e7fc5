//! `fanout --install-desktop-entry`: a freedesktop `.desktop` file in the
//! user's data folder (`~/.local/share/applications`), so fanout is in the
//! application menu and "Open with" hands it URLs and lists of URLs. The
//! template ships as `assets/fanout.desktop`; the binary's absolute path
//! and the icon's are filled in (the system package fills the same
//! template with the names on the PATH and in the icon theme). Also how
//! fanout starts a desktop program without waiting for it, and a
//! notification for a front end that has no window to say it in.

use std::io;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = include_str!("../../assets/fanout.desktop");
const ICON: &[u8] = include_bytes!("../../assets/icon.png");

/// Starts `command` with no standard streams and reaps it on a thread of
/// its own whenever it ends (a file opener, the after-batch command): the
/// caller never waits for it.
pub fn spawn_quiet(command: &mut std::process::Command) -> io::Result<()> {
    let mut child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// Shows a desktop notification and waits for the desktop's answer (a
/// front end that is about to exit; the window sends them from a helper
/// thread).
pub fn notify_now(summary: &str, body: &str) -> Result<(), String> {
    notify_rust::Notification::new()
        .appname("fanout")
        .summary(summary)
        .body(body)
        .show()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What was written.
#[derive(Debug)]
pub struct Installed {
    pub entry: PathBuf,
    pub icon: PathBuf,
}

/// The entry for `exe`, with its icon at `icon`. A path with spaces is
/// quoted, as the spec asks.
pub fn entry(exe: &Path, icon: &Path) -> String {
    render(exe, &icon.display().to_string(), "%U")
}

/// The entry a system package installs as
/// `/usr/share/applications/fanout.desktop`: the binary found on the PATH
/// and the icon by its name in the hicolor theme, as the desktop
/// specification asks of installed applications (`fanout desktop-entry`,
/// which `packaging/deb.sh` runs).
pub fn system_entry() -> String {
    render(Path::new("fanout"), "fanout", "%U")
}

/// `Start at login`: the XDG autostart entry, which starts `exe` with the
/// window hidden (in the tray).
pub fn autostart_entry(exe: &Path) -> String {
    render(exe, "fanout", "--hidden") + "X-GNOME-Autostart-enabled=true\n"
}

/// Writes the autostart entry into `autostart_dir` (`~/.config/autostart`)
/// or removes it.
pub fn set_autostart(autostart_dir: &Path, exe: &Path, on: bool) -> io::Result<()> {
    let path = autostart_dir.join("fanout.desktop");
    if on {
        std::fs::create_dir_all(autostart_dir)?;
        std::fs::write(&path, autostart_entry(exe))
    } else {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn render(exe: &Path, icon: &str, args: &str) -> String {
    let exe = exe.display().to_string();
    let exec = if exe.contains([' ', '"', '\'', '\\']) {
        format!("\"{}\"", exe.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        exe
    };
    TEMPLATE
        .replace("@EXEC@", &exec)
        .replace("@ARGS@", args)
        .replace("@ICON@", icon)
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

    #[test]
    fn the_system_entry_runs_fanout_from_the_path_with_the_themed_icon() {
        let e = system_entry();
        assert!(e.contains("Exec=fanout %U\n"), "{e}");
        assert!(e.contains("Icon=fanout\n"), "{e}");
        assert!(!e.contains('@'));
    }

    #[test]
    fn the_autostart_entry_starts_this_binary_hidden_and_goes_when_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let exe = Path::new("/opt/fanout/bin/fanout");
        set_autostart(dir.path(), exe, true).unwrap();
        let text = std::fs::read_to_string(dir.path().join("fanout.desktop")).unwrap();
        assert!(text.contains("Exec=/opt/fanout/bin/fanout --hidden\n"), "{text}");
        assert!(!text.contains("%U"));
        set_autostart(dir.path(), exe, false).unwrap();
        assert!(!dir.path().join("fanout.desktop").exists());
        // Off when it was never on is no error.
        set_autostart(dir.path(), exe, false).unwrap();
    }
}
