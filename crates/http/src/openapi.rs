//! The OpenAPI 3.1 document served at `/api/openapi.json`: every area's annotated handlers
//! (routes::documents), the shared components, and the responses every operation of a kind can
//! give whatever its handler does (authentication, CSRF, body and query errors, storage outage),
//! added here once instead of on ~40 annotations.

use std::sync::LazyLock;

use actix_web::http::Method;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, ResponseBuilder};

use crate::auth::SESSION_COOKIE;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pincer API",
        description = "The JSON API of Pincer, a self-hosted AI agent platform. Flows, deviations from \
                       the references and error codes are described in docs/API.md; this document is \
                       the reference for shapes. Every error is `{\"error\": \"<message>\", \"code\": \
                       \"<stable_code>\"}`. Mutating requests authenticated by the session cookie must \
                       carry a same-origin `Origin` (or `Referer`) header.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::ws::ClientFrame,
        crate::ws::ServerFrame,
    )),
    security(("cookie" = []), ("bearer" = [])),
)]
struct Root;

/// The whole document, built once.
pub fn document() -> Document {
    let mut doc = Root::openapi();
    for part in routes::documents() {
        doc.merge(part);
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "cookie",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The session cookie set by `POST /api/auth/login` or `POST /api/setup` (HttpOnly, SameSite=Lax).",
        ))),
    );
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("A session token in `Authorization: Bearer <token>`; exempt from the origin check."))
                .build(),
        ),
    );
    for item in doc.paths.paths.values_mut() {
        for (method, op) in operations_mut(item) {
            add_common_responses(&method, op);
        }
    }
    doc
}

/// The served document, serialised once.
pub fn json() -> &'static [u8] {
    static JSON: LazyLock<Vec<u8>> = LazyLock::new(|| serde_json::to_vec(&document()).unwrap_or_default());
    &JSON
}

fn operations_mut(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = (Method, &mut Operation)> {
    [
        (Method::GET, &mut item.get),
        (Method::PUT, &mut item.put),
        (Method::POST, &mut item.post),
        (Method::DELETE, &mut item.delete),
        (Method::PATCH, &mut item.patch),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_mut().map(|op| (method, op)))
}

/// An operation declared `security(())` is public; every other one needs a credential.
fn is_public(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|reqs| reqs.iter().all(|r| *r == SecurityRequirement::default()))
}

fn add_common_responses(method: &Method, op: &mut Operation) {
    if !is_public(op) {
        add_error(op, "401", "Not signed in, or the session expired or was revoked.", &["not_authenticated"]);
    }
    if !matches!(*method, Method::GET | Method::HEAD) {
        add_error(
            op,
            "403",
            "A cookie-authenticated request from another origin (or a foreign Origin on any request).",
            &["csrf_rejected"],
        );
    }
    if op.request_body.is_some() {
        add_error(
            op,
            "400",
            "The body is not JSON or does not have the documented shape.",
            &["invalid_json", "invalid_input"],
        );
        add_error(op, "413", "The body is larger than 1 MiB.", &["payload_too_large"]);
        add_error(op, "408", "The body did not arrive within 30 seconds.", &["request_timeout"]);
        add_error(op, "415", "The body is not `application/json`.", &["unsupported_media_type"]);
    }
    if op.parameters.as_ref().is_some_and(|ps| !ps.is_empty()) {
        add_error(op, "400", "A parameter is malformed.", &["invalid_query"]);
    }
    add_error(op, "503", "The database did not answer in time.", &["storage_unavailable"]);
}

/// Adds an error response, or — when the handler documents that status already — the codes to
/// its description, so one status lists every code it can carry.
fn add_error(op: &mut Operation, status: &str, description: &str, codes: &[&str]) {
    let codes_text = codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    match op.responses.responses.get_mut(status) {
        Some(RefOr::T(existing)) => {
            let missing: Vec<_> = codes.iter().filter(|c| !existing.description.contains(&format!("`{c}`"))).collect();
            if !missing.is_empty() {
                let extra = missing.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
                existing.description = format!("{} {description} ({extra})", existing.description);
            }
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            let response = ResponseBuilder::new()
                .description(format!("{description} Codes: {codes_text}."))
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build();
            op.responses.responses.insert(status.to_string(), RefOr::T(response));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Areas are merged into one document: two schemas of the same name would silently become
    /// one, and an operation would document another's shape.
    #[test]
    fn no_two_areas_define_different_schemas_under_one_name() {
        let mut seen: std::collections::BTreeMap<String, serde_json::Value> = Default::default();
        for part in routes::documents() {
            for (name, schema) in part.components.map(|c| c.schemas).unwrap_or_default() {
                let schema = serde_json::to_value(schema).unwrap();
                if let Some(before) = seen.insert(name.clone(), schema.clone()) {
                    assert_eq!(before, schema, "schema {name} is defined twice, differently");
                }
            }
        }
        assert!(seen.contains_key("UserDto"));
    }

    #[test]
    fn the_document_is_openapi_3_1_with_both_security_schemes() {
        let doc: serde_json::Value = serde_json::from_slice(json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["cookie"]["in"], "cookie");
        assert_eq!(schemes["cookie"]["name"], SESSION_COOKIE);
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
    }

    #[test]
    fn protected_operations_document_401_and_public_ones_do_not() {
        let doc: serde_json::Value = serde_json::from_slice(json()).unwrap();
        let users = &doc["paths"]["/api/users"]["get"]["responses"];
        assert!(users.get("401").is_some(), "{users}");
        assert!(users.get("403").is_some(), "admin_required is documented: {users}");
        let health = &doc["paths"]["/api/health"]["get"]["responses"];
        assert!(health.get("401").is_none(), "{health}");
        let login = &doc["paths"]["/api/auth/login"]["post"]["responses"];
        assert!(login["400"]["description"].as_str().unwrap().contains("invalid_json"), "{login}");
        assert!(login.get("413").is_some() && login.get("415").is_some(), "{login}");
    }

    #[test]
    fn every_operation_names_its_error_shape() {
        let doc: serde_json::Value = serde_json::from_slice(json()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &response["content"]["application/json"]["schema"];
                        let named = schema.to_string();
                        assert!(
                            ["ErrorBody", "HealthDto", "ProbeDto"].iter().any(|shape| named.contains(shape)),
                            "{method} {path} {status}: {response}"
                        );
                    }
                }
            }
        }
    }
}
