//! Channels: Telegram bots bound to agents (the agent-platform reference's routes: a bot per
//! agent, the main bot first, the caller's own Telegram link by pairing code), and the dashboard
//! reference's channel overview (`/api/channels/status|save|toggle`).

use actix_web::{HttpResponse, web};
use pincer_channels::{Binding, BindingStatus, ChannelError, Target, Transport};
use pincer_core::AgentId;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

super::area!(bot, connect, disconnect, link_status, link, unlink, bots, remove_all, status, save, toggle);

impl From<ChannelError> for ApiError {
    fn from(e: ChannelError) -> Self {
        use actix_web::http::StatusCode as S;
        let status = match &e {
            ChannelError::InvalidInput(_) | ChannelError::InvalidCredential(_) | ChannelError::InvalidCode => {
                S::BAD_REQUEST
            }
            ChannelError::Denied(_) => S::FORBIDDEN,
            ChannelError::AgentNotFound | ChannelError::NotConnected | ChannelError::NotLinked => S::NOT_FOUND,
            ChannelError::MainBotMissing | ChannelError::AccountTaken | ChannelError::MainBotShared => S::CONFLICT,
            ChannelError::RateLimited(secs) => {
                return Self::new(S::TOO_MANY_REQUESTS, e.code(), e.to_string()).retry_after(*secs);
            }
            ChannelError::TransportUnavailable => S::BAD_GATEWAY,
            ChannelError::Unavailable => S::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

const ADMIN: &str = "Codes: `admin_required`, `missing_scope`.";

fn agent_id(raw: &str) -> Result<AgentId, ApiError> {
    raw.trim().parse().map_err(|_| ApiError::invalid_id())
}

/// An agent's Telegram bot.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct BotConfigDto {
    configured: bool,
    /// The bot token's last 4 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot_id: Option<String>,
    /// Whether its receiver is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    /// Whether the main bot (the personal agents') exists: other agents need it first.
    main_bot_configured: bool,
}

/// Gets an agent's Telegram bot (admin only). A personal agent's is the main bot, which every
/// user's personal agent answers through.
#[utoipa::path(
    get,
    path = "/api/agents/{agentId}/channels/telegram",
    tag = "channels",
    params(("agentId" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "The bot, if one is connected.", body = BotConfigDto),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
    ),
)]
async fn bot(state: web::Data<AppState>, authed: Authed, agent: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let agent = agent_id(&agent)?;
    let config = state.channels.bot(&authed.principal, Transport::Telegram, agent).await?;
    let binding = config.binding;
    Ok(HttpResponse::Ok().json(BotConfigDto {
        configured: binding.is_some(),
        hint: binding.as_ref().map(|b| b.secret_hint.clone()),
        bot_username: binding.as_ref().map(|b| b.account_name.clone()),
        bot_id: binding.as_ref().map(|b| b.account_id.clone()),
        enabled: binding.as_ref().map(|b| b.enabled),
        main_bot_configured: config.main_configured,
    }))
}

/// A bot token from @BotFather.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnectBody {
    #[schema(min_length = 1, max_length = 200)]
    bot_token: String,
}

/// The bot connected.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ConnectedDto {
    bot_username: String,
    /// The bot's numeric id (a string: Telegram ids exceed what JavaScript numbers hold exactly).
    bot_id: String,
}

/// Connects an agent to a Telegram bot, replacing its earlier bot (admin only). The token is
/// checked with Telegram (`getMe`) and sealed at rest. The main bot (a personal agent's) comes
/// first. Audited `channel.connected`.
#[utoipa::path(
    post,
    path = "/api/agents/{agentId}/channels/telegram",
    tag = "channels",
    params(("agentId" = String, Path, format = Uuid)),
    request_body = ConnectBody,
    responses(
        (status = 200, description = "Connected; its receiver starts.", body = ConnectedDto),
        (status = 400, description = "Codes: `invalid_token` (Telegram refused it), `invalid_input`, `invalid_id`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
        (status = 409, description = "Codes: `telegram_not_configured` (connect the main bot first), `bot_in_use` (another agent has this bot).", body = ErrorBody),
        (status = 502, description = "Codes: `transport_unavailable` (Telegram cannot be reached).", body = ErrorBody),
    ),
)]
async fn connect(
    state: web::Data<AppState>,
    authed: Authed,
    agent: web::Path<String>,
    body: Json<ConnectBody>,
) -> Result<HttpResponse, ApiError> {
    let agent = agent_id(&agent)?;
    let account = state.channels.connect(&authed.principal, Transport::Telegram, agent, &body.bot_token).await?;
    Ok(HttpResponse::Ok().json(ConnectedDto { bot_username: account.name, bot_id: account.id }))
}

/// Disconnects a shared agent's bot (admin only). The main bot serves every personal agent and
/// is removed only with all bots (`DELETE /api/settings/telegram/bots`). Audited
/// `channel.disconnected`.
#[utoipa::path(
    delete,
    path = "/api/agents/{agentId}/channels/telegram",
    tag = "channels",
    params(("agentId" = String, Path, format = Uuid)),
    responses(
        (status = 200, description = "Disconnected.", body = crate::dto::Success),
        (status = 400, description = "Codes: `invalid_id`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`, `not_connected`.", body = ErrorBody),
        (status = 409, description = "Codes: `main_bot_shared` (a personal agent's bot).", body = ErrorBody),
    ),
)]
async fn disconnect(
    state: web::Data<AppState>,
    authed: Authed,
    agent: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let agent = agent_id(&agent)?;
    state.channels.disconnect(&authed.principal, Transport::Telegram, agent).await?;
    Ok(HttpResponse::Ok().json(crate::dto::SUCCESS))
}

/// The caller's Telegram link.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct LinkDto {
    linked: bool,
    /// The linked Telegram user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_user_id: Option<String>,
    /// The same, under the name the reference's `POST` answers with.
    #[serde(skip_serializing_if = "Option::is_none")]
    telegram_user_id: Option<String>,
}

/// The caller's Telegram link (any signed-in user).
#[utoipa::path(
    get,
    path = "/api/settings/telegram",
    tag = "channels",
    responses((status = 200, description = "Whether a Telegram account is linked.", body = LinkDto)),
)]
async fn link_status(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let link = state.channels.link_of(&authed.principal, Transport::Telegram).await?;
    Ok(HttpResponse::Ok().json(LinkDto {
        linked: link.is_some(),
        channel_user_id: link.map(|l| l.external_id),
        telegram_user_id: None,
    }))
}

/// A pairing code the bot gave.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    /// `ABCD-EFGH` (any case; spaces and dashes ignored).
    #[schema(min_length = 1, max_length = 32)]
    code: String,
}

/// Links the caller's Telegram account with the pairing code the bot sent them (valid 10
/// minutes; 5 tries per 10 minutes). Replaces an earlier link. Audited `channel.linked`.
#[utoipa::path(
    post,
    path = "/api/settings/telegram",
    tag = "channels",
    request_body = CodeBody,
    responses(
        (status = 200, description = "Linked.", body = LinkDto),
        (status = 400, description = "Codes: `invalid_code` (wrong, expired or used).", body = ErrorBody),
        (status = 429, description = "Codes: `rate_limited` (see `Retry-After`).", body = ErrorBody),
    ),
)]
async fn link(state: web::Data<AppState>, authed: Authed, body: Json<CodeBody>) -> Result<HttpResponse, ApiError> {
    if body.code.chars().count() > 32 {
        return Err(ChannelError::InvalidCode.into());
    }
    let link = state.channels.link(&authed.principal, Transport::Telegram, &body.code).await?;
    Ok(HttpResponse::Ok().json(LinkDto {
        linked: true,
        channel_user_id: Some(link.external_id.clone()),
        telegram_user_id: Some(link.external_id),
    }))
}

/// Unlinks the caller's Telegram account. Audited `channel.unlinked`.
#[utoipa::path(
    delete,
    path = "/api/settings/telegram",
    tag = "channels",
    responses(
        (status = 200, description = "Unlinked.", body = LinkDto),
        (status = 404, description = "Codes: `not_linked`.", body = ErrorBody),
    ),
)]
async fn unlink(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    state.channels.unlink(&authed.principal, Transport::Telegram).await?;
    Ok(HttpResponse::Ok().json(LinkDto { linked: false, channel_user_id: None, telegram_user_id: None }))
}

/// A binding and its receiver.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChannelDto {
    /// `telegram`.
    transport: &'static str,
    /// The agent (`null` for the main bot).
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    /// Its name (`null` for the main bot).
    agent_name: Option<String>,
    /// Whether it is the main bot (each linked user's personal agent answers).
    main: bool,
    /// The bot's username.
    account: String,
    /// The bot's id.
    account_id: String,
    /// The token's last 4 characters.
    hint: String,
    enabled: bool,
    /// `running` (on this server), `standby` (another replica receives, or starting),
    /// `stopped` (disabled) or `error`.
    state: &'static str,
    last_error: Option<String>,
    #[schema(format = DateTime)]
    last_error_at: Option<String>,
    /// Messages received today (UTC) on this server.
    messages_in_today: u64,
    /// Messages sent today (UTC) on this server.
    messages_out_today: u64,
}

impl From<BindingStatus> for ChannelDto {
    fn from(s: BindingStatus) -> Self {
        let b: Binding = s.binding;
        Self {
            transport: b.transport.as_str(),
            agent_id: b.target.agent().map(|a| a.to_string()),
            agent_name: s.agent_name,
            main: b.target == Target::Personal,
            account: b.account_name,
            account_id: b.account_id,
            hint: b.secret_hint,
            enabled: b.enabled,
            state: s.health.state.as_str(),
            last_error: s.health.last_error,
            last_error_at: s.health.last_error_at.map(|t| t.to_rfc3339()),
            messages_in_today: s.health.messages_in,
            messages_out_today: s.health.messages_out,
        }
    }
}

/// Every channel binding.
#[derive(Serialize, ToSchema)]
struct ChannelsDto {
    channels: Vec<ChannelDto>,
}

/// Every Telegram bot connected, with its agent (admin only).
#[utoipa::path(
    get,
    path = "/api/settings/telegram/bots",
    tag = "channels",
    responses(
        (status = 200, description = "The bots, the main bot first.", body = ChannelsDto),
        (status = 403, description = ADMIN, body = ErrorBody),
    ),
)]
async fn bots(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let mut all = state.channels.status(&authed.principal).await?;
    all.retain(|s| s.binding.transport == Transport::Telegram);
    all.sort_by_key(|s| s.binding.target != Target::Personal);
    Ok(HttpResponse::Ok().json(ChannelsDto { channels: all.into_iter().map(ChannelDto::from).collect() }))
}

/// How many were removed.
#[derive(Serialize, ToSchema)]
struct RemovedDto {
    removed: u64,
}

/// Removes Telegram from every agent at once, the main bot included (admin only). Links of
/// users stay, for when a bot is connected again. Audited `channel.removed_all`.
#[utoipa::path(
    delete,
    path = "/api/settings/telegram/bots",
    tag = "channels",
    responses(
        (status = 200, description = "Removed.", body = RemovedDto),
        (status = 403, description = ADMIN, body = ErrorBody),
    ),
)]
async fn remove_all(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let removed = state.channels.remove_all(&authed.principal, Transport::Telegram).await?;
    Ok(HttpResponse::Ok().json(RemovedDto { removed }))
}

/// Every channel binding with its receiver's state, errors and today's messages (admin only).
#[utoipa::path(
    get,
    path = "/api/channels/status",
    tag = "channels",
    responses(
        (status = 200, description = "The bindings.", body = ChannelsDto),
        (status = 403, description = ADMIN, body = ErrorBody),
    ),
)]
async fn status(state: web::Data<AppState>, authed: Authed) -> Result<HttpResponse, ApiError> {
    let all = state.channels.status(&authed.principal).await?;
    Ok(HttpResponse::Ok().json(ChannelsDto { channels: all.into_iter().map(ChannelDto::from).collect() }))
}

fn transport(raw: &str) -> Result<Transport, ApiError> {
    Transport::parse(raw.trim()).ok_or_else(|| ApiError::bad_request("invalid_input", "transport must be telegram"))
}

fn optional_agent(raw: Option<&str>) -> Result<Option<AgentId>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") | Some("main") => Ok(None),
        Some(raw) => {
            raw.parse().map(Some).map_err(|_| ApiError::bad_request("invalid_input", "agentId must be an agent id"))
        }
    }
}

/// A channel's configuration.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SaveBody {
    /// `telegram`.
    transport: String,
    /// The agent; `null` or `main` for the main bot.
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    /// Telegram: `{botToken}`.
    config: Value,
}

/// Saves a channel's configuration: binds (or rebinds) an agent to an account, checked with the
/// transport first (admin only). Audited `channel.connected`.
#[utoipa::path(
    post,
    path = "/api/channels/save",
    tag = "channels",
    request_body = SaveBody,
    responses(
        (status = 200, description = "Saved; its receiver starts.", body = ConnectedDto),
        (status = 400, description = "Codes: `invalid_input` (the message names the field), `invalid_token`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`.", body = ErrorBody),
        (status = 409, description = "Codes: `telegram_not_configured`, `bot_in_use`.", body = ErrorBody),
        (status = 502, description = "Codes: `transport_unavailable`.", body = ErrorBody),
    ),
)]
async fn save(state: web::Data<AppState>, authed: Authed, body: Json<SaveBody>) -> Result<HttpResponse, ApiError> {
    let transport = transport(&body.transport)?;
    let agent = optional_agent(body.agent_id.as_deref())?;
    let account = state.channels.save(&authed.principal, transport, agent, &body.config).await?;
    Ok(HttpResponse::Ok().json(ConnectedDto { bot_username: account.name, bot_id: account.id }))
}

/// Starts or stops a channel.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ToggleBody {
    /// `telegram`.
    transport: String,
    /// The agent; `null` or `main` for the main bot.
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    enabled: bool,
}

/// Whether a channel's receiver is on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ToggledDto {
    transport: &'static str,
    #[schema(format = Uuid)]
    agent_id: Option<String>,
    enabled: bool,
}

/// Starts or stops a channel's receiver (admin only). Audited `channel.started` /
/// `channel.stopped`.
#[utoipa::path(
    post,
    path = "/api/channels/toggle",
    tag = "channels",
    request_body = ToggleBody,
    responses(
        (status = 200, description = "Done.", body = ToggledDto),
        (status = 400, description = "Codes: `invalid_input`.", body = ErrorBody),
        (status = 403, description = ADMIN, body = ErrorBody),
        (status = 404, description = "Codes: `agent_not_found`, `not_connected`.", body = ErrorBody),
    ),
)]
async fn toggle(state: web::Data<AppState>, authed: Authed, body: Json<ToggleBody>) -> Result<HttpResponse, ApiError> {
    let transport = transport(&body.transport)?;
    let agent = optional_agent(body.agent_id.as_deref())?;
    let binding = state.channels.toggle(&authed.principal, transport, agent, body.enabled).await?;
    Ok(HttpResponse::Ok().json(ToggledDto {
        transport: binding.transport.as_str(),
        agent_id: binding.target.agent().map(|a| a.to_string()),
        enabled: binding.enabled,
    }))
}
