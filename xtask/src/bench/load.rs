//! The HTTP load generator: a fixed number of workers (tokio tasks), each holding one keep-alive
//! HTTP/1.1 connection to the server and sending one request at a time on it, reading the whole
//! answer, until the phase's time is up or its request budget is spent. Latencies go into one HDR
//! histogram per worker, merged at the end. Only `127.0.0.1` is ever loaded.
//!
//! Each worker first runs an untimed warm-up on the same connection (its failures count as
//! errors too); the measured phase starts for every worker at the same instant.
//!
//! Built on hyper's connection API rather than reqwest's pooled client: on this two-core machine
//! the load generator shares the CPU with the server, and the pooled client's extra work per
//! request (URL parsing, pool checkout, a task hop) cost about 15 % of `health`'s requests/s
//! (docs/PERFORMANCE.md).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;

use super::Measurement;
use super::server::{BenchServer, LOOPBACK, process_cpu_time};

/// A request that takes this long is an error (the phase still ends on time, plus this at most).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Failures quoted in the note (the first ones, each different).
const ERROR_SAMPLES: usize = 3;
/// The histogram's range: 1 µs to 60 s, three significant figures.
const MAX_MICROS: u64 = 60_000_000;

/// The shape of one load phase.
#[derive(Clone, Debug)]
pub struct Load {
    /// Concurrent workers, each with one connection and at most one request in flight.
    pub concurrency: usize,
    /// Untimed warm-up before the measured phase.
    pub warmup: Duration,
    /// How long the measured phase runs.
    pub duration: Duration,
    /// The most requests the measured phase sends (split evenly over the workers).
    pub max_requests: u64,
    /// An open loop: each worker starts a request at most once per this interval (so the
    /// offered rate is `concurrency / pace`, whatever the latency), instead of one after another;
    /// the workers' starts are spread evenly over the interval.
    pub pace: Option<Duration>,
}

/// One request of a load: method, path and query, headers, body.
#[derive(Clone, Debug)]
pub struct Request {
    method: Method,
    path: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

impl Request {
    pub fn get(path: &str) -> Request {
        Request { method: Method::GET, path: path.to_string(), headers: Vec::new(), body: Bytes::new() }
    }

    /// A POST with a JSON body.
    pub fn post_json(path: &str, body: &serde_json::Value) -> Request {
        Request {
            method: Method::POST,
            path: path.to_string(),
            headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body: Bytes::from(body.to_string()),
        }
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        self.headers.push((name, value));
        self
    }
}

/// What a measured phase did.
pub struct Outcome {
    pub concurrency: usize,
    /// Requests completed or failed in the measured phase.
    pub requests: u64,
    /// Failures in the warm-up and the measured phase: connection errors, time-outs and any
    /// status other than the expected one (429 included).
    pub errors: u64,
    pub elapsed: Duration,
    /// Latency of each measured request, in microseconds (successful or not).
    pub latency: Histogram<u64>,
    /// The first few failures, described.
    pub error_samples: Vec<String>,
    /// The phase stopped because the request budget ran out, not the time.
    pub hit_count_bound: bool,
    /// CPU the server and the load generator used during the measured phase.
    pub server_cpu: Option<Duration>,
    pub client_cpu: Option<Duration>,
}

/// Runs `load` against `server`: every worker sends `request(worker, seq)` in turn, and every
/// answer must have status `expect`.
pub async fn run<F>(server: &BenchServer, load: &Load, expect: StatusCode, request: F) -> Result<Outcome, String>
where
    F: Fn(usize, u64) -> Request + Send + Sync + 'static,
{
    let address = server.base_url().strip_prefix("http://").unwrap_or_default().to_string();
    if address.split(':').next() != Some(LOOPBACK) {
        return Err(format!("refused to load {}: the benchmark only loads {LOOPBACK}", server.base_url()));
    }
    let host = HeaderValue::from_str(&address).map_err(|e| format!("bad server address {address}: {e}"))?;
    let concurrency = load.concurrency.max(1);
    let per_worker = load.max_requests.div_ceil(concurrency as u64).max(1);
    let pace = load.pace;
    let empty = Histogram::new_with_bounds(1, MAX_MICROS, 3).map_err(|e| format!("cannot create a histogram: {e}"))?;
    let request = std::sync::Arc::new(request);

    let warm_end = Instant::now() + load.warmup;
    let measured_end = warm_end + load.duration;
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let mut w = Worker {
            address: address.clone(),
            host: host.clone(),
            expect,
            sender: None,
            requests: 0,
            errors: 0,
            latency: empty.clone(),
            samples: Vec::new(),
        };
        let request = request.clone();
        workers.spawn(async move {
            let mut seq = 0u64;
            while Instant::now() < warm_end {
                w.send(request(worker, seq), false).await;
                seq += 1;
            }
            let mut measured = 0u64;
            // Paced workers keep one schedule from the end of the warm-up, each shifted by its
            // share of the interval, so requests arrive evenly spread rather than in bursts of
            // `concurrency` at once (the warm-up's closed loop ends with every worker in step).
            let offset = worker as f64 / concurrency as f64;
            while measured < per_worker && Instant::now() < measured_end {
                if let Some(pace) = pace {
                    let due = warm_end + pace.mul_f64(measured as f64 + offset);
                    tokio::time::sleep_until(due.into()).await;
                }
                w.send(request(worker, seq), true).await;
                seq += 1;
                measured += 1;
            }
            w
        });
    }
    // The measured phase starts when the warm-up ends, for every worker alike.
    tokio::time::sleep_until(warm_end.into()).await;
    let server_cpu_before = server.cpu_time().ok();
    let client_cpu_before = process_cpu_time("self").ok();
    let mut total =
        Worker { address, host, expect, sender: None, requests: 0, errors: 0, latency: empty, samples: Vec::new() };
    while let Some(joined) = workers.join_next().await {
        match joined {
            Ok(done) => {
                total.requests += done.requests;
                total.errors += done.errors;
                // Same bounds on both sides: adding cannot fail.
                total.latency.add(&done.latency).ok();
                for sample in done.samples {
                    total.sample(sample);
                }
            }
            Err(e) => {
                total.errors += 1;
                total.sample(format!("a load worker failed: {e}"));
            }
        }
    }
    let elapsed = warm_end.elapsed();
    let server_cpu = server.cpu_time().ok().zip(server_cpu_before).map(|(after, before)| after.saturating_sub(before));
    let client_cpu =
        process_cpu_time("self").ok().zip(client_cpu_before).map(|(after, before)| after.saturating_sub(before));
    Ok(Outcome {
        concurrency,
        requests: total.requests,
        errors: total.errors,
        elapsed,
        latency: total.latency,
        error_samples: total.samples,
        hit_count_bound: total.requests >= per_worker * concurrency as u64,
        server_cpu,
        client_cpu,
    })
}

/// One worker's connection and tallies.
struct Worker {
    address: String,
    host: HeaderValue,
    expect: StatusCode,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Measured requests (the warm-up's are not counted, only its errors).
    requests: u64,
    errors: u64,
    latency: Histogram<u64>,
    samples: Vec<String>,
}

impl Worker {
    /// Sends one request, timing it when `measured`; a failure is counted and described.
    async fn send(&mut self, request: Request, measured: bool) {
        let sent = Instant::now();
        let result = match tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => {
                // The connection may still carry the late answer: start afresh.
                self.sender = None;
                Err(format!("no answer within {REQUEST_TIMEOUT:?}"))
            }
        };
        if measured {
            let micros = (sent.elapsed().as_micros() as u64).clamp(1, MAX_MICROS);
            self.latency.saturating_record(micros);
            self.requests += 1;
        }
        if let Err(failure) = result {
            self.errors += 1;
            self.sample(failure);
        }
    }

    fn sample(&mut self, failure: String) {
        if self.samples.len() < ERROR_SAMPLES && !self.samples.contains(&failure) {
            self.samples.push(failure);
        }
    }

    /// The connection, opened (again) when there is none or the last one broke.
    async fn connection(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_some_and(|s| s.is_closed()) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = tokio::net::TcpStream::connect(&self.address)
                .await
                .map_err(|e| format!("cannot connect to {}: {e}", self.address))?;
            stream.set_nodelay(true).ok();
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|e| format!("HTTP handshake with {} failed: {e}", self.address))?;
            // Drives the connection; ends when the sender is dropped or the server closes it.
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().ok_or_else(|| "no connection".to_string())
    }

    async fn exchange(&mut self, request: Request) -> Result<(), String> {
        let what = format!("{} {}", request.method, request.path.split('?').next().unwrap_or_default());
        let mut builder = hyper::Request::builder().method(request.method).uri(&request.path).header(HOST, &self.host);
        for (name, value) in request.headers {
            builder = builder.header(name, value);
        }
        let built = builder.body(Full::new(request.body)).map_err(|e| format!("{what}: bad request: {e}"))?;
        let sender = self.connection().await?;
        sender.ready().await.map_err(|e| format!("{what}: connection lost: {e}"))?;
        let answer = sender.send_request(built).await;
        let res = match answer {
            Ok(res) => res,
            Err(e) => {
                self.sender = None;
                return Err(format!("{what}: {e}"));
            }
        };
        let status = res.status();
        let body = match res.into_body().collect().await {
            Ok(body) => body.to_bytes(),
            Err(e) => {
                self.sender = None;
                return Err(format!("{what}: reading the body: {e}"));
            }
        };
        if status == self.expect {
            Ok(())
        } else {
            let text: String = String::from_utf8_lossy(&body).chars().take(160).collect();
            Err(format!("{what}: status {status}: {text}"))
        }
    }
}

impl Outcome {
    /// The table row for this phase, with a note about CPU use, errors and bounds.
    pub fn measurement(&self, scenario: &str, backend: &'static str) -> Measurement {
        let micros =
            |q: f64| (!self.latency.is_empty()).then(|| Duration::from_micros(self.latency.value_at_quantile(q)));
        let mut notes = Vec::new();
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        if let (Some(server), Some(client)) = (self.server_cpu, self.client_cpu) {
            notes.push(format!(
                "CPU: server {:.2} cores, load generator {:.2} cores",
                server.as_secs_f64() / secs,
                client.as_secs_f64() / secs
            ));
        }
        if self.hit_count_bound {
            notes.push(format!("stopped at the request budget ({}) before the time was up", self.requests));
        }
        if !self.error_samples.is_empty() {
            notes.push(format!("errors, e.g.: {}", self.error_samples.join(" | ")));
        }
        Measurement {
            scenario: scenario.to_string(),
            backend,
            concurrency: self.concurrency,
            ops: self.requests,
            elapsed: self.elapsed,
            p50: micros(0.50),
            p99: micros(0.99),
            errors: self.errors,
            per_second: true,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }
}
