//! An actix-web service that keeps its own tamper-evident audit trail with `pincer-audit`, stored
//! in SQLite through `pincer-store`: every transfer it accepts is an entry in an HMAC chain, and
//! `GET /audit/verify` proves nobody edited or removed one since.
//!
//! ```sh
//! cargo run -p pincer-examples --example audit_trail            # serves on 127.0.0.1:8088
//! curl -X POST localhost:8088/transfers -H 'content-type: application/json' \
//!      -d '{"from":"alice","to":"bob","cents":1250}'
//! curl localhost:8088/audit/verify
//! cargo run -p pincer-examples --example audit_trail -- --once  # drives itself once and exits
//! ```

use std::sync::Arc;

use actix_web::{App, HttpResponse, web};
use pincer_audit::{Actor, AuditEvent, AuditService};
use pincer_core::SystemClock;
use pincer_store::Database;
use serde_json::{Value, json};

/// What the handlers share.
struct Trail {
    audit: AuditService,
}

/// Accepts a transfer and records it; the entry's number is its place in the chain.
async fn create_transfer(trail: web::Data<Trail>, body: web::Json<Value>) -> HttpResponse {
    let (Some(from), Some(to), Some(cents)) = (body["from"].as_str(), body["to"].as_str(), body["cents"].as_u64())
    else {
        return HttpResponse::BadRequest().json(json!({"error": "from, to and cents are required"}));
    };
    let event = AuditEvent::new(Actor::User(from.to_string()), "transfer.created")
        .resource(format!("account:{to}"))
        .detail(json!({"cents": cents}));
    match trail.audit.append(event).await {
        Ok(entry) => HttpResponse::Created().json(json!({"auditEntry": entry})),
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({"error": e.to_string()})),
    }
}

/// Verifies the whole chain: each entry's MAC and its link to the one before.
async fn verify(trail: web::Data<Trail>) -> HttpResponse {
    match trail.audit.verify_since(None).await {
        Ok((report, _)) => HttpResponse::Ok().json(report),
        Err(e) => HttpResponse::ServiceUnavailable().json(json!({"error": e.to_string()})),
    }
}

fn routes(config: &mut web::ServiceConfig) {
    config.route("/transfers", web::post().to(create_transfer)).route("/audit/verify", web::get().to(verify));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let once = std::env::args().any(|a| a == "--once");
    let dir = tempfile::tempdir()?;
    let db = Database::open(&format!("sqlite://{}", dir.path().join("trail.db").display())).await?;
    db.migrate().await?;
    // In a real service the key comes from your secret store; it must stay the same across starts.
    let key = [42u8; 32];
    let trail = web::Data::new(Trail { audit: AuditService::new(Arc::new(db), &key, Arc::new(SystemClock)) });

    if !once {
        println!("serving on http://127.0.0.1:8088");
        actix_web::HttpServer::new(move || App::new().app_data(trail.clone()).configure(routes))
            .bind("127.0.0.1:8088")?
            .run()
            .await?;
        return Ok(());
    }

    // --once: three transfers and a verification, in-process.
    let app = actix_web::test::init_service(App::new().app_data(trail).configure(routes)).await;
    for (to, cents) in [("bob", 1250), ("carol", 99), ("dave", 40_000)] {
        let request = actix_web::test::TestRequest::post()
            .uri("/transfers")
            .set_json(json!({"from": "alice", "to": to, "cents": cents}))
            .to_request();
        let created: Value = actix_web::test::call_and_read_body_json(&app, request).await;
        println!("transfer to {to} recorded as audit entry {}", created["auditEntry"]);
    }
    let report: Value = actix_web::test::call_and_read_body_json(
        &app,
        actix_web::test::TestRequest::get().uri("/audit/verify").to_request(),
    )
    .await;
    println!("verification: {report}");
    if report["valid"] != true || report["totalChecked"] != 3 {
        return Err(format!("the chain did not verify: {report}").into());
    }
    println!("the audit trail holds 3 entries and verifies");
    Ok(())
}
