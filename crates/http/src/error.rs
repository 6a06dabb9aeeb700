//! Every error leaves as `{"error": "<human message>", "code": "<stable_snake_case>"}` with the right
//! status. Domain errors are mapped here and only here; causes never reach the client.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use pincer_agents::{AgentError, ProbeError};
use pincer_audit::AuditError;
use pincer_identity::IdentityError;
use pincer_usage::UsageError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after_secs: Option<u64>,
}

/// The shape of every error response.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody<'a> {
    /// A human-readable message; never a cause chain or a value the client sent.
    pub error: &'a str,
    /// A stable snake_case code to branch on.
    pub code: &'a str,
    /// The request's id (also in the `X-Request-Id` header and the server's log line).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after_secs: None }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn invalid_id() -> Self {
        Self::bad_request("invalid_id", "id is not a valid UUID")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after_secs {
            res.insert_header(("Retry-After", secs.to_string()));
        }
        let request_id = crate::trace::current_request_id();
        res.json(ErrorBody { error: &self.message, code: self.code, request_id: request_id.as_deref() })
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        use IdentityError as E;
        let status = match &e {
            E::InvalidInput(_)
            | E::WeakPassword(_)
            | E::SelfAction
            | E::LastAdmin
            | E::InvalidToken
            | E::UnknownGroup
            | E::Licence(_) => StatusCode::BAD_REQUEST,
            E::InvalidCredentials | E::WrongCurrentPassword | E::NotAuthenticated => StatusCode::UNAUTHORIZED,
            E::AdminRequired
            | E::MissingScope(_)
            | E::EnterpriseRequired
            | E::SeatLimitReached
            | E::WrongCredential(_) => StatusCode::FORBIDDEN,
            E::UserNotFound | E::InviteNotFound | E::NotDeactivated | E::GroupNotFound | E::TokenNotFound => {
                StatusCode::NOT_FOUND
            }
            E::SetupComplete | E::EmailTaken | E::LicenceManagedByEnv | E::GroupNameTaken => StatusCode::CONFLICT,
            E::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            E::SecretUnreadable => StatusCode::INTERNAL_SERVER_ERROR,
            E::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        let retry_after_secs = match e {
            E::RateLimited { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        Self { status, code: e.code(), message: e.to_string(), retry_after_secs }
    }
}

/// Turns body extraction failures into 400/413/415 without echoing the client's values.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large")
        }
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type must be application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::bad_request("invalid_input", describe_shape_error(e))
        }
        _ => ApiError::bad_request("invalid_json", "request body is not valid JSON"),
    };
    api.into()
}

/// serde's data errors can quote the offending value (which may be a password): keep only the
/// field-level part of the message.
fn describe_shape_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let head = msg.split(" at line ").next().unwrap_or_default();
    if head.starts_with("missing field") || head.starts_with("unknown field") {
        head.to_string()
    } else {
        "a field has the wrong type".to_string()
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        let status = match &e {
            AuditError::AdminRequired | AuditError::MissingScope(_) => StatusCode::FORBIDDEN,
            AuditError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            AuditError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<pincer_security::SecurityError> for ApiError {
    fn from(e: pincer_security::SecurityError) -> Self {
        use pincer_security::SecurityError as E;
        let status = match &e {
            E::AdminRequired | E::MissingScope(_) => StatusCode::FORBIDDEN,
            E::InvalidDate => StatusCode::BAD_REQUEST,
            E::ReportNotFound => StatusCode::NOT_FOUND,
            E::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<UsageError> for ApiError {
    fn from(e: UsageError) -> Self {
        let status = match &e {
            UsageError::AdminRequired | UsageError::MissingScope(_) | UsageError::EnterpriseRequired => {
                StatusCode::FORBIDDEN
            }
            UsageError::InvalidInput(_) | UsageError::TooManyBuckets(_) | UsageError::UnknownGroup => {
                StatusCode::BAD_REQUEST
            }
            UsageError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<pincer_agents::memory::MemoryError> for ApiError {
    fn from(e: pincer_agents::memory::MemoryError) -> Self {
        use pincer_agents::memory::MemoryError as E;
        let status = match &e {
            E::InvalidInput(_) => StatusCode::BAD_REQUEST,
            E::NotFound => StatusCode::NOT_FOUND,
            E::Full | E::Disabled => StatusCode::CONFLICT,
            E::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<pincer_agents::chat::sessions::SessionError> for ApiError {
    fn from(e: pincer_agents::chat::sessions::SessionError) -> Self {
        use pincer_agents::chat::sessions::SessionError as E;
        let status = match &e {
            E::InvalidInput(_) => StatusCode::BAD_REQUEST,
            E::NotFound => StatusCode::NOT_FOUND,
            E::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        use AgentError as E;
        let status = match &e {
            E::InvalidInput(_)
            | E::PersonalAgentDelete
            | E::PersonalAgentPermissions
            | E::LastProvider
            | E::UnknownGroup => StatusCode::BAD_REQUEST,
            E::AdminRequired | E::MissingScope(_) | E::EnterpriseRequired => StatusCode::FORBIDDEN,
            E::AgentNotFound | E::ProviderNotFound => StatusCode::NOT_FOUND,
            // The admin's input was checked against the provider and refused.
            E::Provider(ProbeError::Rejected | ProbeError::BadUrl(_) | ProbeError::PrivateAddress) => {
                StatusCode::BAD_REQUEST
            }
            // The provider itself failed: a gateway error, not the caller's mistake.
            E::Provider(
                ProbeError::Unreachable | ProbeError::Timeout | ProbeError::Upstream(_) | ProbeError::BadResponse,
            ) => StatusCode::BAD_GATEWAY,
            E::SecretUnreadable => StatusCode::INTERNAL_SERVER_ERROR,
            E::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        Self::new(status, e.code(), e.to_string())
    }
}
