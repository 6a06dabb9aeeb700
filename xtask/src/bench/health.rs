//! `health`: `GET /api/health` from 64 keep-alive clients, the ceiling of the HTTP stack (the
//! handler only pings the database pool).

use hyper::StatusCode;

use super::{Context, Measurement, Scenario, load};

pub const NAME: &str = "health";
const CONCURRENCY: usize = 64;

pub struct Health;

impl Scenario for Health {
    fn name(&self) -> &'static str {
        NAME
    }

    fn about(&self) -> &'static str {
        "GET /api/health, 64 keep-alive clients for 2.5 s (quick) / 10 s; requests/s, p50/p99"
    }

    fn uses_binary(&self) -> bool {
        true
    }

    fn run(&self, ctx: &Context<'_>) -> Result<Vec<Measurement>, String> {
        let server = ctx.start_server(Vec::new())?;
        let load = ctx.load(CONCURRENCY);
        let outcome =
            ctx.block_on(load::run(&server, &load, StatusCode::OK, |_, _| load::Request::get("/api/health")))?;
        ctx.finish_server(server, vec![outcome.measurement(NAME, ctx.backend())])
    }
}
