//! Rules every export follows, whatever its format.

use std::borrow::Cow;

/// A text cell made safe for spreadsheets: one that begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would run as a formula, so it gets
/// a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_left_alone() {
        for risky in ["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        for safe in ["", "Box", "a=b", "2026-11-25", "'quoted"] {
            assert!(matches!(neutralise(safe), Cow::Borrowed(s) if s == safe));
        }
    }
}
