//! Preferences › Torrents: the listen port, the DHT, an upload limit, the
//! default seeding limits (whichever is reached first ends seeding), where
//! torrents go, and whether their files are chosen before a byte is
//! written. No egui here; the window's fields are in `gui/preferences/torrents.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::{SeedLimits, TorrentConfig, TorrentOptions};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TorrentSettings {
    /// The port peers connect to; 0: one the system picks.
    pub port: u16,
    /// The DHT and local peer discovery.
    pub dht: bool,
    /// Over all torrents, in KiB/s; 0 = none.
    pub upload_limit_kib: u64,
    /// Seed until uploaded / size reaches this; 0 = no ratio limit.
    pub seed_ratio: f64,
    /// Seed for this many minutes at most; 0 = no time limit. Both 0: no
    /// seeding, a torrent ends when complete.
    pub seed_minutes: u64,
    /// Where torrents go; empty: the download folder.
    pub dir: PathBuf,
    /// A torrent added from the window waits, its metadata known and
    /// nothing written, for its files to be chosen (aria2's
    /// `pause-metadata`).
    pub choose_files: bool,
}

impl Default for TorrentSettings {
    fn default() -> Self {
        TorrentSettings {
            port: 0,
            dht: true,
            upload_limit_kib: 0,
            // Motrix's defaults (aria2's ratio, an hour at most).
            seed_ratio: 1.0,
            seed_minutes: 60,
            dir: PathBuf::new(),
            choose_files: true,
        }
    }
}

impl TorrentSettings {
    /// The engine's side of them.
    pub fn engine_config(&self) -> TorrentConfig {
        TorrentConfig {
            port: (self.port != 0).then_some(self.port),
            dht: self.dht,
            upload_limit: (self.upload_limit_kib > 0).then(|| self.upload_limit_kib.saturating_mul(1024)),
        }
    }

    /// The seeding limits, with aria2's meanings (see [`SeedLimits`]): a
    /// ratio of 0 is no ratio limit, a time of 0 stops at completion.
    pub fn seed(&self) -> SeedLimits {
        let ratio = self.seed_ratio.max(0.0);
        SeedLimits {
            ratio_milli: (ratio > 0.0).then(|| (ratio * 1000.0).round() as u64),
            time: (self.seed_minutes > 0).then(|| Duration::from_secs(self.seed_minutes * 60)),
        }
    }

    /// A torrent added with no one to choose its files (handed to `fanout
    /// serve`): the settings' seeding limits when its line gave none.
    pub fn fill_seeding(&self, options: &mut TorrentOptions) {
        if options.seed == SeedLimits::default() {
            options.seed = self.seed();
        }
    }

    /// A torrent added from the window: the settings' seeding limits when
    /// its line gave none, and the wait to choose its files.
    pub fn fill(&self, options: &mut TorrentOptions) {
        self.fill_seeding(options);
        if self.choose_files && options.select.is_none() {
            options.pause_metadata = true;
        }
    }

    /// The folder torrents go to: the setting, else `download_dir`.
    pub fn folder(&self, download_dir: &Path) -> PathBuf {
        if self.dir.as_os_str().is_empty() {
            download_dir.to_path_buf()
        } else {
            self.dir.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn torrent_settings_are_remembered_across_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        let s = Settings {
            torrent: TorrentSettings {
                port: 51413,
                dht: false,
                upload_limit_kib: 64,
                seed_ratio: 2.5,
                seed_minutes: 90,
                dir: "/srv/torrents".into(),
                choose_files: false,
            },
            ..Settings::default()
        };
        s.save(&path).unwrap();
        let back = Settings::load(&path);
        assert_eq!(back.torrent, s.torrent);
        assert_eq!(back.engine_config().torrent.port, Some(51413));
        // A file from before torrents has the defaults.
        std::fs::write(&path, br#"{"engine":"Async"}"#).unwrap();
        assert_eq!(Settings::load(&path).torrent, TorrentSettings::default());
    }

    #[test]
    fn the_defaults_seed_to_ratio_one_and_empty_fields_mean_none() {
        let s = TorrentSettings::default();
        assert_eq!(s.seed().ratio_milli, Some(1000));
        assert_eq!(s.seed().time, Some(Duration::from_secs(3600)));
        assert_eq!(s.engine_config(), TorrentConfig::default());
        assert_eq!(s.folder(Path::new("/d")), PathBuf::from("/d"));
        let s = TorrentSettings {
            port: 6881,
            dht: false,
            upload_limit_kib: 100,
            seed_ratio: 0.0,
            seed_minutes: 30,
            dir: "/t".into(),
            choose_files: false,
        };
        let c = s.engine_config();
        assert_eq!(
            (c.port, c.dht, c.upload_limit),
            (Some(6881), false, Some(102_400))
        );
        assert_eq!(
            s.seed(),
            SeedLimits {
                ratio_milli: None,
                time: Some(Duration::from_secs(1800))
            }
        );
        assert_eq!(s.folder(Path::new("/d")), PathBuf::from("/t"));
        // A line's own limits win; the files wait only when asked.
        let mut o = TorrentOptions {
            seed: SeedLimits {
                ratio_milli: Some(0),
                time: None,
            },
            ..Default::default()
        };
        s.fill(&mut o);
        assert_eq!(o.seed.ratio_milli, Some(0));
        assert!(!o.pause_metadata);
        let mut o = TorrentOptions::default();
        TorrentSettings::default().fill(&mut o);
        assert!(o.pause_metadata);
        assert_eq!(o.seed.ratio_milli, Some(1000));
    }
}
