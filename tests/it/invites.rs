//! Invites (admin only): create with a token shown once, list without tokens, revoke; the public
//! claim that creates an account, and the reset claim that replaces a password.

use pincer_testkit::TestServer;
use pincer_testkit::server::{Browser, PASSWORD};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text};

const NEW_PASSWORD: &str = "a brand new passphrase";

#[tokio::test(flavor = "multi_thread")]
async fn invites_are_created_listed_without_tokens_and_revoked() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;

    let (status, invite) =
        admin.send_json("POST", "/api/users/invite", json!({"role": "member", "email": "Bob@Example.com"})).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let mut keys: Vec<&str> = invite.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["createdAt", "email", "expiresAt", "groups", "id", "role", "token", "type"], "{invite}");
    assert!(
        invite["token"].as_str().is_some_and(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())),
        "a token of 32 random bytes in hex: {invite}"
    );
    assert_eq!(invite["role"], "member");
    assert_eq!(invite["type"], "invite");
    assert_eq!(invite["groups"], json!([]));
    assert_eq!(invite["email"], "bob@example.com", "emails are stored lower-case");
    let (created, expires) = (invite["createdAt"].as_str().unwrap(), invite["expiresAt"].as_str().unwrap());
    assert!(created.ends_with('Z') && created.contains('.'), "RFC 3339 UTC with milliseconds: {created}");
    assert_eq!(millis(expires) - millis(created), 7 * 24 * 3600 * 1000, "valid for seven days: {invite}");
    let id = invite["id"].as_str().unwrap().to_string();
    let token = invite["token"].as_str().unwrap().to_string();

    // Refused creations change nothing.
    let (status, body) = admin.send_json("POST", "/api/users/invite", json!({"email": "x@example.com"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a missing role: {body}");
    assert!(body["code"] == "invalid_input" || body["code"] == "invalid_json", "{body}");
    assert_error(&admin.send_json("POST", "/api/users/invite", json!({"role": "owner"})).await, 400, "invalid_input");
    assert_error(&admin.send_json("POST", "/api/users/invite", json!({"role": "Admin"})).await, 400, "invalid_input");
    assert_error(&admin.send_json("POST", "/api/users/invite", json!({"role": 1})).await, 400, "invalid_input");
    for email in ["not-an-email", "a@b", "@example.com", "a b@example.com", "x@example.com."] {
        let bad = json!({"role": "member", "email": email});
        assert_error(&admin.send_json("POST", "/api/users/invite", bad).await, 400, "invalid_input");
    }
    // Groups come with the enterprise licence (see visibility.rs for invites with groups).
    let with_group = json!({"role": "member", "groupIds": ["01890a5d-ac96-774b-bcce-b302099a8057"]});
    assert_error(&admin.send_json("POST", "/api/users/invite", with_group).await, 403, "enterprise_required");

    let (status, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap_or_else(|| panic!("not an array: {list}")).clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["status"], "pending");
    assert_eq!(list[0]["type"], "invite");
    assert_eq!(list[0]["role"], "member");
    assert!(list[0].get("token").is_none(), "a listed invite must never carry its token: {}", list[0]);
    assert!(!serde_json::to_string(&list).unwrap().contains(&token));

    // Members and anonymous callers can do none of it.
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    assert_error(&member.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await, 403, "admin_required");
    assert_error(&member.send_json("GET", "/api/users/invites", Value::Null).await, 403, "admin_required");
    assert_error(
        &member.send_json("DELETE", &format!("/api/users/invites/{id}"), Value::Null).await,
        403,
        "admin_required",
    );
    let anonymous = server.browser();
    assert_error(
        &anonymous.send_json("POST", "/api/users/invite", json!({"role": "admin"})).await,
        401,
        "not_authenticated",
    );
    assert_error(&anonymous.send_json("GET", "/api/users/invites", Value::Null).await, 401, "not_authenticated");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));

    assert_error(
        &admin.send_json("DELETE", "/api/users/invites/01890a5d-ac96-774b-bcce-b302099a8057", Value::Null).await,
        404,
        "invite_not_found",
    );
    assert_error(&admin.send_json("DELETE", "/api/users/invites/nope", Value::Null).await, 400, "invalid_id");
    let (status, body) = admin.send_json("DELETE", &format!("/api/users/invites/{id}"), Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(invite_status(&admin, &id).await, Value::Null, "a revoked invite is gone from the list");

    let claim = json!({"token": token, "name": "Bob", "password": PASSWORD});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", claim).await, 400, "invalid_token");
    assert_error(
        &server
            .browser()
            .send_json("POST", "/api/auth/login", json!({"email": "bob@example.com", "password": PASSWORD}))
            .await,
        401,
        "invalid_credentials",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_is_claimed_once_into_an_account_with_its_role() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "admin", "email": "carol@example.com"})).await;
    let public = server.browser();

    let unknown = json!({"token": "0".repeat(64), "name": "Carol", "password": PASSWORD});
    assert_error(&public.send_json("POST", "/api/invite/claim", unknown).await, 400, "invalid_token");
    let weak = json!({"token": token, "name": "Carol", "password": "12345678"});
    assert_error(&public.send_json("POST", "/api/invite/claim", weak).await, 400, "weak_password");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"), "a refused claim leaves the invite usable");

    let claim = json!({"token": token, "name": "Carol", "password": PASSWORD});
    let (status, body) = public.send_json("POST", "/api/invite/claim", claim.clone()).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"success": true})));
    assert_eq!(invite_status(&admin, &id).await, json!("claimed"));

    let carol = server.login("carol@example.com", PASSWORD).await;
    let (_, me) = carol.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((me["name"].clone(), me["role"].clone()), (json!("Carol"), json!("admin")), "{me}");
    assert_eq!(carol.send_json("GET", "/api/users", Value::Null).await.0, StatusCode::OK, "invited as admin");

    // The same token cannot make a second account.
    let again = json!({"token": token, "name": "Mallory", "password": PASSWORD, "email": "mallory@example.com"});
    assert_error(&public.send_json("POST", "/api/invite/claim", again).await, 400, "invalid_token");
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 2, "{users}");
    // A claimed invite is history, not revocable.
    assert_error(
        &admin.send_json("DELETE", &format!("/api/users/invites/{id}"), Value::Null).await,
        404,
        "invite_not_found",
    );
    assert_eq!(invite_status(&admin, &id).await, json!("claimed"));
    assert_eq!(carol.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_without_an_email_asks_for_one_at_claim() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "member"})).await;
    let public = server.browser();

    let no_email = json!({"token": token, "name": "Dan", "password": PASSWORD});
    assert_error(&public.send_json("POST", "/api/invite/claim", no_email).await, 400, "invalid_input");
    let bad_email = json!({"token": token, "name": "Dan", "password": PASSWORD, "email": "dan-at-example"});
    assert_error(&public.send_json("POST", "/api/invite/claim", bad_email).await, 400, "invalid_input");
    let taken =
        json!({"token": token, "name": "Dan", "password": "another long passphrase", "email": "admin@example.com"});
    assert_error(&public.send_json("POST", "/api/invite/claim", taken).await, 409, "email_taken");
    let taken_other_case =
        json!({"token": token, "name": "Dan", "password": "another long passphrase", "email": " ADMIN@Example.COM "});
    assert_error(&public.send_json("POST", "/api/invite/claim", taken_other_case).await, 409, "email_taken");
    server.login("admin@example.com", PASSWORD).await;
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 1, "no account was made: {users}");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));

    let claim = json!({"token": token, "name": "Dan", "password": PASSWORD, "email": "dan@example.com"});
    assert_eq!(public.send_json("POST", "/api/invite/claim", claim).await.0, StatusCode::CREATED);
    let dan = server.login("dan@example.com", PASSWORD).await;
    let (_, me) = dan.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!(
        (me["email"].clone(), me["role"].clone(), me["name"].clone()),
        (json!("dan@example.com"), json!("member"), json!("Dan"))
    );
    assert_eq!(invite_status(&admin, &id).await, json!("claimed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_naming_a_taken_email_is_refused_at_claim_and_stays_pending() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "admin", "email": "Admin@Example.com"})).await;

    // The invite's own email decides; one given at claim is ignored.
    let claim = json!({"token": token, "name": "Imposter", "password": NEW_PASSWORD, "email": "free@example.com"});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", claim).await, 409, "email_taken");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 1, "{users}");
    assert_eq!(users["users"][0]["name"], "Admin", "the existing account is untouched: {users}");
    for email in ["admin@example.com", "free@example.com"] {
        let login = json!({"email": email, "password": NEW_PASSWORD});
        assert_error(&server.browser().send_json("POST", "/api/auth/login", login).await, 401, "invalid_credentials");
    }
    server.login("admin@example.com", PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_needs_a_name_and_a_refused_claim_leaves_the_invite_usable() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (id, token) = invite(&admin, json!({"role": "member", "email": "erin@example.com"})).await;
    let public = server.browser();

    for claim in [
        json!({"token": token, "password": PASSWORD}),
        json!({"token": token, "name": "", "password": PASSWORD}),
        json!({"token": token, "name": "   ", "password": PASSWORD}),
        json!({"token": token, "name": "x".repeat(101), "password": PASSWORD}),
        json!({"token": token, "name": 7, "password": PASSWORD}),
    ] {
        let got = public.send_json("POST", "/api/invite/claim", claim.clone()).await;
        assert_error(&got, 400, "invalid_input");
    }
    for (password, why) in [("short", "too short"), ("password123", "too common"), (&*"p".repeat(257), "too long")] {
        let claim = json!({"token": token, "name": "Erin", "password": password});
        let got = public.send_json("POST", "/api/invite/claim", claim).await;
        assert_eq!(got.0, StatusCode::BAD_REQUEST, "{why}: {}", got.1);
        assert_error(&got, 400, "weak_password");
    }
    let (status, body) = public.send_json("POST", "/api/invite/claim", json!({"token": token, "name": "Erin"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a password is required: {body}");
    assert_eq!(invite_status(&admin, &id).await, json!("pending"));
    let (_, users) = admin.send_json("GET", "/api/users", Value::Null).await;
    assert_eq!(users["total"], 1, "no account was made: {users}");
    let login = json!({"email": "erin@example.com", "password": PASSWORD});
    assert_error(&public.send_json("POST", "/api/auth/login", login).await, 401, "invalid_credentials");

    let claim = json!({"token": format!("  {token}\n"), "name": "  Erin  ", "password": PASSWORD});
    assert_eq!(public.send_json("POST", "/api/invite/claim", claim).await.0, StatusCode::CREATED);
    let erin = server.login("erin@example.com", PASSWORD).await;
    assert_eq!(erin.send_json("GET", "/api/auth/me", Value::Null).await.1["name"], "Erin", "names are trimmed");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_hash_of_each_token_is_stored_and_no_token_is_logged() {
    let mut server = TestServer::builder().env("PINCER_LOG", "trace").start().await;
    let admin = server.setup_admin().await;
    let (_, invite_token) = invite(&admin, json!({"role": "member", "email": "f@example.com"})).await;
    let (_, bare_token) = invite(&admin, json!({"role": "admin"})).await;
    let (member_id, _) = server.create_member(&admin, "m@example.com").await;
    let (status, reset) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{reset}");
    let reset_token = reset["token"].as_str().unwrap().to_string();
    let tokens = [invite_token, bare_token, reset_token];

    let hashes = query_text(server.database(), "SELECT token_hash AS value FROM invites");
    assert_eq!(hashes.len(), 4, "three invites and one reset: {hashes:?}");
    for hash in &hashes {
        assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "a SHA-256 in hex: {hash}");
    }
    let rows = query_text(
        server.database(),
        "SELECT id || '|' || kind || '|' || token_hash || '|' || COALESCE(email, '') || '|' || role || '|' \
         || COALESCE(user_id, '') || '|' || created_by AS value FROM invites",
    );
    for token in &tokens {
        assert!(!hashes.contains(token), "a token stored as its own hash");
        assert!(!rows.iter().any(|r| r.contains(token.as_str())), "a plaintext token in the invites table: {rows:?}");
    }
    if server.database().is_postgres() {
        // PostgreSQL can say what the hash must be.
        for token in &tokens {
            let expected = query_text(
                server.database(),
                &format!("SELECT encode(sha256(convert_to('{token}', 'UTF8')), 'hex') AS value"),
            );
            assert!(hashes.contains(&expected[0]), "the SHA-256 of a token is not what is stored");
        }
    }
    // Read once the process has stopped and its log writer has flushed every line.
    server.stop().await;
    for token in &tokens {
        assert!(!server.logs().contains(token.as_str()), "a token appeared in the log output");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_claim_replaces_the_password_and_ends_every_session() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, first) = server.create_member(&admin, "m@example.com").await;
    let second = server.login("m@example.com", PASSWORD).await;

    let (status, body) = admin.send_json("POST", &format!("/api/users/{member_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_string();

    let weak = json!({"token": token, "name": "M", "password": "short"});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", weak).await, 400, "weak_password");
    assert_eq!(
        first.send_json("GET", "/api/auth/me", Value::Null).await.0,
        StatusCode::OK,
        "a refused reset changes nothing"
    );

    let claim = json!({"token": token, "name": "M", "password": NEW_PASSWORD});
    let (status, body) = server.browser().send_json("POST", "/api/invite/claim", claim.clone()).await;
    assert_eq!((status, body), (StatusCode::CREATED, json!({"success": true})));

    assert_error(&first.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    assert_error(&second.send_json("GET", "/api/auth/me", Value::Null).await, 401, "not_authenticated");
    let old = server
        .browser()
        .send_json("POST", "/api/auth/login", json!({"email": "m@example.com", "password": PASSWORD}))
        .await;
    assert_error(&old, 401, "invalid_credentials");
    let fresh = server.login("m@example.com", NEW_PASSWORD).await;
    let (_, me) = fresh.send_json("GET", "/api/auth/me", Value::Null).await;
    assert_eq!((me["id"].clone(), me["role"].clone()), (json!(member_id), json!("member")), "same account: {me}");
    assert_eq!(admin.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "other users keep theirs");

    let reuse = json!({"token": token, "name": "M", "password": "yet another passphrase"});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", reuse).await, 400, "invalid_token");
    server.login("m@example.com", NEW_PASSWORD).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_links_are_listed_and_a_revoked_one_changes_nothing() {
    let server = TestServer::start().await;
    let admin = server.setup_admin().await;
    let (member_id, member) = server.create_member(&admin, "m@example.com").await;
    let revoked = reset_token(&admin, &member_id).await;
    let (_, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    let link = list.as_array().unwrap().iter().find(|i| i["type"] == "reset").unwrap_or_else(|| panic!("{list}"));
    assert_eq!((link["status"].clone(), link["email"].clone()), (json!("pending"), json!("m@example.com")), "{link}");
    assert!(link.get("token").is_none() && !list.to_string().contains(&revoked), "{list}");
    assert_eq!(
        millis(link["expiresAt"].as_str().unwrap()) - millis(link["createdAt"].as_str().unwrap()),
        24 * 3600 * 1000,
        "reset links last a day: {link}"
    );
    let reset_id = link["id"].as_str().unwrap().to_string();

    let (status, body) = admin.send_json("DELETE", &format!("/api/users/invites/{reset_id}"), Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let claim = json!({"token": revoked, "password": NEW_PASSWORD});
    assert_error(&server.browser().send_json("POST", "/api/invite/claim", claim).await, 400, "invalid_token");
    assert_eq!(member.send_json("GET", "/api/auth/me", Value::Null).await.0, StatusCode::OK, "the session lives");
    let new = json!({"email": "m@example.com", "password": NEW_PASSWORD});
    assert_error(&server.browser().send_json("POST", "/api/auth/login", new).await, 401, "invalid_credentials");
    server.login("m@example.com", PASSWORD).await;

    // A fresh link works, and is then listed as claimed.
    let token = reset_token(&admin, &member_id).await;
    let claim = json!({"token": token, "password": NEW_PASSWORD});
    assert_eq!(server.browser().send_json("POST", "/api/invite/claim", claim).await.0, StatusCode::CREATED);
    let (_, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    let resets: Vec<&Value> = list.as_array().unwrap().iter().filter(|i| i["type"] == "reset").collect();
    assert_eq!(resets.len(), 1, "the revoked link is gone: {list}");
    assert_eq!(resets[0]["status"], "claimed", "{list}");
    server.login("m@example.com", NEW_PASSWORD).await;
}

/// Issues a password-reset link for `user_id` and returns its token.
async fn reset_token(admin: &Browser, user_id: &str) -> String {
    let (status, body) = admin.send_json("POST", &format!("/api/users/{user_id}/reset"), Value::Null).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["token"].as_str().unwrap().to_string()
}

/// Milliseconds since the epoch of an RFC 3339 UTC timestamp `YYYY-MM-DDTHH:MM:SS.mmmZ`.
fn millis(ts: &str) -> i64 {
    let field = |range: std::ops::Range<usize>| -> i64 {
        ts.get(range).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not RFC 3339 UTC with ms: {ts}"))
    };
    assert!(ts.len() == 24 && ts.ends_with('Z'), "not RFC 3339 UTC with ms: {ts}");
    let (y, m, d) = (field(0..4), field(5..7), field(8..10));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + field(11..13)) * 60 + field(14..16)) * 60_000 + field(17..19) * 1000 + field(20..23)
}

/// Creates an invite and returns its id and token.
async fn invite(admin: &Browser, body: Value) -> (String, String) {
    let (status, invite) = admin.send_json("POST", "/api/users/invite", body).await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    (invite["id"].as_str().unwrap().to_string(), invite["token"].as_str().unwrap().to_string())
}

/// The listed status of one invite, or null when it is not listed.
async fn invite_status(admin: &Browser, id: &str) -> Value {
    let (status, list) = admin.send_json("GET", "/api/users/invites", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().unwrap_or_else(|| panic!("not an array: {list}"));
    list.iter().find(|i| i["id"] == id).map(|i| i["status"].clone()).unwrap_or(Value::Null)
}
