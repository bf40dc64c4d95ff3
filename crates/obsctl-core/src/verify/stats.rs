//! The Mann-Whitney U test (Wilcoxon rank-sum), one-sided, with the normal
//! approximation, tie correction and continuity correction — the test
//! Spinnaker's Kayenta runs on metric samples. Written here (about 40
//! lines) because no small maintained crate offers it without pulling a
//! linear-algebra stack.

use serde::Serialize;

/// The result of [`mann_whitney_greater`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannWhitney {
    /// U of the first sample (the candidate): how often one of its values
    /// beats one of the second's (ties count ½).
    pub u: f64,
    /// The standardised statistic (continuity-corrected).
    pub z: f64,
    /// One-sided p-value for "the first sample tends to be larger", 0–1.
    pub p_value: f64,
}

/// Test whether `candidate` tends to be larger than `baseline`. `None`
/// when either sample is empty or every value is the same (no variance).
pub fn mann_whitney_greater(candidate: &[f64], baseline: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (candidate.len(), baseline.len());
    if n1 == 0 || n2 == 0 || candidate.iter().chain(baseline).any(|v| v.is_nan()) {
        return None;
    }
    let mut pooled: Vec<(f64, bool)> = candidate
        .iter()
        .map(|v| (*v, true))
        .chain(baseline.iter().map(|v| (*v, false)))
        .collect();
    pooled.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = pooled.len();
    let (mut rank_sum, mut ties, mut i) = (0.0, 0.0, 0);
    while i < n {
        let mut j = i;
        while j + 1 < n && pooled[j + 1].0 == pooled[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += rank * pooled[i..=j].iter().filter(|p| p.1).count() as f64;
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u = rank_sum - n1f * (n1f + 1.0) / 2.0;
    let mean = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - ties / (nf * (nf - 1.0)));
    if var <= 0.0 {
        return None;
    }
    let z = (u - mean - 0.5) / var.sqrt();
    Some(MannWhitney {
        u,
        z,
        p_value: 0.5 * erfc(z / std::f64::consts::SQRT_2),
    })
}

/// The complementary error function (Numerical Recipes' Chebyshev fit,
/// fractional error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn erfc_known_values() {
        // Abramowitz & Stegun table 7.1.
        assert!(close(erfc(0.0), 1.0, 1e-7));
        assert!(close(erfc(0.5), 0.479_500_122, 1e-7));
        assert!(close(erfc(1.0), 0.157_299_207, 1e-7));
        assert!(close(erfc(2.0), 0.004_677_735, 1e-7));
        assert!(close(erfc(-1.0), 1.842_700_793, 1e-7));
    }

    #[test]
    fn textbook_example_without_ties() {
        // Ranks by hand: candidate {16,19,22,24,29} → 3+5+7+8+9 = 32, U = 32 − 15 = 17.
        let r = mann_whitney_greater(&[19.0, 22.0, 16.0, 29.0, 24.0], &[20.0, 11.0, 17.0, 12.0])
            .unwrap();
        assert_eq!(r.u, 17.0);
        // z = (17 − 10 − 0.5) / √(5·4·10/12); p = ½·erfc(z/√2) (scipy's
        // asymptotic `alternative="greater"` gives the same 0.0557).
        assert!(close(r.z, 1.592_168_333, 1e-6), "{r:?}");
        assert!(close(r.p_value, 0.055_673_443, 1e-6), "{r:?}");
    }

    #[test]
    fn example_with_ties_both_directions() {
        let hi = [2.0, 3.0, 4.0, 4.0, 5.0, 5.0, 6.0, 7.0, 7.0];
        let lo = [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0];
        let r = mann_whitney_greater(&hi, &lo).unwrap();
        assert_eq!(r.u, 58.5);
        assert!(close(r.z, 2.147_431_349, 1e-6), "{r:?}");
        assert!(close(r.p_value, 0.015_879_479, 1e-6), "{r:?}");
        let r = mann_whitney_greater(&lo, &hi).unwrap();
        assert_eq!(r.u, 13.5);
        assert!(close(r.p_value, 0.987_617_277, 1e-6), "{r:?}");
    }

    #[test]
    fn degenerate_samples() {
        assert!(mann_whitney_greater(&[], &[1.0]).is_none());
        assert!(mann_whitney_greater(&[1.0, 1.0], &[1.0]).is_none());
        assert!(mann_whitney_greater(&[f64::NAN], &[1.0]).is_none());
    }

    proptest! {
        #[test]
        fn u_statistics_add_up_and_p_is_a_probability(
            a in proptest::collection::vec(0u8..20, 1..30),
            b in proptest::collection::vec(0u8..20, 1..30),
        ) {
            let a: Vec<f64> = a.into_iter().map(f64::from).collect();
            let b: Vec<f64> = b.into_iter().map(f64::from).collect();
            if let (Some(x), Some(y)) = (mann_whitney_greater(&a, &b), mann_whitney_greater(&b, &a)) {
                prop_assert!((x.u + y.u - (a.len() * b.len()) as f64).abs() < 1e-9);
                prop_assert!((0.0..=1.0).contains(&x.p_value));
            }
        }

        #[test]
        fn shifting_the_candidate_up_never_raises_p(
            a in proptest::collection::vec(0u8..50, 2..20),
            b in proptest::collection::vec(0u8..50, 2..20),
        ) {
            let a: Vec<f64> = a.into_iter().map(f64::from).collect();
            let b: Vec<f64> = b.into_iter().map(f64::from).collect();
            let up: Vec<f64> = a.iter().map(|v| v + 100.0).collect();
            if let (Some(x), Some(y)) = (mann_whitney_greater(&a, &b), mann_whitney_greater(&up, &b)) {
                prop_assert!(y.p_value <= x.p_value + 1e-12);
            }
        }
    }
}
