//! Tools (telemetry streams), products (named sets of tools), and the
//! subjects that figures are computed for.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ToolId(pub i32);

/// The tool (and product of one tool) for Box.
pub const BOX: &str = "Box";
/// The product that holds the Microsoft 365 tools.
pub const MICROSOFT_365: &str = "Microsoft 365";
/// The Microsoft 365 tools, one per Graph usage report.
pub const M365_TOOLS: [&str; 4] = ["Teams", "OneDrive", "SharePoint", "Exchange"];

/// Where a tool's telemetry comes from; each has its own sync state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    /// Microsoft Graph usage reports.
    M365,
    /// Box enterprise events.
    Box,
    /// The push API and generic activity files, for tools added with
    /// `uptake tool add`.
    Push,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::M365, Source::Box, Source::Push];

    pub fn key(self) -> &'static str {
        match self {
            Source::M365 => "m365",
            Source::Box => "box",
            Source::Push => "push",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProductId(pub i32);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub id: ToolId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub tools: Vec<ToolId>,
}

/// What a figure is about: one tool, one product (distinct people active in
/// any of its tools), or all tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Subject {
    All,
    Product(ProductId),
    Tool(ToolId),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubjectError {
    #[error("'{0}' is not a subject; use 'all', 'product:<id>' or 'tool:<id>'")]
    Malformed(String),
}

impl Subject {
    /// The stable key stored with rollup blocks and used in URLs.
    pub fn key(&self) -> String {
        self.to_string()
    }

    pub fn parse(key: &str) -> Result<Self, SubjectError> {
        let bad = || SubjectError::Malformed(key.to_owned());
        if key == "all" {
            return Ok(Subject::All);
        }
        let (kind, id) = key.split_once(':').ok_or_else(bad)?;
        let id: i32 = id.parse().map_err(|_| bad())?;
        match kind {
            "product" => Ok(Subject::Product(ProductId(id))),
            "tool" => Ok(Subject::Tool(ToolId(id))),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::All => write!(f, "all"),
            Subject::Product(p) => write!(f, "product:{}", p.0),
            Subject::Tool(t) => write!(f, "tool:{}", t.0),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    #[error("at most {MAX_TOOLS} tools can be registered")]
    TooManyTools,
    #[error("at most {MAX_TOOLS} products can be registered")]
    TooManyProducts,
    #[error("product '{0}' lists a tool that is not registered")]
    UnknownTool(String),
}

pub const MAX_TOOLS: usize = 64;

/// The registered tools and products, with the bit masks the rollup uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    tools: Vec<Tool>,
    products: Vec<Product>,
}

impl Catalog {
    pub fn new(mut tools: Vec<Tool>, mut products: Vec<Product>) -> Result<Self, CatalogError> {
        if tools.len() > MAX_TOOLS {
            return Err(CatalogError::TooManyTools);
        }
        if products.len() > MAX_TOOLS {
            return Err(CatalogError::TooManyProducts);
        }
        tools.sort_by_key(|t| t.id);
        products.sort_by_key(|p| p.id);
        for p in &products {
            if p.tools
                .iter()
                .any(|t| tools.binary_search_by_key(t, |x| x.id).is_err())
            {
                return Err(CatalogError::UnknownTool(p.name.clone()));
            }
        }
        Ok(Self { tools, products })
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn tool_index(&self, tool: ToolId) -> Option<usize> {
        self.tools.binary_search_by_key(&tool, |t| t.id).ok()
    }

    pub fn product_index(&self, product: ProductId) -> Option<usize> {
        self.products.binary_search_by_key(&product, |p| p.id).ok()
    }

    pub fn tool_by_name(&self, name: &str) -> Option<&Tool> {
        self.tools
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// Every subject rollups are kept for: all, each product, each tool.
    pub fn subjects(&self) -> Vec<Subject> {
        std::iter::once(Subject::All)
            .chain(self.products.iter().map(|p| Subject::Product(p.id)))
            .chain(self.tools.iter().map(|t| Subject::Tool(t.id)))
            .collect()
    }

    /// The subject a view shows when none is asked for: the first product,
    /// or all tools when there is none.
    pub fn default_subject(&self) -> Subject {
        self.products
            .first()
            .map_or(Subject::All, |p| Subject::Product(p.id))
    }

    /// The subjects worth a tile of their own: a tool that is a product on
    /// its own (Box) is shown once, as the product.
    pub fn display_subjects(&self) -> Vec<Subject> {
        self.subjects()
            .into_iter()
            .filter(|s| match s {
                Subject::Tool(t) => !self.products.iter().any(|p| p.tools == [*t]),
                _ => true,
            })
            .collect()
    }

    /// The subjects a page offers to choose, as (key, label).
    pub fn subject_choices(&self) -> Vec<(String, String)> {
        self.display_subjects()
            .into_iter()
            .map(|s| (s.key(), self.subject_label(s)))
            .collect()
    }

    pub fn subject_label(&self, subject: Subject) -> String {
        match subject {
            Subject::All => "All tools".to_owned(),
            Subject::Product(id) => self
                .product_index(id)
                .map_or_else(|| subject.key(), |i| self.products[i].name.clone()),
            Subject::Tool(id) => self
                .tool_index(id)
                .map_or_else(|| subject.key(), |i| self.tools[i].name.clone()),
        }
    }

    /// Bit i set: tool index i counts toward the subject.
    pub fn tool_mask(&self, subject: Subject) -> u64 {
        match subject {
            Subject::All => mask_of(0..self.tools.len()),
            Subject::Tool(id) => mask_of(self.tool_index(id)),
            Subject::Product(id) => self.product_index(id).map_or(0, |i| {
                mask_of(
                    self.products[i]
                        .tools
                        .iter()
                        .filter_map(|t| self.tool_index(*t)),
                )
            }),
        }
    }

    /// The tools whose activity counts toward the subject.
    pub fn subject_tools(&self, subject: Subject) -> impl Iterator<Item = &Tool> {
        let mask = self.tool_mask(subject);
        self.tools
            .iter()
            .enumerate()
            .filter(move |(i, _)| mask & (1 << i) != 0)
            .map(|(_, t)| t)
    }

    /// Bit i set: going live for product index i makes a person eligible for
    /// the subject. A tool is live where any product holding it is live.
    pub fn product_mask(&self, subject: Subject) -> u64 {
        match subject {
            Subject::All => mask_of(0..self.products.len()),
            Subject::Product(id) => mask_of(self.product_index(id)),
            Subject::Tool(id) => mask_of(
                self.products
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.tools.contains(&id))
                    .map(|(i, _)| i),
            ),
        }
    }
}

fn mask_of(indices: impl IntoIterator<Item = usize>) -> u64 {
    indices.into_iter().fold(0, |m, i| m | (1u64 << i))
}

/// The one rule for a tool's name, wherever a tool is registered: trimmed,
/// 1 to 64 characters of letters, digits, spaces, '-', '_' or '.'.
pub fn tool_name(raw: &str) -> Result<&str, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err("a tool name must be 1 to 64 characters".to_owned());
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || " -_.".contains(c))
    {
        return Err(format!(
            "'{name}' is not a tool name: use letters, digits, spaces, '-', '_' or '.'"
        ));
    }
    Ok(name)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_tool_name_is_one_rule_wherever_it_is_registered() {
        assert_eq!(tool_name("  Zoom Rooms "), Ok("Zoom Rooms"));
        assert_eq!(tool_name("box.v2_beta-1"), Ok("box.v2_beta-1"));
        assert!(tool_name("   ").is_err());
        assert!(tool_name(&"x".repeat(65)).is_err());
        assert!(tool_name(&"é".repeat(64)).is_ok(), "characters, not bytes");
        assert!(
            tool_name("<b>Zoom</b>")
                .expect_err("markup")
                .contains("letters, digits")
        );
    }

    /// Microsoft 365 = {Teams}: all tools, the product and the tool count
    /// the same people.
    pub(crate) fn one_tool_catalog() -> Catalog {
        Catalog::new(
            vec![Tool {
                id: ToolId(1),
                name: "Teams".into(),
            }],
            vec![Product {
                id: ProductId(1),
                name: "Microsoft 365".into(),
                tools: vec![ToolId(1)],
            }],
        )
        .expect("catalog")
    }

    /// Box = {Box}; Microsoft 365 = {Teams, OneDrive, SharePoint, Exchange}.
    pub(crate) fn force_catalog() -> Catalog {
        let names = ["Box", "Teams", "OneDrive", "SharePoint", "Exchange"];
        let tools = names
            .iter()
            .enumerate()
            .map(|(i, n)| Tool {
                id: ToolId(i as i32 + 1),
                name: (*n).to_owned(),
            })
            .collect();
        let products = vec![
            Product {
                id: ProductId(1),
                name: "Box".into(),
                tools: vec![ToolId(1)],
            },
            Product {
                id: ProductId(2),
                name: "Microsoft 365".into(),
                tools: vec![ToolId(2), ToolId(3), ToolId(4), ToolId(5)],
            },
        ];
        Catalog::new(tools, products).expect("valid catalog")
    }

    #[test]
    fn masks_follow_product_membership() {
        let c = force_catalog();
        assert_eq!(c.tool_mask(Subject::Product(ProductId(2))), 0b11110);
        assert_eq!(c.tool_mask(Subject::All), 0b11111);
        assert_eq!(c.product_mask(Subject::Tool(ToolId(3))), 0b10);
        assert_eq!(c.product_mask(Subject::All), 0b11);
        let m365: Vec<&str> = c
            .subject_tools(Subject::Product(ProductId(2)))
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(m365, ["Teams", "OneDrive", "SharePoint", "Exchange"]);
    }

    #[test]
    fn a_single_tool_product_is_shown_once() {
        let shown = force_catalog().display_subjects();
        assert!(shown.contains(&Subject::Product(ProductId(1))));
        assert!(!shown.contains(&Subject::Tool(ToolId(1))));
        assert!(shown.contains(&Subject::Tool(ToolId(2))));
        assert_eq!(shown.len(), 7);
    }

    #[test]
    fn subject_keys_round_trip() {
        for s in force_catalog().subjects() {
            assert_eq!(Subject::parse(&s.key()), Ok(s));
        }
        assert!(Subject::parse("tool:x").is_err());
    }
}
