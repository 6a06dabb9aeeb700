//! Inbound webhooks: admins manage slots under `/api/webhooks` (a secret is returned once), and
//! outside systems post to `/webhook/inbound/{name}` with the slot's proof instead of a session.
//! An unknown slot and a bad proof get the same 401, so slots cannot be listed from outside.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use futures::StreamExt;
use pincer_channels::webhooks::proof::ProofHeaders;
use pincer_channels::webhooks::{
    Delivery, MAX_BODY_BYTES, NewSlot, RequestState, SignatureMode, WebhookError, WebhookRequest, WebhookSlot,
};
use pincer_core::WebhookRequestId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Authed, client_ip};
use crate::dto::{SUCCESS, Success};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

super::area!(list, add, remove, regenerate, request, inbound);

/// Requests shown per slot in the list.
const RECENT: u32 = 10;

/// A slot (its secret masked: only the last 4 characters).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SlotDto {
    name: String,
    #[schema(format = Uuid)]
    agent_id: String,
    description: String,
    sync_timeout_seconds: u32,
    /// `standard` (Standard Webhooks only) or `body` (also the body HMAC and the plain secret).
    signature: &'static str,
    /// `whsec_…` and the secret's last 4 characters.
    secret_hint: String,
    /// The path to post deliveries to.
    url: String,
    #[schema(format = DateTime)]
    created_at: String,
    /// The newest deliveries, newest first.
    recent: Vec<RequestDto>,
}

impl SlotDto {
    fn new(slot: WebhookSlot, recent: Vec<WebhookRequest>) -> Self {
        Self {
            url: format!("/webhook/inbound/{}", slot.name),
            name: slot.name,
            agent_id: slot.agent_id.to_string(),
            description: slot.description,
            sync_timeout_seconds: slot.sync_timeout_secs,
            signature: slot.signature.as_str(),
            secret_hint: format!("whsec_…{}", slot.secret_hint),
            created_at: slot.created_at.to_rfc3339(),
            recent: recent.into_iter().map(RequestDto::from).collect(),
        }
    }
}

/// A delivery and its run.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct RequestDto {
    #[schema(format = Uuid)]
    request_id: String,
    /// `running`, `done` or `failed`.
    state: &'static str,
    /// The agent's answer, once done.
    answer: Option<String>,
    /// Why it failed (a stable code).
    error: Option<String>,
    /// The session the run is in (the slot owner's).
    #[schema(format = Uuid)]
    session_id: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    finished_at: Option<String>,
}

impl From<WebhookRequest> for RequestDto {
    fn from(r: WebhookRequest) -> Self {
        Self {
            request_id: r.id.to_string(),
            state: r.state.as_str(),
            answer: r.answer,
            error: r.error,
            session_id: r.session_id.map(|s| s.to_string()),
            created_at: r.created_at.to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A new slot.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AddBody {
    /// The URL slug: 1–64 of `a-z 0-9 -`.
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    #[schema(format = Uuid)]
    agent_id: String,
    #[schema(max_length = 500)]
    description: Option<String>,
    /// How long `?wait=true` waits for the answer (1–300, default 30).
    #[schema(minimum = 1, maximum = 300)]
    sync_timeout_seconds: Option<u32>,
    /// `standard` (default) or `body`.
    signature: Option<String>,
}

/// A slot with its secret, shown this once.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct SlotWithSecret {
    #[serde(flatten)]
    slot: SlotDto,
    /// `whsec_<base64 key>`: the Standard Webhooks signing secret (also the reference's plain
    /// secret). Not shown again.
    secret: String,
}

/// A slot by name.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SlotNameBody {
    #[schema(min_length = 1, max_length = 64)]
    name: String,
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        use actix_web::http::StatusCode as S;
        let status = match &e {
            WebhookError::InvalidInput(_) | WebhookError::UnknownAgent => S::BAD_REQUEST,
            WebhookError::Denied(_) => S::FORBIDDEN,
            WebhookError::NotFound | WebhookError::RequestNotFound => S::NOT_FOUND,
            WebhookError::NameTaken | WebhookError::OwnerInactive => S::CONFLICT,
            WebhookError::Unauthorized(_) => S::UNAUTHORIZED,
            WebhookError::RateLimited(secs) => {
                return Self::new(S::TOO_MANY_REQUESTS, e.code(), e.to_string()).retry_after(*secs);
            }
            WebhookError::Refused { code: "budget_exceeded", .. } => S::TOO_MANY_REQUESTS,
            WebhookError::Refused { .. } => S::CONFLICT,
            WebhookError::Unavailable => S::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

const ADMIN: &str = "Codes: `admin_required`, `missing_scope`.";

/// Every slot, with its newest deliveries (admin only). Secrets are masked.
#[utoipa::path(
    get,
    path = "/api/webhooks",
    tag = "webhooks",
    responses(
        (status = 200, description = "The slots, by name.", body = Vec<SlotDto>),
        (status = 403, description = ADMIN, body = ErrorBody),
    ),
)]
async fn list(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let slots = state.webhooks.list(&authed.principal).await?;
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        let recent = state.webhooks.recent(&authed.principal, &slot.name, RECENT).await?;
        out.push(SlotDto::new(slot, recent));
    }
    Ok(HttpResponse::Ok().json(out))
}

/// Creates a slot and returns its secret, this once (admin only). Audited `webhook.created`.
#[utoipa::path(
    post,
    path = "/api/webhooks/add",
    tag = "webhooks",
    request_body = AddBody,
    responses(
        (status = 201, description = "Created; `secret` is not shown again.", body = SlotWithSecret),
        (status = 400, description = "Codes: `invalid_input` (the message names the field), `unknown_agent`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 409, description = "Codes: `webhook_exists`.", body = ErrorBody),
    ),
)]
async fn add(state: web::Data<AppState>, authed: Authed, body: Json<AddBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let agent_id = body
        .agent_id
        .trim()
        .parse()
        .map_err(|_| ApiError::bad_request("invalid_input", "agentId must be an agent id"))?;
    let signature = match body.signature.as_deref() {
        None => None,
        Some(raw) => Some(
            SignatureMode::parse(raw)
                .ok_or_else(|| ApiError::bad_request("invalid_input", "signature must be standard or body"))?,
        ),
    };
    let new = NewSlot {
        name: body.name,
        agent_id,
        description: body.description.unwrap_or_default(),
        sync_timeout_secs: body.sync_timeout_seconds,
        signature,
    };
    let (slot, secret) = state.webhooks.add(&authed.principal, new).await?;
    Ok(HttpResponse::Created().json(SlotWithSecret { slot: SlotDto::new(slot, Vec::new()), secret }))
}

/// Removes a slot and its deliveries (admin only). Audited `webhook.removed`.
#[utoipa::path(
    post,
    path = "/api/webhooks/remove",
    tag = "webhooks",
    request_body = SlotNameBody,
    responses(
        (status = 200, description = "Removed.", body = Success),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `webhook_not_found`.", body = ErrorBody),
    ),
)]
async fn remove(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<SlotNameBody>,
) -> Result<HttpResponse, ApiError> {
    state.webhooks.remove(&authed.principal, &body.name).await?;
    Ok(HttpResponse::Ok().json(SUCCESS))
}

/// Gives a slot a new secret (the old one stops working at once) and returns it, this once
/// (admin only). Audited `webhook.regenerated`.
#[utoipa::path(
    post,
    path = "/api/webhooks/regenerate",
    tag = "webhooks",
    request_body = SlotNameBody,
    responses(
        (status = 200, description = "The slot with its new secret.", body = SlotWithSecret),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `webhook_not_found`.", body = ErrorBody),
    ),
)]
async fn regenerate(
    state: web::Data<AppState>,
    authed: Authed,
    body: Json<SlotNameBody>,
) -> Result<HttpResponse, ApiError> {
    let (slot, secret) = state.webhooks.regenerate(&authed.principal, &body.name).await?;
    Ok(HttpResponse::Ok().json(SlotWithSecret { slot: SlotDto::new(slot, Vec::new()), secret }))
}

/// A delivery's state and, once its run ended, the answer (admin only).
#[utoipa::path(
    get,
    path = "/api/webhooks/requests/{id}",
    tag = "webhooks",
    params(("id" = String, Path, format = Uuid, description = "The `requestId` the delivery got.")),
    responses(
        (status = 200, description = "The request.", body = RequestDto),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `webhook_request_not_found`.", body = ErrorBody),
    ),
)]
async fn request(state: web::Data<AppState>, authed: Authed, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id: WebhookRequestId = id.parse().map_err(|_| ApiError::invalid_id())?;
    Ok(HttpResponse::Ok().json(RequestDto::from(state.webhooks.request(&authed.principal, id).await?)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InboundQuery {
    /// `true`: answer with the agent's answer when the run ends within the slot's sync timeout.
    wait: Option<bool>,
}

/// What a delivery is told.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct InboundAnswer {
    #[schema(format = Uuid)]
    request_id: String,
    /// The agent's answer (only with `wait=true`, when the run ended in time).
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<String>,
    /// `running`, `done` or `failed`.
    state: &'static str,
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The body, refused past [`MAX_BODY_BYTES`] without reading the rest.
async fn read_body(mut payload: web::Payload) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::new(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the body is over 256 KiB")
    };
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::bad_request("invalid_body", "the body could not be read"))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn answered(request: WebhookRequest, with_answer: bool) -> HttpResponse {
    let finished = request.state != RequestState::Running;
    let body = InboundAnswer {
        request_id: request.id.to_string(),
        answer: if with_answer && finished { request.answer } else { None },
        state: request.state.as_str(),
    };
    if with_answer && finished { HttpResponse::Ok().json(body) } else { HttpResponse::Accepted().json(body) }
}

/// Receives a delivery (no session: the slot's secret is the proof). Proofs, in the order
/// checked: Standard Webhooks (`webhook-id`, `webhook-timestamp` within 5 minutes,
/// `webhook-signature: v1,<base64 HMAC-SHA256>`; a `webhook-id` seen before is answered from the
/// first delivery), then — on slots whose `signature` is `body` — `X-Webhook-Signature:
/// sha256=<hex HMAC-SHA256(secret, body)>` or `X-Webhook-Secret`. The body is `{message,
/// sender?, metadata?}`; the slot's agent answers it in a new session.
#[utoipa::path(
    post,
    path = "/webhook/inbound/{name}",
    tag = "webhooks",
    params(("name" = String, Path, description = "The slot's name."), InboundQuery),
    request_body(content = String, description = "`{\"message\": \"…\", \"sender\": \"…\", \"metadata\": {…}}`, at most 256 KiB.", content_type = "application/json"),
    responses(
        (status = 200, description = "With `wait=true`: the run ended in time; `answer` is the agent's.", body = InboundAnswer),
        (status = 202, description = "Accepted; read the outcome at `/api/webhooks/requests/{requestId}`.", body = InboundAnswer),
        (status = 400, description = "Codes: `invalid_input` (the body).", body = ErrorBody),
        (status = 401, description = "Codes: `unauthorized` (an unknown slot or a missing, wrong, expired proof).", body = ErrorBody),
        (status = 409, description = "Codes: the run's refusal (`no_model`, …), `webhook_owner_inactive`.", body = ErrorBody),
        (status = 413, description = "Codes: `payload_too_large`.", body = ErrorBody),
        (status = 429, description = "Codes: `rate_limited` (with `Retry-After`), `budget_exceeded`.", body = ErrorBody),
    ),
)]
async fn inbound(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
    query: Query<InboundQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let headers = ProofHeaders {
        webhook_id: header(&req, "webhook-id"),
        webhook_timestamp: header(&req, "webhook-timestamp"),
        webhook_signature: header(&req, "webhook-signature"),
        body_signature: header(&req, "x-webhook-signature"),
        secret: header(&req, "x-webhook-secret"),
    };
    let source = client_ip(&req, &state.config);
    let delivery = Delivery { name: name.into_inner(), headers, body, source };
    let received = state.webhooks.receive(delivery).await?;
    let wait = query.wait.unwrap_or(false);
    let Some(finished) = received.finished.filter(|_| wait) else {
        return Ok(answered(received.request, wait));
    };
    let limit = Duration::from_secs(u64::from(received.sync_timeout_secs));
    match tokio::time::timeout(limit, finished).await {
        Ok(Ok(done)) => Ok(answered(done, true)),
        // Still running (or its watcher is gone): the outcome is kept for later.
        _ => Ok(answered(received.request, false)),
    }
}
