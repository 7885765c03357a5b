//! The console's stylesheet and script, built into the binary (no network, no Node toolchain).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/console.css", web::get().to(stylesheet))
        .route("/assets/console.js", web::get().to(script));
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
