//! The ranges of a segmented download, and how connections share them:
//! which range a free connection takes next, and what is still missing.
//! Pure bookkeeping, with no I/O, so it is tested on its own.

/// A range is split only if at least this much of it is left: below that
/// a new request costs more than it saves.
pub(super) const MIN_SPLIT: u64 = 1024 * 1024;

/// One range of the file: bytes `[done, end)` are still to be written;
/// `[done, reserved)` are in its connection's buffer; `[start, done)` are
/// written (kept for the details pane's map: how far each part got).
#[derive(Clone, Debug)]
pub(super) struct Seg {
    pub(super) start: u64,
    pub(super) done: u64,
    pub(super) reserved: u64,
    pub(super) end: u64,
    pub(super) owned: bool,
}

/// A range for a free connection: one nobody works on, else the back half
/// of the largest one left (whose owner's end moves in to the middle).
pub(super) fn claim(segs: &mut Vec<Seg>) -> Option<(usize, u64, u64)> {
    if let Some(i) = segs.iter().position(|s| !s.owned && s.done < s.end) {
        let s = &mut segs[i];
        s.owned = true;
        s.reserved = s.done;
        return Some((i, s.done, s.end));
    }
    let (i, left) = segs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.owned)
        .map(|(i, s)| (i, s.end - s.reserved))
        .max_by_key(|&(_, left)| left)?;
    if left < MIN_SPLIT {
        return None;
    }
    let s = &mut segs[i];
    let mid = s.reserved + left / 2;
    let end = s.end;
    s.end = mid;
    segs.push(Seg {
        start: mid,
        done: mid,
        reserved: mid,
        end,
        owned: true,
    });
    Some((segs.len() - 1, mid, end))
}

/// Bytes still to be written over all ranges.
pub(super) fn remaining(segs: &[Seg]) -> u64 {
    segs.iter().map(|s| s.end - s.done).sum()
}

/// The ranges `[from, to)` still missing, in file order: what the control
/// file records.
pub(super) fn missing(segs: &[Seg]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = segs
        .iter()
        .filter(|s| s.done < s.end)
        .map(|s| (s.done, s.end))
        .collect();
    out.sort_unstable();
    out
}

/// The parts as the details pane draws them, in file order.
pub(super) fn map(segs: &[Seg], total: u64) -> crate::job::SegmentMap {
    let mut parts: Vec<crate::job::Part> = segs
        .iter()
        .map(|s| crate::job::Part {
            start: s.start,
            end: s.end,
            done: s.done,
        })
        .collect();
    parts.sort_unstable_by_key(|p| p.start);
    crate::job::SegmentMap { total, parts }
}

/// The ranges of a new segmented transfer: `n` equal ones; the first is
/// the first connection's, already reading from byte 0.
pub(super) fn fresh(total: u64, n: usize) -> Vec<Seg> {
    let n = n as u64;
    (0..n)
        .map(|i| Seg {
            start: total * i / n,
            done: total * i / n,
            reserved: total * i / n,
            end: total * (i + 1) / n,
            owned: i == 0,
        })
        .collect()
}

pub(super) fn resumed(missing: &[(u64, u64)]) -> Vec<Seg> {
    missing
        .iter()
        .filter(|(a, b)| a < b)
        .map(|&(a, b)| Seg {
            start: a,
            done: a,
            reserved: a,
            end: b,
            owned: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ranges_cover_the_file_once() {
        for (total, n) in [(100u64, 3usize), (16 << 20, 8), (7, 7)] {
            let segs = fresh(total, n);
            assert_eq!(segs.len(), n);
            assert_eq!(segs[0].done, 0);
            assert_eq!(segs[n - 1].end, total);
            for w in segs.windows(2) {
                assert_eq!(w[0].end, w[1].done);
            }
            assert!(segs[0].owned && segs[1..].iter().all(|s| !s.owned));
        }
    }

    #[test]
    fn a_free_connection_takes_unowned_ranges_then_half_of_the_largest() {
        let mb = 1024 * 1024;
        let mut segs = fresh(8 * mb, 2);
        // The second range is nobody's yet: it goes first.
        assert_eq!(claim(&mut segs), Some((1, 4 * mb, 8 * mb)));
        // Both owned; the first has 3 MB left, the second 1 MB.
        segs[0].reserved = mb;
        segs[1].reserved = 7 * mb;
        let mid = mb + 3 * mb / 2;
        assert_eq!(claim(&mut segs), Some((2, mid, 4 * mb)));
        assert_eq!(segs[0].end, mid);
        // Everything left is under the split size: nothing to take.
        segs[0].reserved = mid - 10;
        segs[1].reserved = 8 * mb - 10;
        segs[2].reserved = 4 * mb - 10;
        assert_eq!(claim(&mut segs), None);
        // A range given up (its connection failed) is taken again from
        // what was written.
        segs[2].owned = false;
        segs[2].done = 3 * mb;
        assert_eq!(claim(&mut segs), Some((2, 3 * mb, 4 * mb)));
    }

    #[test]
    fn the_map_shows_each_part_from_where_it_began_in_file_order() {
        let mb = 1024 * 1024;
        let mut segs = fresh(8 * mb, 2);
        claim(&mut segs);
        segs[0].done = mb;
        segs[0].reserved = mb;
        segs[1].reserved = 7 * mb;
        // The first part's back half goes to a third connection.
        let mid = mb + 3 * mb / 2;
        assert_eq!(claim(&mut segs), Some((2, mid, 4 * mb)));
        let m = map(&segs, 8 * mb);
        let spans: Vec<_> = m.parts.iter().map(|p| (p.start, p.end, p.written())).collect();
        assert_eq!(spans, [(0, mid, mb), (mid, 4 * mb, 0), (4 * mb, 8 * mb, 0)]);
        // A resumed part begins where its missing bytes do.
        let m = map(&resumed(&[(5, 10), (20, 30)]), 30);
        assert_eq!((m.parts[1].start, m.parts[1].len()), (20, 10));
    }
}
