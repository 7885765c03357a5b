//! How a console handler answers: a page with a status, or a redirect to the page to show next
//! (after a form, `303 See Other`, so reloading it does not submit the form again).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

use super::HTML;

/// A rendered page with `status`.
pub fn html_page(status: StatusCode, page: maud::Markup) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, HTML))
        .body(page.into_string())
}

/// `303 See Other` to `location`.
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.into()))
        .finish()
}
