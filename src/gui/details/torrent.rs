//! The Files and Peers tabs of a torrent: its file tree (the list that
//! chooses them, read-only here) with each file's share written, and the
//! peers connected now with their speeds, as qBittorrent's Content and
//! Peers tabs show them.

use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::service::model::Row;

use super::super::table::speed_text;

pub fn files(ui: &mut egui::Ui, row: &Row) {
    let Some(meta) = &row.torrent else {
        ui.weak(tr!(FilesNotYet));
        return;
    };
    let chosen = meta.files.iter().filter(|f| f.selected).count();
    ui.label(tr!(
        FilesChosen,
        n = chosen,
        total = meta.files.len(),
        size = human_bytes(meta.selected_bytes())
    ));
    let done = row.swarm.as_ref().map_or(&[][..], |s| &s.file_done[..]);
    super::super::torrent_files::show_tree(ui, meta, done);
}

pub fn peers(ui: &mut egui::Ui, row: &Row) {
    let Some(swarm) = &row.swarm else {
        ui.weak(tr!(PeersNotYet));
        return;
    };
    ui.label(tr!(
        PeersSummary,
        peers = swarm.peers.len(),
        seeds = swarm.seeders,
        up = human_bytes(swarm.uploaded)
    ));
    if swarm.peers.is_empty() {
        ui.weak(tr!(PeersNone));
        return;
    }
    egui::Grid::new("details-peers")
        .num_columns(5)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.strong(tr!(PeerAddress));
            ui.strong(tr!(PeerClient));
            ui.strong(tr!(PeerDown));
            ui.strong(tr!(PeerUp));
            ui.strong(tr!(PeerSeeder));
            ui.end_row();
            for p in &swarm.peers {
                ui.label(p.addr.to_string());
                ui.label(p.client.as_deref().unwrap_or("-"));
                ui.label(speed_text(p.download_speed as f64));
                ui.label(speed_text(p.upload_speed as f64));
                ui.label(if p.seeder { tr!(Yes) } else { tr!(No) });
                ui.end_row();
            }
        });
}
