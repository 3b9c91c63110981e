//! The workbook: one sheet per table, typed cells (numbers as numbers,
//! rates as percentages, days as dates), a frozen header row with
//! filters, native line charts for the trends, and the definitions.

use chrono::{Datelike, NaiveDate};
use domain::export::{
    Cell, Table,
    methods::{DEFINITIONS, DISCLOSURE},
    neutralise,
};
use rust_xlsxwriter::{
    Chart, ChartAxisDateUnitType, ChartLegendPosition, ChartType, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::pdf::{Weight, wrap};

/// How wide a line of a table's note runs, in points (about a hundred
/// characters: the width of the wider tables).
const NOTE_WIDTH: f32 = 600.0;

/// One sheet: a table, drawn as a line chart beside it when its first
/// column is days and the rest are series.
pub struct Sheet {
    pub name: String,
    pub table: Table,
    pub line_chart: bool,
}

/// What the definitions sheet says the workbook covers.
pub struct Stamp<'a> {
    pub scope: &'a str,
    pub as_of: NaiveDate,
    pub made: &'a str,
    pub by: &'a str,
}

struct Formats {
    head: Format,
    count: Format,
    rate: Format,
    points: Format,
    gap: Format,
    days: Format,
    date: Format,
    right: Format,
    wrap: Format,
    bold: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            head: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_border_bottom(FormatBorder::Thin)
                .set_align(FormatAlign::Top),
            count: Format::new().set_num_format("#,##0"),
            rate: Format::new().set_num_format("0.0%"),
            points: Format::new().set_num_format("+0.0;-0.0;0.0"),
            gap: Format::new().set_num_format("0.0"),
            days: Format::new().set_num_format("0.#"),
            date: Format::new().set_num_format("d mmm yyyy"),
            right: Format::new().set_align(FormatAlign::Right),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            bold: Format::new().set_bold().set_align(FormatAlign::Top),
        }
    }
}

/// A sheet name Excel takes: at most 31 characters, none of `[]:*?/\`.
pub fn sheet_name(name: &str) -> String {
    name.chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .take(31)
        .collect()
}

fn excel_day(d: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?,
        d.month() as u8,
        d.day() as u8,
    )
}

fn write_cell(
    ws: &mut Worksheet,
    f: &Formats,
    row: u32,
    col: u16,
    cell: &Cell,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => ws.write_string(row, col, neutralise(s))?,
        Cell::Count(n) => ws.write_number_with_format(row, col, f64::from(*n), &f.count)?,
        Cell::Rate(r) => ws.write_number_with_format(row, col, *r, &f.rate)?,
        Cell::Points(p) => ws.write_number_with_format(row, col, p * 100.0, &f.points)?,
        Cell::Gap(g) => ws.write_number_with_format(row, col, g * 100.0, &f.gap)?,
        Cell::Days(d) => ws.write_number_with_format(row, col, *d, &f.days)?,
        Cell::Day(d) => ws.write_date_with_format(row, col, excel_day(*d)?, &f.date)?,
        Cell::Band(s) | Cell::Blank(s) => {
            ws.write_string_with_format(row, col, neutralise(s), &f.right)?
        }
        Cell::Hidden => ws.write_string_with_format(row, col, cell.plain(), &f.right)?,
    };
    Ok(())
}

fn write_sheet(wb: &mut Workbook, f: &Formats, sheet: &Sheet) -> Result<(), XlsxError> {
    let t = &sheet.table;
    let ws = wb.add_worksheet();
    ws.set_name(&sheet.name)?;
    for (c, head) in t.columns.iter().enumerate() {
        ws.write_string_with_format(0, col(c)?, neutralise(head), &f.head)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, f, row_num(r + 1)?, col(c)?, cell)?;
        }
    }
    let last_row = row_num(t.rows.len())?;
    let last_col = col(t.columns.len().saturating_sub(1))?;
    ws.set_freeze_panes(1, 0)?;
    // Printed: landscape, a page wide, the header on every page.
    ws.set_landscape().set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.autofilter(0, 0, last_row, last_col)?;
    ws.set_autofit_max_width(260);
    ws.autofit();
    ws.set_row_height(0, 45)?;
    // The note under the table, a line a row: one long cell would run far
    // to the right, and a page wide would then print it tiny.
    for (i, line) in wrap(&t.note, 11.0, Weight::Regular, NOTE_WIDTH)
        .iter()
        .enumerate()
    {
        ws.write_string(last_row + 2 + row_num(i)?, 0, neutralise(line))?;
    }
    if sheet.line_chart && !t.rows.is_empty() && t.columns.len() > 1 {
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name(neutralise(&t.title).as_ref());
        for c in 1..t.columns.len() {
            let c = col(c)?;
            chart
                .add_series()
                .set_name((sheet.name.as_str(), 0, c))
                .set_categories((sheet.name.as_str(), 1, 0, last_row, 0))
                .set_values((sheet.name.as_str(), 1, c, last_row, c));
        }
        // Days on a date axis, labelled by month (as serial numbers, one
        // label per day, they run into each other).
        chart
            .x_axis()
            .set_name(neutralise(&t.columns[0]).as_ref())
            .set_date_axis(true)
            .set_num_format("mmm yyyy")
            .set_major_unit(months_between_labels(&t.rows))
            .set_major_unit_date_type(ChartAxisDateUnitType::Months);
        let rates = t.rows.iter().flatten().any(|c| matches!(c, Cell::Rate(_)));
        chart
            .y_axis()
            .set_num_format(if rates { "0%" } else { "#,##0" });
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_width(720).set_height(400);
        ws.insert_chart(1, last_col + 2, &chart)?;
    }
    Ok(())
}

/// Months between a date axis's labels, so that about a dozen show
/// whatever the span of the first column's days.
fn months_between_labels(rows: &[Vec<Cell>]) -> u32 {
    let days = || {
        rows.iter().filter_map(|r| match r.first() {
            Some(Cell::Day(d)) => Some(*d),
            _ => None,
        })
    };
    match (days().min(), days().max()) {
        (Some(first), Some(last)) => {
            let months =
                (last.year() - first.year()) * 12 + last.month() as i32 - first.month() as i32;
            u32::try_from(months / 12 + 1).unwrap_or(1)
        }
        _ => 1,
    }
}

fn definitions(wb: &mut Workbook, f: &Formats, stamp: &Stamp) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name("Definitions")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, DEFINITION_CHARS)?;
    ws.set_print_fit_to_pages(1, 0);
    let mut row = 0;
    for (term, text) in [
        ("Scope", stamp.scope.to_owned()),
        ("As of", domain::display::date(stamp.as_of)),
        ("Made", stamp.made.to_owned()),
        ("By", stamp.by.to_owned()),
    ] {
        ws.write_string_with_format(row, 0, term, &f.bold)?;
        definition(ws, f, row, &neutralise(&text))?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "Term", &f.head)?;
    ws.write_string_with_format(row, 1, "Definition", &f.head)?;
    row += 1;
    for (term, text) in DEFINITIONS {
        ws.write_string_with_format(row, 0, *term, &f.bold)?;
        definition(ws, f, row, text)?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "Disclosure control", &f.bold)?;
    for line in DISCLOSURE {
        definition(ws, f, row, line)?;
        row += 1;
    }
    Ok(())
}

/// The definitions column's width, in characters.
const DEFINITION_CHARS: f64 = 110.0;

/// A definition, wrapped in its cell, its row as tall as its lines: a
/// spreadsheet does not size a row to wrapped text until it is edited.
fn definition(ws: &mut Worksheet, f: &Formats, row: u32, text: &str) -> Result<(), XlsxError> {
    // About 5.3 points a character, measured with our (slightly wider)
    // font, so the estimate errs on the tall side.
    let lines = wrap(text, 11.0, Weight::Regular, DEFINITION_CHARS as f32 * 5.3).len();
    ws.write_string_with_format(row, 1, text, &f.wrap)?;
    ws.set_row_height(row, 15.0 * lines.max(1) as f64)?;
    Ok(())
}

fn col(c: usize) -> Result<u16, XlsxError> {
    u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)
}

fn row_num(r: usize) -> Result<u32, XlsxError> {
    u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)
}

/// The workbook's bytes: each sheet, then the definitions.
pub fn build(sheets: &[Sheet], stamp: &Stamp) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let f = Formats::new();
    for sheet in sheets {
        write_sheet(&mut wb, &f, sheet)?;
    }
    definitions(&mut wb, &f, stamp)?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_drop_what_excel_refuses_and_keep_to_31() {
        assert_eq!(sheet_name("Age bands: Box/M365"), "Age bands- Box-M365");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
