//! A small page layout over krilla for the board pack: A4 landscape pages
//! of wrapped text, tables that run on over pages with their header
//! repeated, and vector charts drawn from `domain::chart::Chart`, the
//! value plotly draws on screen. Text is Liberation Sans (SIL Open Font
//! Licence 1.1, `server/fonts`), embedded and subset.
//!
//! Layout records what to draw ([`Op`]) page by page; [`Layout::finish`]
//! renders it, so every page knows the page count for its footer.

use std::sync::OnceLock;

use chrono::Datelike;
use domain::{
    chart::{AxisFormat, Chart, ChartKind},
    display,
    export::{Cell, Table},
};
use krilla::{
    Document,
    color::rgb,
    geom::{PathBuilder, Point, Rect},
    metadata::{DateTime, Metadata},
    num::NormalizedF32,
    page::PageSettings,
    paint::{Fill, Stroke, StrokeDash},
    surface::Surface,
    text::{Font, Glyph, GlyphId, KrillaGlyph},
};
use skrifa::{FontRef, MetadataProvider, instance::LocationRef, instance::Size};

mod plot;

use plot::{Plot, dash};

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSans-Bold.ttf");

/// A4 landscape, in points.
pub const PAGE_W: f32 = 842.0;
pub const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 40.0;
const TOP: f32 = 78.0;
const BOTTOM: f32 = PAGE_H - 44.0;
const BODY_W: f32 = PAGE_W - 2.0 * MARGIN;

/// Greys for rules and fills: they print the same in black and white.
pub const INK: Colour = Colour(0x1a, 0x1a, 0x1a);
pub const MUTED: Colour = Colour(0x55, 0x55, 0x55);
const RULE: Colour = Colour(0xbb, 0xbb, 0xbb);
const STRIPE: Colour = Colour(0xf0, 0xf0, 0xf0);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colour(pub u8, pub u8, pub u8);

impl Colour {
    /// From `#RRGGBB`, as the chart palette writes them; ink if unreadable.
    pub fn hex(s: &str) -> Colour {
        let byte = |i: usize| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (byte(1), byte(3), byte(5)) {
            (Some(r), Some(g), Some(b)) => Colour(r, g, b),
            _ => INK,
        }
    }

    fn paint(self) -> krilla::paint::Paint {
        rgb::Color::new(self.0, self.1, self.2).into()
    }
}

/// Which face of the one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

struct Faces {
    regular: Font,
    bold: Font,
}

fn faces() -> &'static Faces {
    static FACES: OnceLock<Faces> = OnceLock::new();
    FACES.get_or_init(|| Faces {
        regular: Font::new(REGULAR.into(), 0).expect("the bundled regular font parses"),
        bold: Font::new(BOLD.into(), 0).expect("the bundled bold font parses"),
    })
}

fn bytes(weight: Weight) -> &'static [u8] {
    match weight {
        Weight::Regular => REGULAR,
        Weight::Bold => BOLD,
    }
}

/// `text` as glyphs of the face, one per character, each with its advance
/// in ems (our own plain shaping: Latin text, no kerning or ligatures, so
/// that krilla needs no shaper and what is measured is what is drawn).
fn glyphs(text: &str, weight: Weight) -> Vec<KrillaGlyph> {
    let Ok(font) = FontRef::new(bytes(weight)) else {
        return Vec::new();
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(1.0), LocationRef::default());
    text.char_indices()
        .map(|(at, c)| {
            let id = charmap.map(c).unwrap_or_default();
            let advance = metrics.advance_width(id).unwrap_or(0.5);
            KrillaGlyph::new(
                GlyphId::new(id.to_u32()),
                advance,
                0.0,
                0.0,
                0.0,
                at..at + c.len_utf8(),
                None,
            )
        })
        .collect()
}

/// The width of `text` set at `size` points.
pub fn width(text: &str, size: f32, weight: Weight) -> f32 {
    glyphs(text, weight).iter().map(|g| g.x_advance(size)).sum()
}

/// One thing to draw on a page.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: String,
    },
    Line {
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Colour,
        dash: Option<Vec<f32>>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Colour,
    },
    Shape {
        points: Vec<(f32, f32)>,
        fill: Colour,
        outline: Colour,
    },
}

/// How a text line sits: its left end, or its right end (numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Centre,
}

/// Pages being laid out.
pub struct Layout {
    pages: Vec<(String, Vec<Op>)>,
    /// Where the next block starts on the current page.
    pub y: f32,
    footer: String,
}

impl Layout {
    /// A document whose every page carries `footer` (scope and day).
    pub fn new(footer: String) -> Self {
        Self {
            pages: Vec::new(),
            y: TOP,
            footer,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.page("");
        }
        &mut self.pages.last_mut().expect("a page was just started").1
    }

    /// Starts a page with its heading.
    pub fn page(&mut self, heading: &str) {
        self.pages.push((heading.to_owned(), Vec::new()));
        self.y = TOP;
        if !heading.is_empty() {
            self.text(MARGIN, 52.0, 20.0, Weight::Bold, INK, heading, Align::Left);
            self.line(
                vec![(MARGIN, 62.0), (PAGE_W - MARGIN, 62.0)],
                0.8,
                INK,
                None,
            );
        }
    }

    /// Room left on the page below the cursor.
    pub fn room(&self) -> f32 {
        BOTTOM - self.y
    }

    /// Starts a new page (with the same heading, continued) when fewer
    /// than `needed` points are left.
    pub fn keep(&mut self, needed: f32) {
        if self.room() < needed {
            let heading = self
                .pages
                .last()
                .map(|(h, _)| h.trim_end_matches(" (continued)").to_owned())
                .unwrap_or_default();
            self.page(&format!("{heading} (continued)"));
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        colour: Colour,
        text: &str,
        align: Align,
    ) {
        let w = width(text, size, weight);
        let x = match align {
            Align::Left => x,
            Align::Right => x - w,
            Align::Centre => x - w / 2.0,
        };
        self.ops().push(Op::Text {
            x,
            y,
            size,
            weight,
            colour,
            text: text.to_owned(),
        });
    }

    pub fn line(
        &mut self,
        points: Vec<(f32, f32)>,
        width: f32,
        colour: Colour,
        dash: Option<Vec<f32>>,
    ) {
        self.ops().push(Op::Line {
            points,
            width,
            colour,
            dash,
        });
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) {
        self.ops().push(Op::Rect { x, y, w, h, colour });
    }

    fn shape(&mut self, points: Vec<(f32, f32)>, fill: Colour, outline: Colour) {
        self.ops().push(Op::Shape {
            points,
            fill,
            outline,
        });
    }

    /// A paragraph wrapped to the body's width (or `w`), from the cursor.
    pub fn paragraph(&mut self, text: &str, size: f32, weight: Weight, colour: Colour) {
        self.paragraph_at(MARGIN, BODY_W, text, size, weight, colour);
    }

    /// A paragraph wrapped to `w` points from `x`, from the cursor.
    pub fn paragraph_at(
        &mut self,
        x: f32,
        w: f32,
        text: &str,
        size: f32,
        weight: Weight,
        colour: Colour,
    ) {
        let leading = size * 1.35;
        for line in wrap(text, size, weight, w) {
            self.keep(leading);
            self.y += leading;
            self.text(
                x,
                self.y - size * 0.25,
                size,
                weight,
                colour,
                &line,
                Align::Left,
            );
        }
        self.y += size * 0.5;
    }

    /// A section heading within a page.
    pub fn heading(&mut self, text: &str) {
        self.keep(60.0);
        self.y += 8.0;
        self.paragraph(text, 13.0, Weight::Bold, INK);
    }

    /// Muted small print: a table's note.
    pub fn note(&mut self, text: &str) {
        self.paragraph(text, 7.5, Weight::Regular, MUTED);
    }

    /// A table across the body's width, running on over pages with its
    /// header repeated. Columns take their widest cell (text columns
    /// within a cap), shrunk together if the whole is too wide; a cell too
    /// wide for its column is cut with an ellipsis; headers wrap.
    pub fn table(&mut self, table: &Table) {
        const SIZE: f32 = 8.0;
        const ROW: f32 = 13.0;
        const PAD: f32 = 4.0;
        let n = table.columns.len();
        if n == 0 {
            return;
        }
        let mut widths: Vec<f32> = (0..n)
            .map(|c| {
                let head_word = table.columns[c]
                    .split_whitespace()
                    .map(|w| width(w, SIZE, Weight::Bold))
                    .fold(0.0, f32::max);
                let cells = table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| width(&cell.shown(), SIZE, Weight::Regular))
                    .fold(0.0, f32::max);
                head_word.max(cells.min(200.0)).max(24.0) + 2.0 * PAD
            })
            .collect();
        let total: f32 = widths.iter().sum();
        if total > BODY_W {
            let scale = BODY_W / total;
            widths.iter_mut().for_each(|w| *w *= scale);
        }
        let numeric: Vec<bool> = (0..n)
            .map(|c| {
                table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .all(Cell::numeric)
                    && !table.rows.is_empty()
            })
            .collect();
        let header_lines: Vec<Vec<String>> = table
            .columns
            .iter()
            .zip(&widths)
            .map(|(h, w)| wrap(h, SIZE, Weight::Bold, w - 2.0 * PAD))
            .collect();
        let header_h =
            header_lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * (SIZE + 2.0) + 6.0;
        let header = |layout: &mut Layout| {
            let top = layout.y;
            let mut x = MARGIN;
            for (c, lines) in header_lines.iter().enumerate() {
                for (i, line) in lines.iter().enumerate() {
                    let y = top + (i as f32 + 1.0) * (SIZE + 2.0);
                    let (tx, align) = if numeric[c] {
                        (x + widths[c] - PAD, Align::Right)
                    } else {
                        (x + PAD, Align::Left)
                    };
                    layout.text(tx, y, SIZE, Weight::Bold, INK, line, align);
                }
                x += widths[c];
            }
            layout.y += header_h;
            let y = layout.y - 2.0;
            layout.line(
                vec![(MARGIN, y), (MARGIN + widths.iter().sum::<f32>(), y)],
                0.8,
                INK,
                None,
            );
        };
        self.keep(header_h + ROW * 2.0);
        header(self);
        for (r, row) in table.rows.iter().enumerate() {
            if self.room() < ROW {
                self.keep(BOTTOM);
                header(self);
            }
            if r % 2 == 1 {
                self.rect(MARGIN, self.y - 1.0, widths.iter().sum(), ROW, STRIPE);
            }
            let mut x = MARGIN;
            for (c, cell) in row.iter().enumerate().take(n) {
                let text = fit(&cell.shown(), SIZE, widths[c] - 2.0 * PAD);
                let y = self.y + ROW - 4.0;
                let colour = if matches!(cell, Cell::Hidden | Cell::Blank(_)) {
                    MUTED
                } else {
                    INK
                };
                if numeric[c] {
                    self.text(
                        x + widths[c] - PAD,
                        y,
                        SIZE,
                        Weight::Regular,
                        colour,
                        &text,
                        Align::Right,
                    );
                } else {
                    self.text(
                        x + PAD,
                        y,
                        SIZE,
                        Weight::Regular,
                        colour,
                        &text,
                        Align::Left,
                    );
                }
                x += widths[c];
            }
            self.y += ROW;
        }
        self.line(
            vec![
                (MARGIN, self.y + 1.0),
                (MARGIN + widths.iter().sum::<f32>(), self.y + 1.0),
            ],
            0.5,
            RULE,
            None,
        );
        self.y += 6.0;
        if !table.note.is_empty() {
            self.note(&table.note);
        }
    }

    /// A chart `h` points high across the body's width, from the cursor,
    /// with its legend below and its caption under that.
    pub fn chart(&mut self, chart: &Chart, h: f32) {
        self.keep(h + 60.0);
        self.paragraph(&chart.title, 11.0, Weight::Bold, INK);
        let top = self.y;
        let plot = Plot::new(chart, MARGIN + 46.0, top + 6.0, BODY_W - 56.0, h - 36.0);
        plot.draw(self, chart);
        self.y = top + h;
        self.legend(chart);
        if !chart.caption.is_empty() {
            self.note(&chart.caption);
        }
    }

    fn legend(&mut self, chart: &Chart) {
        let names: Vec<(String, Colour)> = match &chart.kind {
            ChartKind::Lines(series) => series
                .iter()
                .map(|s| (s.name.clone(), Colour::hex(&s.colour)))
                .collect(),
            ChartKind::Bars { series, .. } => series
                .iter()
                .map(|s| (s.name.clone(), Colour::hex(&s.colour)))
                .collect(),
        };
        let bars = matches!(chart.kind, ChartKind::Bars { .. });
        let mut x = MARGIN + 46.0;
        self.y += 4.0;
        for (i, (name, colour)) in names.iter().enumerate() {
            let w = width(name, 8.0, Weight::Regular) + 34.0;
            if x + w > PAGE_W - MARGIN {
                x = MARGIN + 46.0;
                self.y += 12.0;
            }
            let y = self.y + 6.0;
            if bars {
                self.rect(x, y - 4.0, 18.0, 7.0, *colour);
            } else {
                self.line(
                    vec![(x, y - 1.0), (x + 22.0, y - 1.0)],
                    2.0,
                    *colour,
                    dash(i),
                );
            }
            self.text(
                x + 26.0,
                y + 2.0,
                8.0,
                Weight::Regular,
                INK,
                name,
                Align::Left,
            );
            x += w + 10.0;
        }
        let mut extras = Vec::new();
        if !chart.targets.is_empty() {
            extras.push("diamond: target");
        }
        if !chart.ranges.is_empty() {
            extras.push("grey bar: forecast 80% band");
        }
        if !chart.markers.is_empty() {
            extras.push("dotted line: go-live");
        }
        if !extras.is_empty() {
            self.text(
                x,
                self.y + 8.0,
                8.0,
                Weight::Regular,
                MUTED,
                &extras.join("   "),
                Align::Left,
            );
        }
        self.y += 20.0;
        if !chart.targets.is_empty() {
            let targets: Vec<String> = chart
                .targets
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    let value = match chart.y_format {
                        AxisFormat::Percent => format!("{:.0}%", t.value * 100.0),
                        AxisFormat::Count => display::count(t.value.round() as u32),
                    };
                    format!("{} {}: {value} by {}", i + 1, t.label, t.at.label())
                })
                .collect();
            self.y -= 6.0;
            self.note(&format!("Targets: {}.", targets.join("; ")));
        }
    }

    /// The PDF's bytes: every page drawn, with its footer and "page N of M".
    pub fn finish(
        self,
        title: &str,
        made: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<u8>, String> {
        let faces = faces();
        let mut document = Document::new();
        use chrono::Timelike;
        document.set_metadata(
            Metadata::new()
                .title(title.to_owned())
                .creator("Uptake".to_owned())
                .creation_date(
                    DateTime::new(u16::try_from(made.year()).unwrap_or(2026))
                        .month(made.month() as u8)
                        .day(made.day() as u8)
                        .hour(made.hour() as u8)
                        .minute(made.minute() as u8)
                        .second(made.second() as u8)
                        .utc_offset_hour(0),
                ),
        );
        let count = self.pages.len();
        for (i, (_, ops)) in self.pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?;
            let mut page = document.start_page_with(settings);
            let mut surface = page.surface();
            for op in &ops {
                draw(&mut surface, faces, op);
            }
            let footer = [
                Op::Line {
                    points: vec![(MARGIN, PAGE_H - 30.0), (PAGE_W - MARGIN, PAGE_H - 30.0)],
                    width: 0.5,
                    colour: RULE,
                    dash: None,
                },
                Op::Text {
                    x: MARGIN,
                    y: PAGE_H - 18.0,
                    size: 7.5,
                    weight: Weight::Regular,
                    colour: MUTED,
                    text: self.footer.clone(),
                },
            ];
            for op in &footer {
                draw(&mut surface, faces, op);
            }
            let number = format!("Page {} of {count}", i + 1);
            let x = PAGE_W - MARGIN - width(&number, 7.5, Weight::Regular);
            draw(
                &mut surface,
                faces,
                &Op::Text {
                    x,
                    y: PAGE_H - 18.0,
                    size: 7.5,
                    weight: Weight::Regular,
                    colour: MUTED,
                    text: number,
                },
            );
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| format!("{e:?}"))
    }
}

fn path(points: &[(f32, f32)], close: bool) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    let (first, rest) = points.split_first()?;
    builder.move_to(first.0, first.1);
    for p in rest {
        builder.line_to(p.0, p.1);
    }
    if close {
        builder.close();
    }
    builder.finish()
}

fn fill(colour: Colour) -> Fill {
    Fill {
        paint: colour.paint(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn draw(surface: &mut Surface, faces: &Faces, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            weight,
            colour,
            text,
        } => {
            let font = match weight {
                Weight::Regular => faces.regular.clone(),
                Weight::Bold => faces.bold.clone(),
            };
            surface.set_stroke(None);
            surface.set_fill(Some(fill(*colour)));
            surface.draw_glyphs(
                Point::from_xy(*x, *y),
                &glyphs(text, *weight),
                font,
                text,
                *size,
                false,
            );
        }
        Op::Line {
            points,
            width,
            colour,
            dash,
        } => {
            if let Some(p) = path(points, false) {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: colour.paint(),
                    width: *width,
                    dash: dash.clone().map(|array| StrokeDash { array, offset: 0.0 }),
                    ..Default::default()
                }));
                surface.draw_path(&p);
            }
        }
        Op::Rect { x, y, w, h, colour } => {
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                let mut builder = PathBuilder::new();
                builder.push_rect(rect);
                if let Some(p) = builder.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*colour)));
                    surface.draw_path(&p);
                }
            }
        }
        Op::Shape {
            points,
            fill: inside,
            outline,
        } => {
            if let Some(p) = path(points, true) {
                surface.set_fill(Some(fill(*inside)));
                surface.set_stroke(Some(Stroke {
                    paint: outline.paint(),
                    width: 1.0,
                    ..Default::default()
                }));
                surface.draw_path(&p);
            }
        }
    }
}

/// Lines of at most `w` points, broken between words (a word longer than
/// the line is cut).
pub fn wrap(text: &str, size: f32, weight: Weight, w: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size, weight) <= w || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_owned();
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| fit(&l, size, w)).collect()
}

/// `text` cut with an ellipsis to fit `w` points.
pub fn fit(text: &str, size: f32, w: f32) -> String {
    if width(text, size, Weight::Regular) <= w {
        return text.to_owned();
    }
    let mut out: String = text.to_owned();
    while !out.is_empty() && width(&format!("{out}…"), size, Weight::Regular) > w {
        out.pop();
    }
    format!("{out}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_measured_from_the_font_and_wrapped_between_words() {
        let one = width("Uptake", 10.0, Weight::Regular);
        assert!(one > 25.0 && one < 45.0, "{one}");
        assert!(width("Uptake", 10.0, Weight::Bold) > one);
        let lines = wrap(
            "the quick brown fox jumps over the lazy dog",
            10.0,
            Weight::Regular,
            80.0,
        );
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| width(l, 10.0, Weight::Regular) <= 80.0)
        );
        assert_eq!(
            lines.join(" "),
            "the quick brown fox jumps over the lazy dog"
        );
    }
}
