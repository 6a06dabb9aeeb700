//! The route table. Each area module lists its handlers once, with [`area!`]; a handler's path and
//! method come from its `#[utoipa::path]` annotation, so the OpenAPI document and the routes the
//! server registers are the same list. [`register`] mounts them all under one `/api` scope, a
//! scope per area (the path's first segment), and orders each area's resources so that literal
//! segments win over parameters (`/api/users/me` before `/api/users/{id}`) in this one place.

mod agents;
mod audit;
mod auth;
mod budgets;
mod channels;
mod docs;
mod domain;
mod enterprise;
mod groups;
mod health;
mod invites;
mod memory;
mod profile;
mod providers;
mod qr;
mod remote;
mod security;
mod sessions;
mod settings;
mod setup;
mod tokens;
mod usage;
mod users;
mod webhooks;

use std::collections::BTreeMap;

use actix_web::dev::HttpServiceFactory;
use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, Handler, HttpResponse, Responder, ResponseError, Route, web};
use pincer_core::UserId;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::path::HttpMethod;

use crate::error::ApiError;

/// Declares an area's handlers: its part of the OpenAPI document (`Doc`) and its routes
/// (`endpoints()`), from one list. Each handler carries a `#[utoipa::path]` annotation.
macro_rules! area {
    ($($handler:ident),+ $(,)?) => {
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler),+))]
        pub(crate) struct Doc;

        pub(crate) fn endpoints() -> Vec<$crate::routes::Endpoint> {
            let doc = <Doc as utoipa::OpenApi>::openapi();
            [$($crate::routes::Endpoint::from_doc(&doc, stringify!($handler), $handler)),+]
                .into_iter()
                .flatten()
                .collect()
        }
    };
}
pub(crate) use area;

/// One operation the server serves: the method and full path its annotation declares.
pub(crate) struct Endpoint {
    pub path: String,
    #[cfg_attr(not(test), allow(dead_code))] // read by the route-table test
    pub method: Method,
    route: Route,
}

impl Endpoint {
    /// The route of `handler`, at the path and method of the operation named `operation_id` in
    /// the area's document. `None` only if the annotation names another operation id, which the
    /// route-table test catches.
    pub(crate) fn from_doc<F, Args>(doc: &Document, operation_id: &str, handler: F) -> Option<Self>
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let (path, method) = doc.paths.paths.iter().find_map(|(path, item)| {
            operations(item)
                .find(|(_, op)| op.operation_id.as_deref() == Some(operation_id))
                .map(|(method, _)| (path.clone(), method))
        })?;
        Some(Self { path, route: web::method(method.clone()).to(handler), method })
    }
}

/// The operations of a path item with their methods.
pub(crate) fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (Method, &utoipa::openapi::path::Operation)> {
    [
        (HttpMethod::Get, &item.get),
        (HttpMethod::Put, &item.put),
        (HttpMethod::Post, &item.post),
        (HttpMethod::Delete, &item.delete),
        (HttpMethod::Options, &item.options),
        (HttpMethod::Head, &item.head),
        (HttpMethod::Patch, &item.patch),
        (HttpMethod::Trace, &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, op)| op.as_ref().map(|op| (actix_method(&method), op)))
}

fn actix_method(m: &HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Post => Method::POST,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// Every area's part of the document, in one place (the OpenAPI document merges them).
pub(crate) fn documents() -> Vec<Document> {
    use utoipa::OpenApi as _;
    vec![
        health::Doc::openapi(),
        setup::Doc::openapi(),
        auth::Doc::openapi(),
        profile::Doc::openapi(),
        users::Doc::openapi(),
        invites::Doc::openapi(),
        settings::Doc::openapi(),
        providers::Doc::openapi(),
        agents::Doc::openapi(),
        audit::Doc::openapi(),
        usage::Doc::openapi(),
        budgets::Doc::openapi(),
        enterprise::Doc::openapi(),
        groups::Doc::openapi(),
        sessions::Doc::openapi(),
        memory::Doc::openapi(),
        webhooks::Doc::openapi(),
        channels::Doc::openapi(),
        tokens::Doc::openapi(),
        qr::Doc::openapi(),
        domain::Doc::openapi(),
        remote::Doc::openapi(),
        security::Doc::openapi(),
        crate::ws::Doc::openapi(),
        docs::Doc::openapi(),
    ]
}

/// Every route the server registers.
pub(crate) fn table() -> Vec<Endpoint> {
    [
        health::endpoints(),
        setup::endpoints(),
        auth::endpoints(),
        profile::endpoints(),
        users::endpoints(),
        invites::endpoints(),
        settings::endpoints(),
        providers::endpoints(),
        agents::endpoints(),
        audit::endpoints(),
        usage::endpoints(),
        budgets::endpoints(),
        enterprise::endpoints(),
        groups::endpoints(),
        sessions::endpoints(),
        memory::endpoints(),
        webhooks::endpoints(),
        channels::endpoints(),
        tokens::endpoints(),
        qr::endpoints(),
        domain::endpoints(),
        remote::endpoints(),
        security::endpoints(),
        crate::ws::endpoints(),
        docs::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Mounts the table: `/api`, then a scope per area, then one resource per path with a route per
/// method; unmatched methods answer 405 and unmatched paths under `/api` the JSON 404.
pub fn register(cfg: &mut web::ServiceConfig) {
    // A few routes live outside `/api` (webhook deliveries): each is a resource of its own.
    let (api, outside): (Vec<Endpoint>, Vec<Endpoint>) = table().into_iter().partition(|e| e.path.starts_with("/api"));
    for e in outside {
        cfg.service(resource(&e.path).route(e.route));
    }
    cfg.service(api_scope(api));
}

fn api_scope(endpoints: Vec<Endpoint>) -> impl HttpServiceFactory {
    // area → path within the area → the routes of that path
    let mut areas: BTreeMap<String, BTreeMap<PathKey, Vec<Route>>> = BTreeMap::new();
    for e in endpoints {
        let within_api = e.path.strip_prefix("/api").unwrap_or(&e.path).to_string();
        let (area, rest) = split_area(&within_api);
        areas.entry(area.to_string()).or_default().entry(PathKey::new(rest)).or_default().push(e.route);
    }
    let mut api = web::scope("/api").default_service(web::to(route_not_found));
    for (area, paths) in areas {
        let mut scope = web::scope(&area).default_service(web::to(route_not_found));
        for (path, routes) in paths {
            scope = scope.service(routes.into_iter().fold(resource(&path.raw), |r, route| r.route(route)));
        }
        api = api.service(scope);
    }
    api
}

/// `/users/{id}/reset` → (`/users`, `/{id}/reset`).
fn split_area(path: &str) -> (&str, &str) {
    let after_slash = path.get(1..).unwrap_or_default();
    match after_slash.find('/') {
        Some(i) => path.split_at(i + 1),
        None => (path, ""),
    }
}

/// Orders a scope's resources: segment by segment, a literal before a parameter, so that the
/// first resource actix finds for a path is the most specific one.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct PathKey {
    segments: Vec<(bool, String)>,
    raw: String,
}

impl PathKey {
    fn new(raw: &str) -> Self {
        let segments = raw.split('/').map(|s| (s.starts_with('{'), s.to_string())).collect();
        Self { segments, raw: raw.to_string() }
    }
}

/// A resource whose unmatched methods answer 405 in our error shape.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> HttpResponse {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        .error_response()
}

pub async fn route_not_found() -> HttpResponse {
    ApiError::new(StatusCode::NOT_FOUND, "route_not_found", "no such route").error_response()
}

fn parse_user_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::invalid_id())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn literal_segments_sort_before_parameters() {
        let mut keys = [PathKey::new("/{id}"), PathKey::new("/{id}/reset"), PathKey::new("/me"), PathKey::new("")];
        keys.sort();
        let order: Vec<_> = keys.iter().map(|k| k.raw.as_str()).collect();
        assert_eq!(order, ["", "/me", "/{id}", "/{id}/reset"]);
    }

    #[test]
    fn areas_are_the_first_segment() {
        assert_eq!(split_area("/users/{id}/reset"), ("/users", "/{id}/reset"));
        assert_eq!(split_area("/health"), ("/health", ""));
    }

    /// Walks the route table the server mounts and the served document: a route without an
    /// operation, or an operation without a route, fails.
    #[test]
    fn every_registered_route_is_documented_and_every_documented_operation_is_routed() {
        let registered: BTreeSet<(String, String)> =
            table().iter().map(|e| (e.method.to_string(), e.path.clone())).collect();
        let handlers = table().len();
        assert_eq!(registered.len(), handlers, "two handlers share a method and path");
        let doc = crate::openapi::document();
        let documented: BTreeSet<(String, String)> = doc
            .paths
            .paths
            .iter()
            .flat_map(|(path, item)| operations(item).map(|(m, _)| (m.to_string(), path.clone())))
            .collect();
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&registered).collect();
        assert!(undocumented.is_empty(), "routes missing from the document: {undocumented:?}");
        assert!(unrouted.is_empty(), "documented operations the server does not route: {unrouted:?}");
        assert!(registered.contains(&("GET".into(), "/api/users/me/context".into())));
        assert!(registered.len() > 40, "the table looks truncated: {}", registered.len());
    }
}
