//! English prose reader. (Being built in issue 5.)

use crate::{Figure, Taxonomy};
use newsflow_shared::records::CleanArticle;

/// Figures stated in an English article.
pub fn figures(_article: &CleanArticle, _taxonomy: &Taxonomy) -> Vec<Figure> {
    Vec::new()
}
