//! Waiting downloads dropped next to another in the queue (the window's
//! drag and drop): the queue the engine starts them from, changed by its
//! own moves so that the window, `fanout serve` and the RPC see the same
//! order.

use super::Downloads;
use crate::engine::Place;

/// Which side of the row they were dropped on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Before,
    After,
}

/// The queue once `moved` (kept in their order in it) stand on `side`
/// of `target`; `None` when that changes nothing to do (the target is one
/// of them, or not waiting).
pub fn dropped(queue: &[usize], moved: &[usize], target: usize, side: Side) -> Option<Vec<usize>> {
    if moved.contains(&target) {
        return None;
    }
    let moving: Vec<usize> = queue.iter().copied().filter(|i| moved.contains(i)).collect();
    if moving.is_empty() {
        return None;
    }
    let mut rest: Vec<usize> = queue.iter().copied().filter(|i| !moved.contains(i)).collect();
    let at = rest.iter().position(|&i| i == target)? + usize::from(side == Side::After);
    rest.splice(at..at, moving);
    Some(rest)
}

/// The moves that turn `queue` into `want` one at a time, as the engine
/// (and aria2's `changePosition`) moves: each download and its place from
/// the head.
pub fn moves(mut queue: Vec<usize>, want: &[usize]) -> Vec<(usize, Place)> {
    let mut out = Vec::new();
    for (k, &i) in want.iter().enumerate() {
        if queue.get(k) != Some(&i) {
            queue.retain(|&j| j != i);
            queue.insert(k.min(queue.len()), i);
            out.push((i, Place::FromStart(k as i64)));
        }
    }
    out
}

impl Downloads {
    /// Puts the waiting downloads `moved` on `side` of the waiting
    /// `target` in the engine's queue; false if nothing moved.
    pub fn drop_next_to(&mut self, moved: &[usize], target: usize, side: Side) -> bool {
        let Some(engine) = &self.engine else {
            return false;
        };
        let queue = engine.waiting();
        let Some(want) = dropped(&queue, moved, target, side) else {
            return false;
        };
        for (i, place) in moves(queue, &want) {
            engine.move_to(i, place);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_rows_land_beside_the_target_in_their_own_order() {
        let queue = [4, 1, 7, 2, 9];
        assert_eq!(
            dropped(&queue, &[9, 1], 7, Side::Before),
            Some(vec![4, 1, 9, 7, 2])
        );
        assert_eq!(dropped(&queue, &[4], 9, Side::After), Some(vec![1, 7, 2, 9, 4]));
        assert_eq!(dropped(&queue, &[2], 4, Side::Before), Some(vec![2, 4, 1, 7, 9]));
        assert_eq!(dropped(&queue, &[7], 7, Side::After), None, "onto itself");
        assert_eq!(dropped(&queue, &[3], 7, Side::After), None, "not waiting");
        assert_eq!(dropped(&queue, &[1], 3, Side::After), None, "target not waiting");
        // One move is enough to put 9 after 1, before 7.
        let want = dropped(&queue, &[9, 1], 7, Side::Before).unwrap();
        assert_eq!(moves(queue.to_vec(), &want), [(9, Place::FromStart(2))]);
        // Each move applied in turn gives the queue wanted.
        let want = dropped(&queue, &[9, 4], 7, Side::Before).unwrap();
        assert_eq!(want, [1, 4, 9, 7, 2]);
        let mut now = queue.to_vec();
        for (i, place) in moves(queue.to_vec(), &want) {
            let Place::FromStart(k) = place else {
                unreachable!()
            };
            now.retain(|&j| j != i);
            now.insert(k as usize, i);
        }
        assert_eq!(now, want);
    }
}
