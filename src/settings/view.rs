//! What only the window keeps of its own layout between runs: whether the
//! Results panel and the details pane show, and the pane's height. No
//! egui here (plain numbers); the window reads and writes them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ViewSettings {
    /// The Results panel (completion order) on the right.
    pub results: bool,
    /// The details pane under the list, for the selected download.
    pub details: bool,
    /// Its height in points, as the user last dragged it.
    pub details_height: f32,
    /// The pane's tab last chosen (qBittorrent and Motrix reopen on it).
    pub details_tab: DetailsTab,
}

/// A tab of the details pane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetailsTab {
    #[default]
    General,
    /// A segmented download's parts (or what a stream or torrent has instead).
    Segments,
    /// A torrent's files.
    Files,
    /// A torrent's peers.
    Peers,
    Headers,
    Log,
    Timeline,
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            results: true,
            details: true,
            details_height: 230.0,
            details_tab: DetailsTab::General,
        }
    }
}
