//! The contract, served by the binary: the OpenAPI document at `/api/openapi.json` and a
//! readable reference at `/api/docs` (Swagger UI, vendored under `assets/api-docs`; nothing is
//! loaded from elsewhere).

use std::io::Write as _;
use std::sync::LazyLock;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentEncoding};
use actix_web::{HttpRequest, HttpResponse, web};
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::error::{ApiError, ErrorBody};

super::area!(openapi_json, docs_page, docs_asset);

/// The page's policy: as the API's, plus the `data:` images Swagger UI's stylesheet uses.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/// The OpenAPI 3.1 document of this server.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "docs",
    security(()),
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object)),
)]
async fn openapi_json(req: HttpRequest) -> HttpResponse {
    static GZIPPED: LazyLock<Vec<u8>> = LazyLock::new(|| gzip(crate::openapi::json()));
    asset(&req, "application/json", crate::openapi::json(), &GZIPPED, "no-cache")
}

/// The API reference, readable in a browser.
#[utoipa::path(
    get,
    path = "/api/docs",
    tag = "docs",
    security(()),
    responses((status = 200, description = "An HTML page.", content_type = "text/html", body = String)),
)]
async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(&include_bytes!("../../assets/api-docs/index.html")[..])
}

struct Asset {
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
    gzipped: LazyLock<Vec<u8>>,
}

macro_rules! asset {
    ($name:literal, $mime:literal) => {
        Asset {
            name: $name,
            mime: $mime,
            bytes: include_bytes!(concat!("../../assets/api-docs/", $name)),
            gzipped: LazyLock::new(|| gzip(include_bytes!(concat!("../../assets/api-docs/", $name)))),
        }
    };
}

static ASSETS: [Asset; 3] = [
    asset!("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    asset!("swagger-ui.css", "text/css; charset=utf-8"),
    asset!("init.js", "text/javascript; charset=utf-8"),
];

/// A file of the API reference page.
#[utoipa::path(
    get,
    path = "/api/docs/{file}",
    tag = "docs",
    security(()),
    params(("file" = String, Path, description = "`swagger-ui-bundle.js`, `swagger-ui.css` or `init.js`.")),
    responses(
        (status = 200, description = "The file.", content_type = "text/javascript", body = String),
        (status = 404, description = "No such file. Codes: `route_not_found`.", body = ErrorBody),
    ),
)]
async fn docs_asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let found = ASSETS.iter().find(|a| a.name == file.as_str());
    let a = found.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such file"))?;
    // The URLs carry the release (`?v=`), so a day of caching never serves a stale file for long.
    Ok(asset(&req, a.mime, a.bytes, &a.gzipped, "public, max-age=86400"))
}

/// Serves bytes gzipped when the client accepts it (the bundle shrinks from 1.7 MiB to ~0.5).
fn asset(req: &HttpRequest, mime: &str, plain: &'static [u8], gzipped: &[u8], cache: &str) -> HttpResponse {
    let accepts_gzip = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")));
    let mut res = HttpResponse::Ok();
    res.content_type(mime)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip && !gzipped.is_empty() {
        res.insert_header(ContentEncoding::Gzip).body(gzipped.to_vec())
    } else {
        res.body(plain)
    }
}

/// Compressed once, on first use; empty (so the plain bytes are served) if compression fails.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).and_then(|()| encoder.finish()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_gzip_to_what_they_were() {
        use std::io::Read as _;
        let bundle = &ASSETS[0];
        assert!(bundle.gzipped.len() < bundle.bytes.len() / 2, "{} vs {}", bundle.gzipped.len(), bundle.bytes.len());
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&bundle.gzipped[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, bundle.bytes);
    }

    /// The vendored Swagger UI release (assets/api-docs/README.md); the page asks for its files
    /// with `?v=` this, so a new release is fetched at once despite a day of caching.
    const SWAGGER_UI_VERSION: &str = "5.35.0";

    #[test]
    fn the_page_asks_for_the_vendored_release() {
        let readme = include_str!("../../assets/api-docs/README.md");
        assert!(readme.contains(&format!("swagger-ui-dist` {SWAGGER_UI_VERSION}")));
        let page = std::str::from_utf8(include_bytes!("../../assets/api-docs/index.html")).unwrap();
        assert!(page.contains(&format!("?v={SWAGGER_UI_VERSION}")));
        assert!(!page.contains("http://") && !page.contains("https://"), "the page loads nothing from elsewhere");
    }
}
