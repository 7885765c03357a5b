//! The console's stylesheet, script and icon, built into the binary (no network, no Node
//! toolchain).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");
const ICON: &str = include_str!("assets/icon.svg");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/console.css", web::get().to(stylesheet))
        .route("/assets/console.js", web::get().to(script))
        .route("/assets/icon.svg", web::get().to(icon));
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

async fn icon() -> HttpResponse {
    asset("image/svg+xml", ICON)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
