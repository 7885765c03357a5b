//! The page chrome: the document, the navigation, the sign-out form, notices and the link to
//! a list's next page. Every page is one `<main>` with one `<h1>`, reachable by a skip link.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::csrf;
use super::viewer::Viewer;

/// The navigation, in order: (path, label).
const SECTIONS: [(&str, &str); 8] = [
    ("/console/groups", "Groups"),
    ("/console/projects", "Projects"),
    ("/console/users", "People"),
    ("/console/why", "Why?"),
    ("/console/audit", "Audit log"),
    ("/console/changes", "Changes"),
    ("/console/webhooks", "Webhooks"),
    ("/console/idp-groups", "IdP groups"),
];

fn document(title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Roster" }
                link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to the content" }
                (header)
                main id="main" tabindex="-1" {
                    (body)
                }
            }
        }
    }
}

/// A page for a signed-in viewer; `current` is the section the page belongs to.
pub fn page(viewer: &Viewer, current: &str, title: &str, body: Markup) -> Markup {
    let header = html! {
        header class="top" {
            a class="brand" href="/console/groups" { "Roster" }
            nav aria-label="Sections" {
                ul {
                    @for (path, label) in SECTIONS {
                        li {
                            @if path == current {
                                a href=(path) aria-current="page" { (label) }
                            } @else {
                                a href=(path) { (label) }
                            }
                        }
                    }
                }
            }
            form class="sign-out" method="post" action="/console/sign-out" {
                input type="hidden" name=(csrf::FIELD) value=(viewer.csrf);
                span class="who" { (viewer.user.display_name) }
                button type="submit" { "Sign out" }
            }
        }
    };
    document(title, header, body)
}

/// A page without a session: sign-in, and refusals.
pub fn bare(title: &str, body: Markup) -> Markup {
    let header = html! {
        header class="top" { a class="brand" href="/console/groups" { "Roster" } }
    };
    document(title, header, html! { h1 { (title) } (body) })
}

/// A confirmation after a change.
pub fn done(text: &str) -> Markup {
    html! { div class="notice ok" role="status" { p { (text) } } }
}

/// "Next page" for a list, keeping the page's other query parameters.
pub fn next_page(path: &str, query: &[(&str, &str)], next_cursor: Option<&str>) -> Markup {
    let Some(cursor) = next_cursor else {
        return html! {};
    };
    let mut url = form_urlencoded::Serializer::new(String::new());
    for (name, value) in query.iter().filter(|(_, v)| !v.is_empty()) {
        url.append_pair(name, value);
    }
    url.append_pair("cursor", cursor);
    html! {
        nav class="pages" aria-label="Pages" {
            a href={ (path) "?" (url.finish()) } rel="next" { "Next page" }
        }
    }
}

/// Text that must stay on one line in a table cell (ids, timestamps).
pub fn mono(text: &str) -> Markup {
    html! { code { (text) } }
}

/// An empty-list message.
pub fn none(text: &str) -> Markup {
    html! { p class="empty" { (text) } }
}

/// Raw, trusted markup made by the server itself (the org chart's SVG).
pub fn trusted(markup: String) -> Markup {
    PreEscaped(markup)
}
