//! A month of rollup cells for one node and subject, and its stored form.

use crate::{
    DayNum,
    day::{DayRange, month_end},
    metrics::{Counts, Detail},
    rollup::BAND_SLOTS,
};

/// A kind of rollup cell: summed into "all bands" and ancestors, and
/// stored a month at a time.
pub trait Cell: Copy + Default + PartialEq + std::fmt::Debug {
    /// The format version at the head of each stored block.
    const FORMAT: u8;
    fn merge(&mut self, other: &Self);
    /// Appends the cell, given the cell before it in the same band slot
    /// (the zero cell on the first day).
    fn encode(&self, prev: &Self, out: &mut Vec<u8>);
    fn decode(prev: &Self, input: &mut &[u8]) -> Option<Self>;
}

impl Cell for Counts {
    const FORMAT: u8 = 1;

    fn merge(&mut self, other: &Self) {
        self.add(other);
    }

    fn encode(&self, _prev: &Self, out: &mut Vec<u8>) {
        for v in [self.eligible, self.active7, self.active28, self.reached] {
            put_varint(out, v);
        }
    }

    fn decode(_prev: &Self, input: &mut &[u8]) -> Option<Self> {
        Some(Counts {
            eligible: take_varint(input)?,
            active7: take_varint(input)?,
            active28: take_varint(input)?,
            reached: take_varint(input)?,
        })
    }
}

/// Stored as the fields that changed since the day before: how many, then
/// for each the gap from the last changed field and the zigzag difference.
/// Histograms move slowly from day to day, so most days take a byte or
/// two.
impl Cell for Detail {
    const FORMAT: u8 = 1;

    fn merge(&mut self, other: &Self) {
        self.add(other);
    }

    fn encode(&self, prev: &Self, out: &mut Vec<u8>) {
        if self == prev {
            out.push(0);
            return;
        }
        let mut changed = 0;
        self.for_each_change(prev, |_, _, _| changed += 1);
        put_varint(out, changed);
        let mut last = 0;
        self.for_each_change(prev, |i, now, was| {
            put_varint(out, (i - last) as u32);
            last = i;
            let diff = i64::from(now) - i64::from(was);
            put_varint64(out, ((diff << 1) ^ (diff >> 63)) as u64);
        });
    }

    fn decode(prev: &Self, input: &mut &[u8]) -> Option<Self> {
        let mut cell = *prev;
        let mut at = 0usize;
        for _ in 0..take_varint(input)? {
            at += take_varint(input)? as usize;
            let zigzag = take_varint64(input)?;
            let diff = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
            let slot = cell.field_mut(at)?;
            *slot = u32::try_from(i64::from(*slot) + diff).ok()?;
        }
        Some(cell)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlockError {
    #[error("rollup block has format version {0}; rebuild the rollups with `uptake rebuild`")]
    Version(u8),
    #[error("rollup block is truncated or corrupt; rebuild the rollups with `uptake rebuild`")]
    Corrupt,
}

/// Cells for every day of one calendar month: `[band slot][day of month]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthBlock<T = Counts> {
    pub month: DayNum,
    days: usize,
    cells: Vec<T>,
}

impl<T: Cell> MonthBlock<T> {
    pub fn zeroed(month: DayNum) -> Self {
        let days = (month_end(month) - month + 1) as usize;
        Self {
            month,
            days,
            cells: vec![T::default(); BAND_SLOTS * days],
        }
    }

    pub fn range(&self) -> DayRange {
        DayRange::new(self.month, self.month + self.days as DayNum - 1)
    }

    pub fn get(&self, slot: usize, day: DayNum) -> T {
        self.cells[slot * self.days + (day - self.month) as usize]
    }

    /// Every band slot on one day.
    pub fn day(&self, day: DayNum) -> [T; BAND_SLOTS] {
        std::array::from_fn(|slot| self.get(slot, day))
    }

    /// Overwrites the days of `range` from a series laid out
    /// `[band slot][day of range]`, as [`super::SpanCells::series`] gives.
    pub fn overwrite(&mut self, range: DayRange, series: &[T]) {
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
        encode_cells(self.days, &self.cells)
    }

    /// The stored form of a whole month's cells laid out `[band slot][day]`,
    /// as [`super::SpanCells::series`] gives them, without copying them
    /// into a block first.
    pub fn encode_month(month: DayNum, series: &[T]) -> Option<Vec<u8>> {
        let days = (month_end(month) - month + 1) as usize;
        (series.len() == BAND_SLOTS * days).then(|| encode_cells(days, series))
    }

    pub fn decode(month: DayNum, bytes: &[u8]) -> Result<Self, BlockError> {
        let (&version, rest) = bytes.split_first().ok_or(BlockError::Corrupt)?;
        if version != T::FORMAT {
            return Err(BlockError::Version(version));
        }
        let (&days, mut rest) = rest.split_first().ok_or(BlockError::Corrupt)?;
        let mut block = Self::zeroed(month);
        if usize::from(days) != block.days {
            return Err(BlockError::Corrupt);
        }
        let days = block.days;
        for slot in block.cells.chunks_mut(days) {
            let mut prev = T::default();
            for c in slot {
                *c = T::decode(&prev, &mut rest).ok_or(BlockError::Corrupt)?;
                prev = *c;
            }
        }
        if rest.is_empty() {
            Ok(block)
        } else {
            Err(BlockError::Corrupt)
        }
    }
}

fn encode_cells<T: Cell>(days: usize, cells: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + cells.len() * 4);
    out.push(T::FORMAT);
    out.push(days as u8);
    for slot in cells.chunks(days) {
        let mut prev = &T::default();
        for c in slot {
            c.encode(prev, &mut out);
            prev = c;
        }
    }
    out
}

fn put_varint(out: &mut Vec<u8>, v: u32) {
    put_varint64(out, u64::from(v));
}

fn put_varint64(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(input: &mut &[u8]) -> Option<u32> {
    u32::try_from(take_varint64(input)?).ok()
}

fn take_varint64(input: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
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
            MonthBlock::<Counts>::decode(month, &bytes[..bytes.len() - 1]),
            Err(BlockError::Corrupt)
        );
        assert_eq!(
            MonthBlock::<Counts>::decode(month, &[9]),
            Err(BlockError::Version(9))
        );
    }

    #[test]
    fn detail_blocks_store_day_to_day_changes() {
        let month = day_num("2026-03-01".parse().expect("date"));
        let mut block = MonthBlock::<Detail>::zeroed(month);
        let quiet = block.encode().len();
        // 2 header bytes and one "nothing changed" byte per slot and day.
        assert_eq!(quiet, 2 + BAND_SLOTS * 31);
        let mut series = vec![Detail::default(); BAND_SLOTS * 31];
        for (i, d) in series.iter_mut().enumerate() {
            d.depth[i % 28] = 1_000 + i as u32;
            d.first_use[3] = 7;
            d.retention[0].eligible = u32::from((i % 31) % 7 == 6) * 40;
        }
        block.overwrite(block.range(), &series);
        let bytes = block.encode();
        assert_eq!(
            MonthBlock::encode_month(month, &series),
            Some(bytes.clone())
        );
        assert_eq!(MonthBlock::encode_month(month, &series[1..]), None);
        let back = MonthBlock::<Detail>::decode(month, &bytes).expect("decodes");
        assert_eq!(back, block);
        assert_eq!(back.get(2, month + 6).retention[0].eligible, 40);
        assert_eq!(back.get(2, month + 7).retention[0].eligible, 0);
        assert_eq!(
            MonthBlock::<Detail>::decode(month, &bytes[..bytes.len() - 1]),
            Err(BlockError::Corrupt)
        );
    }
}
