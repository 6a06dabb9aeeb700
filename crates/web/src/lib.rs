//! The web app (docs/WEB.md): ES modules, CSS and vendored libraries under `app/`, served as they
//! are — no build step. Release builds embed the folder; debug builds read it from disk, so a
//! page can be edited and reloaded without rebuilding.
//!
//! Every app path (`/`, `/login`, `/setup`, `/chat/...`, `/admin/...`, `/invite/...`) answers the
//! shell, `index.html`; the app routes in the browser. Files are under `/app/...`. `/api/...`
//! is the API's own scope and never reaches this service.

use std::borrow::Cow;

use actix_web::http::header::{self, ContentEncoding, EntityTag, Header, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "app/"]
struct App;

/// The app's policy: scripts and styles from this origin only (no inline code, no eval), API
/// calls and the chat socket to this origin only, nothing framed, nothing else fetched.
pub const APP_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// Mounts the app: its files under `/app/`, the shell on every other path outside `/api`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/app/{file:.*}", web::get().to(file)).route("/{path:.*}", web::get().to(shell));
}

async fn file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match App::get(&path) {
        Some(found) => respond(&req, &path, found.data),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file"),
    }
}

async fn shell(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    // A path that looks like a file is a missing file, not a page.
    if path.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file");
    }
    match App::get("index.html") {
        Some(found) => respond(&req, "index.html", found.data),
        None => HttpResponse::InternalServerError().body("the web app is missing from this build"),
    }
}

/// The file with its type, an ETag of its content (revalidated on every use: `no-cache`), and
/// gzip when the client takes it.
fn respond(req: &HttpRequest, name: &str, data: Cow<'static, [u8]>) -> HttpResponse {
    let tag = EntityTag::new_strong(hex::encode(&ring::digest::digest(&ring::digest::SHA256, &data).as_ref()[..16]));
    let unchanged = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(items)) => items.iter().any(|t| t.weak_eq(&tag)),
        Err(_) => false,
    };
    let mut res = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::CONTENT_TYPE, content_type(name)))
        .insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CONTENT_SECURITY_POLICY, APP_CSP));
    if unchanged {
        return res.finish();
    }
    if accepts_gzip(req) && compressible(name) {
        res.insert_header(ContentEncoding::Gzip).body(gzip(&data))
    } else {
        res.body(data.into_owned())
    }
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")))
}

fn compressible(name: &str) -> bool {
    !name.ends_with(".png")
}

/// Compressed per response: the files are small (tens of KiB) and browsers revalidate with the
/// ETag, so most requests are 304s that send nothing.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 3), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt" | "md") | Some("LICENSE") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_and_the_vendored_modules_are_there() {
        for file in ["index.html", "app.js", "app.css", "vendor/preact.module.js", "vendor/hooks.module.js"] {
            assert!(App::get(file).is_some(), "{file} missing");
        }
        assert_eq!(content_type("vendor/htm.module.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("x/preact.LICENSE"), "text/plain; charset=utf-8");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let data = b"<!doctype html><p>hello</p>".repeat(20);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gzip(&data)[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
    }
}
