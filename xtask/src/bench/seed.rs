//! Demo data for a running benchmark server, created through its HTTP API the way a team would:
//! setup creates the first admin, admins invite the others, the invitees claim their invites and
//! log in, and an admin creates the shared agents.
//!
//! Why HTTP rather than `cargo xtask seed`'s direct service calls: the server owns its database
//! (migrations, keys, the in-memory session cache), so going through it yields exactly the rows
//! and audit events the product writes, on either backend, and session cookies from real logins;
//! seeding doubles as a smoke test of those flows. It costs one argon2 hash per account (claim)
//! and one per login, a second or two in all.

use futures::future::join_all;
use reqwest::header::{COOKIE, HeaderValue, ORIGIN, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use super::server::BenchServer;

/// Every seeded account's password.
pub const PASSWORD: &str = "bench passphrase 7f3c";
/// The session cookie (crates/http/src/auth.rs).
const SESSION_COOKIE: &str = "pincer_session";
/// Argon2 work runs on the server's two cores: more parallel claims only queue.
const PARALLEL: usize = 4;

/// What to create.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan {
    /// Admins, including the one setup creates; all are logged in.
    pub admins: usize,
    /// Members (each gets a personal agent).
    pub members: usize,
    /// Whether the members are logged in too.
    pub log_in_members: bool,
    /// Shared agents created by the first admin.
    pub shared_agents: usize,
}

/// A seeded account and, when logged in, its `Cookie` header value.
#[derive(Clone, Debug)]
pub struct Account {
    pub email: String,
    pub cookie: Option<HeaderValue>,
}

#[derive(Debug, Default)]
pub struct Seeded {
    pub admins: Vec<Account>,
    pub members: Vec<Account>,
}

/// A client for seeding: no cookie store (cookies are passed by hand), no proxy.
fn client() -> Result<Client, String> {
    pincer_outbound::client_builder().no_proxy().build().map_err(|e| format!("cannot build the seeding client: {e}"))
}

/// Creates `plan` on `server`.
pub async fn seed(server: &BenchServer, plan: Plan) -> Result<Seeded, String> {
    let client = client()?;
    let api = &Api { client: &client, base: server.base_url() };
    let admin_email = "admin@bench.local".to_string();
    let (status, body, cookie) = api
        .post(None, None, "/api/setup", json!({"name": "Bench Admin", "email": admin_email, "password": PASSWORD}))
        .await?;
    expect(status, StatusCode::CREATED, "POST /api/setup", &body)?;
    let first = cookie.ok_or("POST /api/setup set no session cookie")?;

    let mut seeded =
        Seeded { admins: vec![Account { email: admin_email, cookie: Some(first.clone()) }], members: Vec::new() };
    let wanted = [("admin", plan.admins.saturating_sub(1), true), ("member", plan.members, plan.log_in_members)];
    let mut source = 0u32;
    for (role, count, log_in) in wanted {
        let emails: Vec<String> = (0..count).map(|i| format!("{role}{i}@bench.local")).collect();
        // Invites are cheap and sequential; claims and logins hash, a few at a time.
        let mut tokens = Vec::new();
        for email in &emails {
            let (status, body, _) =
                api.post(Some(&first), None, "/api/users/invite", json!({"role": role, "email": email})).await?;
            expect(status, StatusCode::CREATED, "POST /api/users/invite", &body)?;
            let token = body["token"].as_str().ok_or("the invite answer has no token")?.to_string();
            tokens.push((email.clone(), token));
        }
        for chunk in tokens.chunks(PARALLEL) {
            let claims = chunk.iter().map(|(email, token)| {
                let body = json!({"token": token, "name": email, "password": PASSWORD});
                async move { api.post(None, None, "/api/invite/claim", body).await }
            });
            for claimed in join_all(claims).await {
                let (status, body, _) = claimed?;
                expect(status, StatusCode::CREATED, "POST /api/invite/claim", &body)?;
            }
        }
        let mut accounts: Vec<Account> =
            emails.iter().map(|email| Account { email: email.clone(), cookie: None }).collect();
        if log_in {
            for chunk in accounts.chunks_mut(PARALLEL) {
                let logins = chunk.iter().map(|account| {
                    source += 1;
                    // A distinct address per login keeps seeding clear of the per-address limit.
                    let forwarded = format!("198.51.100.{}", source % 250 + 1);
                    let body = json!({"email": account.email, "password": PASSWORD});
                    async move { api.post(None, Some(&forwarded), "/api/auth/login", body).await }
                });
                let answers = join_all(logins).await;
                for (account, logged_in) in chunk.iter_mut().zip(answers) {
                    let (status, body, cookie) = logged_in?;
                    expect(status, StatusCode::OK, "POST /api/auth/login", &body)?;
                    account.cookie = Some(cookie.ok_or("POST /api/auth/login set no session cookie")?);
                }
            }
        }
        match role {
            "admin" => seeded.admins.extend(accounts),
            _ => seeded.members.extend(accounts),
        }
    }
    let templates = ["custom", "knowledge-base"];
    for i in 0..plan.shared_agents {
        let body = json!({
            "name": format!("Bench Agent {i}"),
            "templateId": templates[i % templates.len()],
            "tagline": "A shared agent for the benchmark",
        });
        let (status, body, _) = api.post(Some(&first), None, "/api/agents", body).await?;
        expect(status, StatusCode::CREATED, "POST /api/agents", &body)?;
    }
    Ok(seeded)
}

fn expect(status: StatusCode, wanted: StatusCode, what: &str, body: &Value) -> Result<(), String> {
    if status == wanted { Ok(()) } else { Err(format!("seeding: {what} answered {status}: {body}")) }
}

/// The `Cookie` header value of the session a response set, if any.
fn session_cookie(res: &reqwest::Response) -> Option<HeaderValue> {
    res.headers().get_all(SET_COOKIE).iter().find_map(|value| {
        let text = value.to_str().ok()?;
        let pair = text.split(';').next()?.trim();
        let token = pair.strip_prefix(SESSION_COOKIE)?.strip_prefix('=')?;
        (!token.is_empty()).then(|| HeaderValue::from_str(pair).ok()).flatten()
    })
}

struct Api<'a> {
    client: &'a Client,
    base: &'a str,
}

impl Api<'_> {
    /// POSTs JSON like a same-origin page (Origin header), optionally with a session cookie and
    /// an X-Forwarded-For address; returns status, parsed body and the session cookie set.
    async fn post(
        &self,
        cookie: Option<&HeaderValue>,
        forwarded_for: Option<&str>,
        path: &str,
        body: Value,
    ) -> Result<(StatusCode, Value, Option<HeaderValue>), String> {
        let mut req = self.client.post(format!("{}{path}", self.base)).header(ORIGIN, self.base).json(&body);
        if let Some(cookie) = cookie {
            req = req.header(COOKIE, cookie.clone());
        }
        if let Some(address) = forwarded_for {
            req = req.header("X-Forwarded-For", address);
        }
        let res = req.send().await.map_err(|e| format!("seeding: POST {path}: {e}"))?;
        let status = res.status();
        let cookie = session_cookie(&res);
        let text = res.text().await.map_err(|e| format!("seeding: POST {path}: {e}"))?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text)), cookie))
    }
}
