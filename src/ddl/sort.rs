//! Ordering: a stable pre-sort by section, object-kind priority and name,
//! then a topological sort that keeps that order wherever the dependencies
//! allow (Kahn's algorithm, always taking the smallest ready item).
//!
//! Owns ordering and cycle detection only; repairing a cycle (splitting an
//! object in two) is the renderer's job, because only it knows how.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The sort key of one item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey<'a> {
    pub section: u8,
    pub priority: u8,
    pub schema: &'a str,
    pub name: &'a str,
    pub tiebreak: &'a str,
}

pub enum Outcome {
    Sorted(Vec<usize>),
    /// The items of one cycle, in dependency order.
    Cycle(Vec<usize>),
}

/// `deps[i]` lists the items `i` depends on.
pub fn toposort(keys: &[SortKey<'_>], deps: &[Vec<usize>]) -> Outcome {
    let n = keys.len();
    let mut presorted: Vec<usize> = (0..n).collect();
    presorted.sort_by(|a, b| keys[*a].cmp(&keys[*b]).then(a.cmp(b)));
    let mut rank = vec![0usize; n];
    for (r, &i) in presorted.iter().enumerate() {
        rank[i] = r;
    }
    let mut waiting = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, ds) in deps.iter().enumerate() {
        for &d in ds {
            if d != i {
                waiting[i] += 1;
                dependents[d].push(i);
            }
        }
    }
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = (0..n)
        .filter(|&i| waiting[i] == 0)
        .map(|i| Reverse((rank[i], i)))
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(Reverse((_, i))) = ready.pop() {
        out.push(i);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(Reverse((rank[j], j)));
            }
        }
    }
    if out.len() == n {
        return Outcome::Sorted(out);
    }
    // Walk dependencies among the leftovers until one repeats.
    let left: Vec<bool> = (0..n).map(|i| waiting[i] > 0).collect();
    let start = (0..n).find(|&i| left[i]).expect("some item is left");
    let mut seen = vec![usize::MAX; n];
    let mut path = Vec::new();
    let mut cur = start;
    loop {
        if seen[cur] != usize::MAX {
            let mut cycle: Vec<usize> = path[seen[cur]..].to_vec();
            cycle.reverse();
            return Outcome::Cycle(cycle);
        }
        seen[cur] = path.len();
        path.push(cur);
        cur = *deps[cur]
            .iter()
            .find(|&&d| left[d] && d != cur)
            .expect("a blocked item waits on another blocked item");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: u8, name: &str) -> SortKey<'_> {
        SortKey { section: 0, priority: p, schema: "", name, tiebreak: "" }
    }

    #[test]
    fn keeps_the_presort_where_dependencies_allow() {
        let keys = vec![key(1, "b"), key(1, "a"), key(2, "c"), key(1, "d")];
        // a depends on c.
        let deps = vec![vec![], vec![2], vec![], vec![]];
        match toposort(&keys, &deps) {
            Outcome::Sorted(o) => assert_eq!(o, vec![0, 3, 2, 1]),
            Outcome::Cycle(_) => panic!("no cycle here"),
        }
    }

    #[test]
    fn reports_a_cycle() {
        let keys = vec![key(1, "a"), key(1, "b"), key(1, "c")];
        let deps = vec![vec![1], vec![2], vec![1]];
        match toposort(&keys, &deps) {
            Outcome::Cycle(mut c) => {
                c.sort();
                assert_eq!(c, vec![1, 2]);
            }
            Outcome::Sorted(_) => panic!("expected a cycle"),
        }
    }
}
