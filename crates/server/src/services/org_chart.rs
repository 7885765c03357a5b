//! The reporting tree drawn as an SVG org chart: one box per member (name and project role),
//! lines from each manager down to their reports, in a tidy top-down layout. A pure function of
//! [`project_members::reporting_tree`](super::project_members::reporting_tree)'s answer, shared
//! by `GET /v1/projects/{id}/reporting-lines.svg` and the console's project page.
//!
//! The picture is embedded in console pages whose Content-Security-Policy forbids inline styles,
//! so it uses presentation attributes only (`fill=`, `font-family=`…), never `style`. Names are
//! user input: every text goes through [`escape`].

use std::fmt::Write as _;

use uuid::Uuid;

use super::project_members::ReportingNode;
use crate::convert;

/// A box's size, and the room between boxes side by side and between levels.
const BOX_W: f64 = 184.0;
const BOX_H: f64 = 52.0;
const GAP_X: f64 = 16.0;
const GAP_Y: f64 = 44.0;
/// Room around the drawing.
const MARGIN: f64 = 16.0;
/// The most characters of a name shown in a box (the whole name is in its tooltip and in the
/// description): about what fits 184 px at 14 px.
const NAME_CHARS: usize = 22;

/// The `id`s the `<svg>`'s `aria-labelledby` names. A page shows one chart, so fixed ids do.
const TITLE_ID: &str = "org-chart-title";
const DESC_ID: &str = "org-chart-desc";

/// One member's box: its top-left corner, its level, and the box of their manager (an index
/// into the same list; the list is in pre-order, so a manager comes before their reports).
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub user_id: Uuid,
    pub parent: Option<usize>,
    pub depth: usize,
    pub x: f64,
    pub y: f64,
}

impl Placed {
    /// The horizontal centre of the box.
    pub fn centre(&self) -> f64 {
        self.x + BOX_W / 2.0
    }
}

/// Places every member of the forest `roots`: leaves side by side left to right in tree order,
/// each manager centred over their first and last report, several roots side by side. A
/// subtree owns a contiguous run of leaf columns, so no two boxes overlap.
pub fn layout(roots: &[ReportingNode]) -> Vec<Placed> {
    let mut placed = Vec::new();
    let mut next_column = 0usize;
    for root in roots {
        place(root, None, 0, &mut next_column, &mut placed);
    }
    placed
}

/// Places `node` and its subtree; returns the centre of `node`'s box.
fn place(
    node: &ReportingNode,
    parent: Option<usize>,
    depth: usize,
    next_column: &mut usize,
    placed: &mut Vec<Placed>,
) -> f64 {
    let index = placed.len();
    placed.push(Placed {
        user_id: node.member.member.user_id,
        parent,
        depth,
        x: 0.0,
        y: MARGIN + level_offset(depth),
    });
    let centre = if node.reports.is_empty() {
        let column = *next_column;
        *next_column += 1;
        MARGIN + column_offset(column) + BOX_W / 2.0
    } else {
        let centres: Vec<f64> = node
            .reports
            .iter()
            .map(|report| place(report, Some(index), depth + 1, next_column, placed))
            .collect();
        let first = centres.first().copied().unwrap_or_default();
        let last = centres.last().copied().unwrap_or(first);
        (first + last) / 2.0
    };
    if let Some(me) = placed.get_mut(index) {
        me.x = centre - BOX_W / 2.0;
    }
    centre
}

fn column_offset(column: usize) -> f64 {
    column as f64 * (BOX_W + GAP_X)
}

fn level_offset(depth: usize) -> f64 {
    depth as f64 * (BOX_H + GAP_Y)
}

/// What a box says of a member.
struct Label {
    name: String,
    role: &'static str,
}

/// Every member's label, in the pre-order [`layout`] uses.
fn labels(roots: &[ReportingNode]) -> Vec<Label> {
    fn walk(node: &ReportingNode, out: &mut Vec<Label>) {
        out.push(Label {
            name: node.member.display_name.clone(),
            role: convert::project_role(node.member.member.role).as_str(),
        });
        for report in &node.reports {
            walk(report, out);
        }
    }
    let mut out = Vec::new();
    for root in roots {
        walk(root, &mut out);
    }
    out
}

/// Box colours by role, strongest darkest; text is `INK` on all of them (contrast ≥ 7:1).
fn fill(role: &str) -> &'static str {
    match role {
        "admin" => "#cfe0f5",
        "pm" => "#d8efd9",
        "squad_lead" => "#fbeccb",
        _ => "#f3f5f8",
    }
}

const INK: &str = "#1b1f24";
const MUTED: &str = "#3d4450";
const EDGE: &str = "#5b6472";
const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";

/// The reporting tree `roots` as a standalone SVG document titled `title`. An empty tree gives a
/// small picture saying "No members".
pub fn draw(title: &str, roots: &[ReportingNode]) -> String {
    let placed = layout(roots);
    let labels = labels(roots);
    if placed.is_empty() {
        return empty(title);
    }
    // The rightmost box is a leaf and the lowest a deepest one: the drawing ends there.
    let right = placed.iter().map(|p| p.x).fold(0.0, f64::max);
    let bottom = placed.iter().map(|p| p.y).fold(0.0, f64::max);
    let width = right + BOX_W + MARGIN;
    let height = bottom + BOX_H + MARGIN;

    let mut svg = open(title, &describe(&placed, &labels), width, height);
    // Lines first, so that the boxes sit on top of them.
    svg.push_str(&format!(
        r#"<g fill="none" stroke="{EDGE}" stroke-width="1.5">"#
    ));
    for p in &placed {
        if let Some(manager) = p.parent.and_then(|i| placed.get(i)) {
            let from_y = manager.y + BOX_H;
            let middle = from_y + GAP_Y / 2.0;
            let _ = write!(
                svg,
                r#"<path d="M{} {from_y} V{middle} H{} V{}"/>"#,
                manager.centre(),
                p.centre(),
                p.y
            );
        }
    }
    svg.push_str("</g>");
    svg.push_str(&format!(
        r#"<g font-family="{FONT}" text-anchor="middle" fill="{INK}">"#
    ));
    for (p, label) in placed.iter().zip(&labels) {
        let name = escape(&label.name);
        let _ = write!(
            svg,
            concat!(
                r#"<g><title>{name} ({role})</title>"#,
                r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="{EDGE}"/>"#,
                r#"<text x="{cx}" y="{name_y}" font-size="14" font-weight="600">{short}</text>"#,
                r#"<text x="{cx}" y="{role_y}" font-size="12" fill="{MUTED}">{role}</text></g>"#,
            ),
            name = name,
            role = label.role,
            x = p.x,
            y = p.y,
            w = BOX_W,
            h = BOX_H,
            fill = fill(label.role),
            EDGE = EDGE,
            cx = p.centre(),
            name_y = p.y + 22.0,
            short = escape(&shorten(&label.name, NAME_CHARS)),
            role_y = p.y + 40.0,
            MUTED = MUTED,
        );
    }
    svg.push_str("</g></svg>");
    svg
}

/// The picture of a project without members.
fn empty(title: &str) -> String {
    let (width, height) = (240.0, 64.0);
    let mut svg = open(title, "No members.", width, height);
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" font-family="{FONT}" font-size="14" text-anchor="middle" fill="{INK}">No members</text></svg>"#,
        width / 2.0,
        height / 2.0 + 5.0
    );
    svg
}

/// The opening tag, the title and the description.
fn open(title: &str, description: &str, width: f64, height: f64) -> String {
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" "#,
            r#"aria-labelledby="{t} {d}" viewBox="0 0 {w} {h}" width="{w}" height="{h}">"#,
            r#"<title id="{t}">{title}</title><desc id="{d}">{desc}</desc>"#,
        ),
        t = TITLE_ID,
        d = DESC_ID,
        w = width,
        h = height,
        title = escape(title),
        desc = escape(description),
    )
}

/// Who reports to whom, one sentence per member, in the chart's order: what a screen reader
/// reads instead of the picture.
fn describe(placed: &[Placed], labels: &[Label]) -> String {
    let mut sentences = Vec::with_capacity(placed.len());
    for (p, label) in placed.iter().zip(labels) {
        let manager = p.parent.and_then(|i| labels.get(i));
        sentences.push(match manager {
            Some(manager) => format!(
                "{} ({}) reports to {}.",
                label.name, label.role, manager.name
            ),
            None => format!("{} ({}) reports to nobody.", label.name, label.role),
        });
    }
    sentences.join(" ")
}

/// At most `max` characters of `text`, ending in "…" when cut (by characters, never inside
/// one).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// `text` as XML character data or an attribute value: the five special characters as
/// references, and characters XML 1.0 cannot hold at all (most control characters) replaced.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => out.push(c),
            '\u{10000}'..='\u{10FFFF}' => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::services::project_members::NamedMember;
    use entity::roles::ProjectRole as Stored;

    fn node(name: &str, role: Stored, reports: Vec<ReportingNode>) -> ReportingNode {
        let now = chrono::Utc::now();
        ReportingNode {
            member: NamedMember {
                member: entity::project_members::Model {
                    id: Uuid::now_v7(),
                    project_id: Uuid::nil(),
                    user_id: Uuid::now_v7(),
                    role,
                    reports_to: None,
                    reports_to_explicit: false,
                    created_at: now,
                    updated_at: now,
                    manual_role: Some(role),
                    idp_sources: None,
                },
                display_name: name.to_owned(),
            },
            reports,
        }
    }

    fn leaf(name: &str) -> ReportingNode {
        node(name, Stored::Member, vec![])
    }

    /// admin → {pm → {lead → {m1, m2}, m3}, pm2}, and a second root with no reports.
    fn forest() -> Vec<ReportingNode> {
        let lead = node(
            "Lead",
            Stored::SquadLead,
            vec![leaf("Member 1"), leaf("Member 2")],
        );
        let pm = node("PM", Stored::Pm, vec![lead, leaf("Member 3")]);
        let admin = node(
            "Admin",
            Stored::Admin,
            vec![pm, node("PM 2", Stored::Pm, vec![])],
        );
        vec![admin, node("Other admin", Stored::Admin, vec![])]
    }

    fn overlap(a: &Placed, b: &Placed) -> bool {
        a.x < b.x + BOX_W && b.x < a.x + BOX_W && a.y < b.y + BOX_H && b.y < a.y + BOX_H
    }

    #[test]
    fn leaves_sit_side_by_side_and_managers_centre_over_their_reports() {
        let placed = layout(&forest());
        let names = [
            "Admin",
            "PM",
            "Lead",
            "Member 1",
            "Member 2",
            "Member 3",
            "PM 2",
            "Other admin",
        ];
        assert_eq!(placed.len(), names.len());
        let at = |name: &str| &placed[names.iter().position(|n| *n == name).unwrap()];
        // Leaves take columns 0.. in tree order.
        let step = BOX_W + GAP_X;
        for (column, leaf) in ["Member 1", "Member 2", "Member 3", "PM 2", "Other admin"]
            .iter()
            .enumerate()
        {
            assert_eq!(at(leaf).x, MARGIN + column as f64 * step, "{leaf}");
        }
        // Each manager is centred over their first and last report, one level up.
        for p in &placed {
            let reports: Vec<&Placed> = placed
                .iter()
                .filter(|r| r.parent.map(|i| &placed[i]) == Some(p))
                .collect();
            for r in &reports {
                assert_eq!(r.depth, p.depth + 1);
                assert_eq!(r.y, p.y + BOX_H + GAP_Y);
            }
            if let (Some(first), Some(last)) = (reports.first(), reports.last()) {
                assert_eq!(p.centre(), (first.centre() + last.centre()) / 2.0);
            }
        }
        assert_eq!(
            at("Lead").centre(),
            (at("Member 1").centre() + at("Member 2").centre()) / 2.0
        );
        assert_eq!(at("Admin").depth, 0);
        assert_eq!(at("Other admin").depth, 0);
        assert_eq!(at("Member 1").depth, 3);
        // No two boxes overlap.
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn several_roots_stand_side_by_side_without_overlap() {
        let roots: Vec<ReportingNode> = (0..4)
            .map(|i| {
                node(
                    &format!("Admin {i}"),
                    Stored::Admin,
                    vec![leaf("a"), leaf("b"), leaf("c")],
                )
            })
            .collect();
        let placed = layout(&roots);
        let tops: Vec<&Placed> = placed.iter().filter(|p| p.parent.is_none()).collect();
        assert_eq!(tops.len(), 4);
        assert!(tops.windows(2).all(|w| w[0].x + BOX_W <= w[1].x));
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                assert!(!overlap(a, b), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn the_drawing_has_a_box_per_member_and_a_line_per_report() {
        let svg = draw("Reporting lines", &forest());
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" role="img""#));
        assert!(svg.contains(r#"aria-labelledby="org-chart-title org-chart-desc""#));
        assert!(svg.contains(r#"<title id="org-chart-title">Reporting lines</title>"#));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect ").count(), 8);
        assert_eq!(svg.matches("<path ").count(), 6);
        assert!(svg.contains("Member 1 (member) reports to Lead."));
        assert!(svg.contains("Admin (admin) reports to nobody."));
        assert!(svg.contains(">squad_lead</text>"));
        // Five leaf columns, four levels.
        let width = MARGIN * 2.0 + 5.0 * (BOX_W + GAP_X) - GAP_X;
        let height = MARGIN * 2.0 + 4.0 * (BOX_H + GAP_Y) - GAP_Y;
        assert!(svg.contains(&format!(
            r#"viewBox="0 0 {width} {height}" width="{width}" height="{height}""#
        )));
        // Presentation attributes only: the console's CSP forbids inline styles.
        assert!(!svg.contains("style"));
    }

    #[test]
    fn names_are_escaped_everywhere() {
        let evil = r#"<script>alert("x")</script> & 'o'"#;
        let svg = draw(
            "Project <&\"'>",
            &[node(evil, Stored::Admin, vec![leaf("\u{1}bell")])],
        );
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("\"x\""));
        assert!(
            svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;o&#39;")
        );
        assert!(svg.contains("Project &lt;&amp;&quot;&#39;&gt;"));
        // A control character XML cannot hold is replaced, not passed through.
        assert!(!svg.contains('\u{1}'));
        assert!(svg.contains("\u{FFFD}bell"));
        assert_eq!(escape(r#"<&"'>"#), "&lt;&amp;&quot;&#39;&gt;");
    }

    #[test]
    fn long_names_are_shortened_in_the_box_only() {
        let long = "Maximiliane Wilhelmina von Hohenzollern-Sigmaringen";
        let svg = draw("t", &[node(long, Stored::Admin, vec![])]);
        assert!(svg.contains(&format!("<title>{long} (admin)</title>")));
        assert!(svg.contains(">Maximiliane Wilhelmin…</text>"));
        assert_eq!(shorten("ÄÖÜäöüß", 3), "ÄÖ…");
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("ab cd", 4), "ab…");
    }

    #[test]
    fn an_empty_project_says_no_members() {
        assert!(layout(&[]).is_empty());
        let svg = draw("Reporting lines", &[]);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(">No members</text>"));
        assert!(svg.contains(r#"<desc id="org-chart-desc">No members.</desc>"#));
        assert!(svg.contains(r#"viewBox="0 0 240 64""#));
        assert!(!svg.contains("<rect"));
    }
}
