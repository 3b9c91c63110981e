//! A month of rollup cells for one node and subject, and its stored form.

use crate::{
    DayNum,
    day::{DayRange, month_end},
    metrics::Counts,
    rollup::BAND_SLOTS,
};

const FORMAT_VERSION: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockError {
    #[error(
        "rollup block has format version {0}; rebuild the rollups with `uptake rollup rebuild`"
    )]
    Version(u8),
    #[error(
        "rollup block is truncated or corrupt; rebuild the rollups with `uptake rollup rebuild`"
    )]
    Corrupt,
}

/// Cells for every day of one calendar month: `[band slot][day of month]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthBlock {
    pub month: DayNum,
    days: usize,
    cells: Vec<Counts>,
}

impl MonthBlock {
    pub fn zeroed(month: DayNum) -> Self {
        let days = (month_end(month) - month + 1) as usize;
        Self {
            month,
            days,
            cells: vec![Counts::default(); BAND_SLOTS * days],
        }
    }

    pub fn range(&self) -> DayRange {
        DayRange::new(self.month, self.month + self.days as DayNum - 1)
    }

    pub fn get(&self, slot: usize, day: DayNum) -> Counts {
        self.cells[slot * self.days + (day - self.month) as usize]
    }

    /// Every band slot on one day.
    pub fn day(&self, day: DayNum) -> [Counts; BAND_SLOTS] {
        std::array::from_fn(|slot| self.get(slot, day))
    }

    /// Overwrites the days of `range` from a series laid out
    /// `[band slot][day of range]`, as [`super::SpanCells::series`] gives.
    pub fn overwrite(&mut self, range: DayRange, series: &[Counts]) {
        let n = range.len();
        for slot in 0..BAND_SLOTS {
            for (i, day) in (range.first..=range.last).enumerate() {
                if self.range().contains(day) {
                    self.cells[slot * self.days + (day - self.month) as usize] =
                        series[slot * n + i];
                }
            }
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.cells.len() * 4);
        out.push(FORMAT_VERSION);
        out.push(self.days as u8);
        for c in &self.cells {
            for v in [c.eligible, c.active7, c.active28, c.reached] {
                put_varint(&mut out, v);
            }
        }
        out
    }

    pub fn decode(month: DayNum, bytes: &[u8]) -> Result<Self, BlockError> {
        let (&version, rest) = bytes.split_first().ok_or(BlockError::Corrupt)?;
        if version != FORMAT_VERSION {
            return Err(BlockError::Version(version));
        }
        let (&days, mut rest) = rest.split_first().ok_or(BlockError::Corrupt)?;
        let mut block = Self::zeroed(month);
        if usize::from(days) != block.days {
            return Err(BlockError::Corrupt);
        }
        for c in &mut block.cells {
            let mut next = || take_varint(&mut rest).ok_or(BlockError::Corrupt);
            *c = Counts {
                eligible: next()?,
                active7: next()?,
                active28: next()?,
                reached: next()?,
            };
        }
        if rest.is_empty() {
            Ok(block)
        } else {
            Err(BlockError::Corrupt)
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(input: &mut &[u8]) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::day::day_num;

    #[test]
    fn blocks_round_trip_and_reject_corruption() {
        let month = day_num("2026-02-01".parse().expect("date"));
        let mut block = MonthBlock::zeroed(month);
        assert_eq!(block.range().len(), 28);
        let series: Vec<Counts> = (0..BAND_SLOTS * 2)
            .map(|i| Counts {
                eligible: 300 + i as u32,
                active7: 1,
                active28: 200_000,
                reached: i as u32,
            })
            .collect();
        block.overwrite(DayRange::new(month + 27, month + 28), &series);
        let bytes = block.encode();
        let back = MonthBlock::decode(month, &bytes).expect("decodes");
        assert_eq!(back, block);
        assert_eq!(back.get(1, month + 27).eligible, 302);
        assert_eq!(back.get(0, month).eligible, 0);
        assert_eq!(
            MonthBlock::decode(month, &bytes[..bytes.len() - 1]),
            Err(BlockError::Corrupt)
        );
        assert_eq!(MonthBlock::decode(month, &[9]), Err(BlockError::Version(9)));
    }
}
