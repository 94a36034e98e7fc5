//! `fanout get`'s torrent flags, named and meant as aria2's where aria2
//! has them (`--select` is its `--select-file`, `--seed-ratio`,
//! `--seed-time`), so a script moves over with its flags.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use super::UsageError;
use crate::engine::{EngineConfig, SeedLimits, TorrentOptions};

#[derive(Debug, Args)]
pub struct TorrentArgs {
    /// A torrent's files to download, 1-based as listed: 1,3-4. Only
    /// those are written. Default: all.
    #[arg(long, value_name = "LIST", value_parser = parse_select)]
    pub select: Option<Select>,
    /// Seed a finished torrent until uploaded/size reaches R (0.0: no
    /// ratio limit). Without it or --seed-time, a torrent stops at
    /// completion; with both, the first reached ends seeding.
    #[arg(long, value_name = "R", value_parser = parse_ratio)]
    pub seed_ratio: Option<u64>,
    /// Seed a finished torrent for MINUTES (0: stop at completion).
    #[arg(long, value_name = "MINUTES", value_parser = parse_minutes)]
    pub seed_time: Option<Duration>,
    /// A peer to connect to, HOST:PORT (repeatable), besides those the
    /// trackers and the DHT give.
    #[arg(long = "peer", value_name = "HOST:PORT", value_parser = parse_peer)]
    pub peers: Vec<SocketAddr>,
    #[command(flatten)]
    pub swarm: SwarmArgs,
}

/// Where torrents meet their peers: `fanout get`'s and `fanout serve`'s.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SwarmArgs {
    /// The port torrents' peers connect to (else the settings', or one
    /// the system picks).
    #[arg(long, value_name = "PORT")]
    pub bt_port: Option<u16>,
    /// No DHT and no local peer discovery: torrents' peers come from their
    /// trackers and the peers given only.
    #[arg(long)]
    pub no_dht: bool,
}

impl TorrentArgs {
    pub fn apply(&self, config: &mut EngineConfig) {
        config.torrent.port = self.swarm.bt_port;
        config.torrent.dht = !self.swarm.no_dht;
    }

    pub fn options(&self) -> TorrentOptions {
        TorrentOptions {
            select: self.select.clone().map(|s| s.0),
            peers: self.peers.clone(),
            seed: SeedLimits {
                ratio_milli: self.seed_ratio,
                time: self.seed_time,
            },
            ..TorrentOptions::default()
        }
    }
}

/// `--select`'s files, 0-based (one value to clap, not a list of them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select(pub Vec<usize>);

/// `1,3-4` into 0-based indexes, in order, without repeats.
pub fn parse_select(text: &str) -> Result<Select, UsageError> {
    crate::engine::parse_select(text).map(Select).ok_or_else(|| {
        UsageError(format!(
            "--select {text:?}: expected 1-based numbers and ranges, as 1,3-4"
        ))
    })
}

/// A ratio in thousandths (`1.5` is 1500).
fn parse_ratio(text: &str) -> Result<u64, UsageError> {
    crate::engine::parse_ratio(text).ok_or_else(|| {
        UsageError(format!(
            "--seed-ratio {text:?}: expected a number of 0.0 or more, as 1.0"
        ))
    })
}

fn parse_minutes(text: &str) -> Result<Duration, UsageError> {
    crate::engine::parse_minutes(text)
        .ok_or_else(|| UsageError(format!("--seed-time {text:?}: expected 0 or more minutes, as 30")))
}

fn parse_peer(text: &str) -> Result<SocketAddr, UsageError> {
    crate::engine::parse_peer(text).ok_or_else(|| UsageError(format!("--peer {text:?}: expected HOST:PORT")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_reads_as_aria2s_select_file() {
        assert_eq!(parse_select("1,3-4").unwrap().0, vec![0, 2, 3]);
        assert_eq!(parse_select("2, 2,1").unwrap().0, vec![0, 1]);
        assert!(parse_select("0").is_err());
        assert!(parse_select("3-1").is_err());
        assert!(parse_select("a").is_err());
    }

    #[test]
    fn ratio_and_time_read_as_aria2s() {
        assert_eq!(parse_ratio("1.5").unwrap(), 1500);
        assert_eq!(parse_ratio("0.0").unwrap(), 0);
        assert!(parse_ratio("-1").is_err());
        assert_eq!(parse_minutes("0.5").unwrap(), Duration::from_secs(30));
    }
}
