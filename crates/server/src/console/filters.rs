//! A filter form's values as the API's parsing wants them, and its labelled text fields.

use maud::{Markup, html};

/// The non-empty values of a filter form's parameters, trimmed: a form submits its empty fields
/// too, which the API's parsing would refuse. The first of repeated parameters counts.
pub struct Filters(Vec<(&'static str, String)>);

impl Filters {
    pub fn read(query: &str, names: &[&'static str]) -> Self {
        let mut kept: Vec<(&'static str, String)> = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let Some(name) = names.iter().find(|n| **n == name) else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() || kept.iter().any(|(n, _)| n == name) {
                continue;
            }
            kept.push((name, value.to_owned()));
        }
        Self(kept)
    }

    /// The value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The filters as a query string, for the API's parsing.
    pub fn query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            query.append_pair(name, value);
        }
        query.finish()
    }

    /// A labelled text field of the filter form, showing the value it filters by now.
    pub fn input(&self, name: &str, label: &str, placeholder: Option<&str>) -> Markup {
        html! {
            div {
                label for=(name) { (label) }
                input id=(name) name=(name) type="text" value=(self.get(name)) placeholder=[placeholder];
            }
        }
    }

    /// The filters as pairs, for the next page's link.
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.0.iter().map(|(n, v)| (*n, v.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_the_named_non_empty_values() {
        let filters = Filters::read(
            "resource_type=+group+&actor_id=&other=x&resource_type=user&cursor=abc",
            &["resource_type", "actor_id"],
        );
        assert_eq!(filters.get("resource_type"), "group");
        assert_eq!(filters.get("actor_id"), "");
        assert_eq!(filters.query(), "resource_type=group");
    }
}
