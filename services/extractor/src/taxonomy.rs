//! The indicator taxonomy as data (SPEC §5: "The taxonomy is data"): codes, their Chinese and
//! English terms and unit class, read from `taxonomy.toml` (embedded) or an operator's copy
//! (`NEWSFLOW_TAXONOMY`), so adding a code needs no Rust.

use serde::Deserialize;
use std::path::Path;

/// The kind of value an indicator carries; decides the base unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitClass {
    /// Money: base unit CNY yuan or USD dollars.
    Currency,
    /// Energy: base unit kWh.
    Energy,
}

/// One indicator code and its terms.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct IndicatorDef {
    pub code: String,
    pub unit_class: UnitClass,
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

/// Terms that look like an indicator term but name something else (`出口交货值` is not
/// exports, `发电量` is not consumption): matched like terms, so they win over a shorter term
/// inside them, and give no event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct NotIndicators {
    #[serde(default)]
    pub zh: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

/// Every indicator the extractor knows.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Taxonomy {
    #[serde(rename = "indicator")]
    pub indicators: Vec<IndicatorDef>,
    /// Look-alike terms that are not indicators.
    #[serde(default)]
    pub not_indicator: NotIndicators,
}

/// The taxonomy shipped with the binary.
const EMBEDDED: &str = include_str!("../taxonomy.toml");

/// A taxonomy file that can't be used, with the reason.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("cannot read taxonomy {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid taxonomy {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Taxonomy {
    /// The taxonomy compiled into the binary (`services/extractor/taxonomy.toml`).
    pub fn embedded() -> Self {
        // The embedded file is checked by a unit test, so a parse failure here is a build bug.
        Self::parse(EMBEDDED, "<embedded>").expect("embedded taxonomy.toml is valid")
    }

    /// Load an operator's taxonomy file.
    pub fn load(path: &Path) -> Result<Self, TaxonomyError> {
        let text = std::fs::read_to_string(path).map_err(|source| TaxonomyError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// clap value parser for `--taxonomy` / `NEWSFLOW_TAXONOMY`: the file, loaded and checked,
    /// so a bad file is refused at start with the setting named.
    pub fn from_arg(path: &str) -> Result<Self, TaxonomyError> {
        Self::load(Path::new(path))
    }

    /// Parse and validate taxonomy TOML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, TaxonomyError> {
        let invalid = |message: String| TaxonomyError::Invalid {
            path: origin.to_string(),
            message,
        };
        let t: Taxonomy = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for d in &t.indicators {
            let valid_code = !d.code.is_empty()
                && d.code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_code {
                return Err(invalid(format!(
                    "code {:?} must be lower-case ASCII letters, digits and '_' (it becomes a subject)",
                    d.code
                )));
            }
            if !seen.insert(d.code.as_str()) {
                return Err(invalid(format!("code {:?} appears twice", d.code)));
            }
            if d.zh.is_empty() && d.en.is_empty() {
                return Err(invalid(format!("code {:?} has no terms", d.code)));
            }
        }
        Ok(t)
    }

    /// The definition of `code`, if known.
    pub fn get(&self, code: &str) -> Option<&IndicatorDef> {
        self.indicators.iter().find(|d| d.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_taxonomy_has_every_spec_code() {
        let t = Taxonomy::embedded();
        for code in [
            "gdp",
            "industrial_output",
            "industrial_sales_output",
            "industrial_value_added",
            "fiscal_revenue",
            "general_budget_revenue",
            "general_budget_expenditure",
            "tax_revenue",
            "fixed_asset_investment",
            "industrial_investment",
            "tech_renovation_investment",
            "infrastructure_investment",
            "real_estate_investment",
            "manufacturing_investment",
            "high_tech_investment",
            "foreign_capital_utilized",
            "foreign_capital_cash",
            "domestic_capital_inflow",
            "exports",
            "imports",
            "foreign_trade",
            "retail_sales",
            "industrial_profit",
            "electricity_consumption",
        ] {
            assert!(t.get(code).is_some(), "missing {code}");
        }
        assert_eq!(
            t.get("electricity_consumption").unwrap().unit_class,
            UnitClass::Energy
        );
    }

    #[test]
    fn an_operator_can_add_a_code() {
        let t = Taxonomy::parse(
            "[[indicator]]\ncode = \"tourism_revenue\"\nunit_class = \"currency\"\nzh = [\"旅游收入\"]\n",
            "test",
        )
        .unwrap();
        assert_eq!(t.get("tourism_revenue").unwrap().zh, vec!["旅游收入"]);
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let e = Taxonomy::parse(
            "[[indicator]]\ncode = \"Bad Code\"\nunit_class = \"currency\"\nzh=[\"x\"]\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("f.toml") && e.contains("Bad Code"), "{e}");
        let e = Taxonomy::parse(
            "[[indicator]]\ncode = \"x\"\nunit_class = \"weight\"\nzh=[\"x\"]\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("weight"), "{e}");
    }
}
