//! Architecture invariants of `docs/ARCHITECTURE.md` that the compiler cannot see, checked over
//! this crate's own source text by its unit tests.

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::{Path, PathBuf};

    const OPERATORS: [&str; 6] = ["==", "!=", "<=", ">=", " < ", " > "];

    /// Every `.rs` file below `dir`, with its text.
    fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
        found
    }

    fn src() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
    }

    /// The code of a line, without a trailing `//` comment.
    fn code(line: &str) -> &str {
        line.split("//").next().unwrap_or("")
    }

    /// Whether `line` compares a role or a tier: an operator next to a role value, a variable
    /// named `*role`, or a `tier()`. Matching a listing against the role a client asked for
    /// (`?role=teacher`) is a filter, not a decision: such a line says so with the marker
    /// comment `// role filter` on the line itself or the line above.
    fn compares_roles(line: &str) -> bool {
        let line = code(line);
        let has_operator = OPERATORS.iter().any(|op| line.contains(op));
        let mentions_role = line.contains("Role::")
            || line.contains(".tier()")
            || line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "role" || word.ends_with("_role"));
        has_operator && mentions_role
    }

    #[test]
    fn nothing_outside_domain_compares_roles_or_tiers() {
        let mut offences = Vec::new();
        for (path, text) in sources(&src()) {
            // This file names the patterns it looks for.
            if path.ends_with("invariants.rs") {
                continue;
            }
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                let marked = [Some(line), n.checked_sub(1).and_then(|p| lines.get(p))]
                    .into_iter()
                    .flatten()
                    .any(|l| l.contains("// role filter"));
                if !marked && compares_roles(line) {
                    offences.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
        assert!(
            offences.is_empty(),
            "role or tier comparisons outside `domain` (ask a domain function instead):\n{}",
            offences.join("\n")
        );
    }

    #[test]
    fn the_pattern_catches_comparisons() {
        for line in [
            "if current_role == role {",
            "grant.role != domain::ProjectRole::Admin",
            "a.tier() < b.tier()",
            "Some(domain::GroupRole::SystemAdmin) == x",
        ] {
            assert!(compares_roles(line), "{line}");
        }
        for line in [
            "let role = convert::group_role(m.role);",
            ".filter(Column::Role.eq(convert::stored_group_role(role)))",
            "// role == x in a comment",
            "if user_id == subject.user_id {",
        ] {
            assert!(!compares_roles(line), "{line}");
        }
    }

    #[test]
    fn services_and_sql_know_no_http() {
        let mut offences = Vec::new();
        for dir in ["services", "sql"] {
            for (path, text) in sources(&src().join(dir)) {
                for (n, line) in text.lines().enumerate() {
                    let line = code(line);
                    if ["actix", "crate::http", "HttpResponse"]
                        .iter()
                        .any(|word| line.contains(word))
                    {
                        offences.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(
            offences.is_empty(),
            "HTTP in services or SQL:\n{}",
            offences.join("\n")
        );
    }
}
