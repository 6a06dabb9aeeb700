//! `webhook`: inbound webhook deliveries signed the Standard Webhooks way (a fresh `webhook-id`
//! and timestamp each), posted without waiting at concurrency 32 to one slot whose agent answers
//! from an instant fake provider: what the p50/p99 measure is the acceptance (proof, dedup record,
//! the turn stored and its run started, 202), with the runs going on behind it. Twice: as fast
//! as the clients can (`webhook`: the throughput, where latency is mostly waiting in line), and
//! offered at 100 deliveries a second (`webhook-paced`: a busy sender below capacity).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pincer_channels::webhooks::proof::standard_signature;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderName, HeaderValue, ORIGIN};
use serde_json::{Value, json};

use super::chat::{FakeProvider, configure};
use super::seed::{self, Plan};
use super::{Context, Measurement, Scenario, load};

pub const NAME: &str = "webhook";
/// The same deliveries offered at 100 per second (32 clients, each every 320 ms).
pub const PACED_NAME: &str = "webhook-paced";
const CONCURRENCY: usize = 32;
const PACE: std::time::Duration = std::time::Duration::from_millis(320);
const PATH: &str = "/webhook/inbound/bench";
const PLAN: Plan = Plan { admins: 1, members: 0, log_in_members: false, shared_agents: 1 };

pub struct Webhook;

impl Scenario for Webhook {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "inbound webhook deliveries (Standard Webhooks signatures, async 202) at concurrency 32, saturated and at 100/s, an instant fake provider"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let fake = FakeProvider::start()?;
        // The slot's owner has every delivery's run: the per-user run cap and the per-slot rate
        // are lifted so the phase measures acceptance, not the limits refusing it.
        let env = vec![
            ("PINCER_ALLOW_PRIVATE_URLS", "1".to_string()),
            ("PINCER_MAX_RUNS_PER_USER", "10000".to_string()),
            ("PINCER_WEBHOOK_DELIVERIES_PER_MINUTE", "1000000".to_string()),
        ];
        let server = ctx.start_server(env)?;
        let measured = ctx.block_on(async {
            let seeded = seed::seed(&server, PLAN).await?;
            let admin = seeded.admins[0].cookie.clone().ok_or("the admin is not logged in")?;
            let agent = configure(&server, &admin, &fake).await?;
            let client = super::server::client()?;
            let res = client
                .post(server.url("/api/webhooks/add"))
                .header(COOKIE, admin.clone())
                .header(ORIGIN, server.base_url())
                .json(&json!({"name": "bench", "agentId": agent}))
                .send()
                .await
                .map_err(|e| format!("creating the webhook: {e}"))?;
            let created: Value = res.json().await.map_err(|e| format!("creating the webhook: {e}"))?;
            let secret = created["secret"].as_str().ok_or_else(|| format!("no secret: {created}"))?.to_string();
            let signer = Signer { secret, next: Arc::new(AtomicU64::new(0)) };
            let saturated = load::run(&server, &ctx.load(CONCURRENCY), StatusCode::ACCEPTED, signer.requests()).await?;
            // The same clients, each sending at most every `PACE`: a busy sender below the
            // server's capacity, where acceptance latency is the work of accepting, not a queue.
            let paced = load::Load { pace: Some(PACE), ..ctx.load(CONCURRENCY) };
            let paced = load::run(&server, &paced, StatusCode::ACCEPTED, signer.requests()).await?;
            Ok::<_, String>(vec![
                saturated.measurement(NAME, ctx.backend()),
                paced.measurement(PACED_NAME, ctx.backend()),
            ])
        });
        let measured = measured.map_err(|e| format!("{e}\nserver output:\n{}", server.tail()))?;
        ctx.finish_server(server, measured)
    }
}

/// Signs each delivery with a fresh `webhook-id` and the current timestamp.
#[derive(Clone)]
struct Signer {
    secret: String,
    next: Arc<AtomicU64>,
}

impl Signer {
    fn requests(&self) -> impl Fn(usize, u64) -> load::Request + Send + Sync + 'static {
        let signer = self.clone();
        let body = json!({"message": "Build 7 finished: all green", "sender": "ci"});
        let signed = body.to_string();
        move |_, _| {
            let n = signer.next.fetch_add(1, Ordering::Relaxed);
            let id = format!("msg_bench_{n}");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default()
                .to_string();
            let signature = standard_signature(&signer.secret, &id, &now, signed.as_bytes()).unwrap_or_default();
            let value = |v: String| HeaderValue::from_str(&v).unwrap_or(HeaderValue::from_static("invalid"));
            load::Request::post_json(PATH, &body)
                .header(HeaderName::from_static("webhook-id"), value(id))
                .header(HeaderName::from_static("webhook-timestamp"), value(now))
                .header(HeaderName::from_static("webhook-signature"), value(format!("v1,{signature}")))
        }
    }
}
