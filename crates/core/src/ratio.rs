//! Shares of a whole: completion, attendance and response rates, top-two-box, follow-up
//! outcomes. One definition, so every figure treats an empty whole the same way (no share,
//! `null` in JSON and an empty cell in a spreadsheet, rather than 0 or a division by zero).

/// A count that a share can be taken of.
pub trait Count: Copy {
    /// The count as a float (counts here stay far below 2^52, where floats are exact).
    fn to_f64(self) -> f64;
}

macro_rules! counts {
    ($($t:ty),*) => {$(
        impl Count for $t {
            #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
counts!(i64, usize);

impl Count for i32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

/// `part / whole`, or none when the whole is nothing.
pub fn share<N: Count>(part: N, whole: N) -> Option<f64> {
    let whole = whole.to_f64();
    (whole > 0.0).then(|| part.to_f64() / whole)
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn a_share_of_nothing_is_none_not_zero() {
        assert_eq!(share(0_i64, 0), None);
        assert_eq!(share(3_usize, 4), Some(0.75));
        assert_eq!(share(0_i64, 5), Some(0.0));
    }
}
