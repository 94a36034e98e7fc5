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
}

impl Default for ViewSettings {
    fn default() -> Self {
        ViewSettings {
            results: true,
            details: true,
            details_height: 230.0,
        }
    }
}
