//! Weighted gateway choice. Deterministic in its seed so a request can be replayed to the same
//! decision and tests can reason about distribution.

/// Index of the chosen weight, proportionally to the weights; `None` when all are zero.
pub fn pick_weighted(weights: &[u64], seed: u64) -> Option<usize> {
    let total: u64 = weights.iter().sum();
    if total == 0 {
        return None;
    }
    let mut point = seed % total;
    for (i, w) in weights.iter().enumerate() {
        if point < *w {
            return Some(i);
        }
        point -= w;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_weight() {
        assert_eq!(pick_weighted(&[], 1), None);
        assert_eq!(pick_weighted(&[0, 0], 1), None);
        assert_eq!(pick_weighted(&[0, 5], 3), Some(1));
        let mut counts = [0u32; 2];
        for seed in 0..4000u64 {
            counts[pick_weighted(&[1, 3], seed).unwrap()] += 1;
        }
        assert_eq!(counts, [1000, 3000]);
    }
}
