//! Sign-in by QR code (issue #19): a signed-in browser gets a QR code of a one-time link, and the
//! phone that opens it signs in with the code. Unlike the dashboard reference, where the QR route
//! mints a login for anyone who asks, only a signed-in caller gets one (docs/SECURITY.md).

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, USER_AGENT};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authed, client_ip, session_cookie};
use crate::dto::{SignedInDto, UserDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

super::area!(qr_code, qr_login);

/// Pixels per QR module in the PNG, and the quiet zone around the code, in modules.
const PNG_SCALE: usize = 8;
const QUIET_ZONE: usize = 4;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct QrQuery {
    /// `svg` (default), `png`, or `json` (the link itself, for a page that shows it as text).
    #[param(pattern = "^(svg|png|json)$")]
    format: Option<String>,
}

/// The link a QR code holds, as `format=json` gives it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct QrLinkDto {
    url: String,
    expires_at: String,
}

/// Where the phone should go: the configured public URL, the locked domain, else the origin this
/// request came to.
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    if let Some(public) = &state.config.public_url {
        return public.trim_end_matches('/').to_string();
    }
    if let Some(domain) = state.config.locked_domain() {
        return format!("https://{domain}");
    }
    let host = req.headers().get("Host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("{}://{host}", crate::domain::request_scheme(req, &state.config))
}

/// A QR code of a one-time sign-in link for the caller's phone: valid 2 minutes, single use,
/// giving a fresh session of the caller's on the device that opens it. Needs a sign-in session.
#[utoipa::path(
    get,
    path = "/api/qr",
    tag = "auth",
    params(QrQuery),
    responses(
        (status = 200, description = "The QR code: `image/svg+xml`, `image/png`, or with `format=json` the link.", content(
            (String = "image/svg+xml"),
            (String = "image/png"),
            (QrLinkDto = "application/json"),
        )),
        (status = 400, description = "Codes: `invalid_input` (format).", body = ErrorBody),
        (status = 401, description = "Codes: `not_authenticated`.", body = ErrorBody),
        (status = 403, description = "Codes: `wrong_credential` (an API token).", body = ErrorBody),
    ),
)]
async fn qr_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    authed: Authed,
    query: Query<QrQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = query.format.as_deref().unwrap_or("svg");
    if !matches!(format, "svg" | "png" | "json") {
        return Err(ApiError::bad_request("invalid_input", "format must be svg, png or json"));
    }
    let issued = state.identity.qr_sign_in_code(&authed.principal).await?;
    let url = format!("{}/login/qr/{}", base_url(&req, &state), issued.code.expose());
    let mut res = HttpResponse::Ok();
    res.insert_header((CACHE_CONTROL, "no-store"));
    Ok(match format {
        "json" => res.json(QrLinkDto { url, expires_at: issued.expires_at.to_rfc3339() }),
        "png" => res.insert_header((CONTENT_TYPE, "image/png")).body(png(&url)?),
        _ => res.insert_header((CONTENT_TYPE, "image/svg+xml")).body(svg(&url)?),
    })
}

fn encode(url: &str) -> Result<qrcode::QrCode, ApiError> {
    qrcode::QrCode::new(url.as_bytes())
        .map_err(|_| ApiError::bad_request("invalid_input", "the sign-in link is too long for a QR code"))
}

fn svg(url: &str) -> Result<String, ApiError> {
    let code = encode(url)?;
    Ok(code.render::<qrcode::render::svg::Color>().min_dimensions(256, 256).quiet_zone(true).build())
}

/// The code as a black-on-white 8-bit greyscale PNG.
fn png(url: &str) -> Result<Vec<u8>, ApiError> {
    let code = encode(url)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * PNG_SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = ((i % modules + QUIET_ZONE) * PNG_SCALE, (i / modules + QUIET_ZONE) * PNG_SCALE);
        for row in y..y + PNG_SCALE {
            pixels[row * side + x..row * side + x + PNG_SCALE].fill(0);
        }
    }
    let side =
        u32::try_from(side).map_err(|_| ApiError::bad_request("invalid_input", "the sign-in link is too long"))?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let written = encoder.write_header().and_then(|mut writer| writer.write_image_data(&pixels));
    written.map_err(|e| {
        tracing::error!(error = %e, "encoding a QR code as PNG failed");
        ApiError::new(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "the QR code could not be drawn")
    })?;
    Ok(out)
}

#[derive(Deserialize, ToSchema)]
struct QrLoginBody {
    /// The code from the link (`ABCD-EFGH`).
    #[schema(max_length = 32)]
    code: String,
}

/// Signs this device in with a QR sign-in code; sets the session cookie. Public: the code is the
/// credential. Counted against the address's sign-in attempts.
#[utoipa::path(
    post,
    path = "/api/auth/qr",
    tag = "auth",
    security(()),
    request_body = QrLoginBody,
    responses(
        (status = 200, description = "Signed in.", body = SignedInDto),
        (status = 400, description = "Codes: `invalid_token` (unknown, used or expired code).", body = ErrorBody),
        (status = 429, description = "Codes: `rate_limited`.", body = ErrorBody),
    ),
)]
async fn qr_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<QrLoginBody>,
) -> Result<HttpResponse, ApiError> {
    let source = client_ip(&req, &state.config);
    let agent = req.headers().get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let outcome = state.identity.qr_login(&body.code, agent, &source).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(outcome.token.expose(), &state.config))
        .json(SignedInDto { user: UserDto::from(&outcome.user) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_is_a_square_greyscale_image_of_the_code() {
        let bytes = png("http://localhost:8080/login/qr/ABCD-EFGH").unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        let modules = encode("http://localhost:8080/login/qr/ABCD-EFGH").unwrap().width();
        assert_eq!((info.width, info.height), (info.width, info.width));
        assert_eq!(info.width as usize, (modules + 2 * QUIET_ZONE) * PNG_SCALE);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
    }

    #[test]
    fn the_svg_is_an_svg_document() {
        let svg = svg("https://pincer.example/login/qr/ABCD-EFGH").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    }
}
