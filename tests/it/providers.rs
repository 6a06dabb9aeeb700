//! LLM providers over HTTP against fake upstreams that answer like the real APIs: live credential
//! checks, sealed and masked keys, the SSRF guard, the model catalogue and its cache, the default
//! provider, and removal that moves agents.

use pincer_testkit::server::Browser;
use pincer_testkit::{Behaviour, ClosedPort, FakeKind, FakeProvider, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{assert_error, query_text};

/// A server whose cloud providers point at the given fakes. Fakes listen on 127.0.0.1, so the
/// SSRF guard is lifted unless `allow_private` is false.
async fn server_with(fakes: &[&FakeProvider], allow_private: bool) -> TestServer {
    // The most verbose level: whatever any layer logs, no key may be in it.
    let mut builder = TestServer::builder().env("PINCER_LOG", "trace");
    for fake in fakes {
        builder = builder.env(&fake.kind().base_url_variable(), &fake.origin());
    }
    if allow_private {
        builder = builder.env("PINCER_ALLOW_PRIVATE_URLS", "1");
    }
    builder.start().await
}

async fn configure(admin: &Browser, body: Value) -> (StatusCode, Value) {
    admin.send_json("POST", "/api/settings/providers", body).await
}

async fn providers(admin: &Browser) -> Vec<Value> {
    let (status, body) = admin.send_json("GET", "/api/settings/providers", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

fn stored_providers(server: &TestServer) -> Vec<String> {
    query_text(server.database(), "SELECT name AS value FROM providers ORDER BY name")
}

fn key(fake: &FakeProvider) -> String {
    fake.api_key().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_is_checked_live_then_stored_sealed_and_masked() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let openai = FakeProvider::start(FakeKind::Openai);
    let google = FakeProvider::start(FakeKind::Google);
    let cloud = FakeProvider::start(FakeKind::OllamaCloud);
    let local = FakeProvider::start(FakeKind::OllamaLocal);
    let groq = FakeProvider::start(FakeKind::OpenaiCompatible);
    let mut server = server_with(&[&anthropic, &openai, &google, &cloud], true).await;
    let admin = server.setup_admin().await;

    let (status, body) = admin.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"setupComplete": true, "providerConfigured": false})));
    // The wizard's step configures the first provider.
    let (status, body) = admin
        .send_json("POST", "/api/setup/provider", json!({"provider": "anthropic", "apiKey": key(&anthropic)}))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    for (body, fake) in [
        (json!({"provider": "openai", "apiKey": key(&openai)}), &openai),
        (json!({"provider": "google", "apiKey": key(&google)}), &google),
        (json!({"provider": "ollama-cloud", "apiKey": key(&cloud)}), &cloud),
        (json!({"provider": "ollama-local", "baseUrl": local.base_url()}), &local),
        (json!({"provider": "groq", "apiKey": key(&groq), "baseUrl": format!("{}/", groq.base_url())}), &groq),
    ] {
        let (status, saved) = configure(&admin, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {saved}");
        assert_eq!(saved["success"], true);
        assert!(fake.request_count() >= 1, "{:?} was not asked", fake.kind());
    }
    let (_, body) = admin.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(body["providerConfigured"], true);

    // The genuine auth header of each kind reached the fake.
    assert_eq!(anthropic.requests()[0].header("x-api-key"), anthropic.api_key());
    assert!(anthropic.requests()[0].header("anthropic-version").is_some());
    assert_eq!(anthropic.requests()[0].path_only(), "/v1/models");
    assert_eq!(openai.requests()[0].header("authorization"), Some(format!("Bearer {}", key(&openai)).as_str()));
    assert_eq!(google.requests()[0].header("x-goog-api-key"), google.api_key());
    assert!(!google.requests()[0].path.contains(&key(&google)), "the Google key must not travel in the URL");
    assert_eq!(local.requests()[0].path_only(), "/api/tags");
    assert_eq!(groq.requests()[0].path_only(), "/v1/models");

    let list = providers(&admin).await;
    let names: Vec<&str> = list.iter().map(|p| p["provider"].as_str().unwrap()).collect();
    assert_eq!(names, ["anthropic", "openai", "google", "ollama-cloud", "ollama-local", "groq"], "oldest first");
    let defaults: Vec<&str> =
        list.iter().filter(|p| p["isDefault"] == true).map(|p| p["provider"].as_str().unwrap()).collect();
    assert_eq!(defaults, ["anthropic"], "the first provider is the one default");
    let by_name = |name: &str| list.iter().find(|p| p["provider"] == name).unwrap().clone();
    let a = by_name("anthropic");
    let expected_hint: String = key(&anthropic).chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    assert_eq!(a["hint"], expected_hint.as_str(), "{a}");
    assert_eq!((a["kind"].clone(), a["configured"].clone()), (json!("anthropic"), json!(true)));
    assert_eq!(a["defaultModel"], "anthropic/claude-haiku-4-5-20251001", "{a}");
    assert_eq!(a["baseUrl"], Value::Null, "cloud kinds follow the operator's URL: {a}");
    let g = by_name("groq");
    assert_eq!((g["kind"].clone(), g["baseUrl"].clone()), (json!("openai-compatible"), json!(groq.base_url())));
    assert_eq!(by_name("ollama-local")["hint"], "", "no key, no hint");

    let body = serde_json::to_string(&list).unwrap();
    let sealed =
        query_text(server.database(), "SELECT sealed_api_key AS value FROM providers WHERE sealed_api_key IS NOT NULL");
    assert_eq!(sealed.len(), 5, "five providers have keys");
    for fake in [&anthropic, &openai, &google, &cloud, &groq] {
        let secret = key(fake);
        assert!(!body.contains(&secret), "a key was returned");
        assert!(sealed.iter().all(|s| !s.contains(&secret) && s.starts_with("v1:")), "a key is stored in plaintext");
    }

    // The admin's personal agent (created at setup, before any provider) got the default model.
    let (_, agents) = admin.send_json("GET", "/api/agents", Value::Null).await;
    assert_eq!(agents[0]["model"], "anthropic/claude-haiku-4-5-20251001", "{agents}");

    // Read once the process has stopped and its log writer has flushed every line.
    server.stop().await;
    let logs = server.logs();
    for fake in [&anthropic, &openai, &google, &cloud, &groq] {
        assert!(!logs.contains(&key(fake)), "a key reached the log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_catalogue_lists_chat_models_and_caches_cloud_lists() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let openai = FakeProvider::start(FakeKind::Openai);
    let google = FakeProvider::start(FakeKind::Google);
    let local = FakeProvider::start(FakeKind::OllamaLocal);
    let server = server_with(&[&anthropic, &openai, &google], true).await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    for body in [
        json!({"provider": "anthropic", "apiKey": key(&anthropic)}),
        json!({"provider": "openai", "apiKey": key(&openai)}),
        json!({"provider": "google", "apiKey": key(&google)}),
        json!({"provider": "ollama-local", "baseUrl": local.base_url()}),
    ] {
        assert_eq!(configure(&admin, body).await.0, StatusCode::OK);
    }
    let asked = |fake: &FakeProvider| fake.requests().iter().filter(|r| r.method == "GET").count();
    let (cloud_before, local_before) = (asked(&anthropic), asked(&local));

    let (status, body) = member.send_json("GET", "/api/providers/models", Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unavailable"], json!([]));
    let models = body["models"].as_array().unwrap();
    let find = |provider: &str, id: &str| models.iter().find(|m| m["provider"] == provider && m["id"] == id).cloned();
    assert_eq!(
        find("anthropic", "claude-haiku-4-5-20251001"),
        Some(json!({
            "id": "claude-haiku-4-5-20251001",
            "provider": "anthropic",
            "displayName": "Claude Haiku 4.5",
            "toolUse": true,
            "pricing": {"input": 1.0, "output": 5.0, "cacheRead": 0.1, "cacheWrite": 1.25},
        }))
    );
    assert_eq!(
        find("ollama-local", "llama3.1:8b").map(|m| m["pricing"]["output"].clone()),
        Some(json!(0.0)),
        "local is free"
    );
    assert_eq!(find("openai", "gpt-4o").map(|m| m["displayName"].clone()), Some(json!("gpt-4o")));
    assert_eq!(find("google", "gemini-2.5-flash").map(|m| m["displayName"].clone()), Some(json!("Gemini 2.5 Flash")));
    assert_eq!(find("ollama-local", "llama3.1:8b").map(|m| m["toolUse"].clone()), Some(json!(true)));
    for (provider, id) in [
        ("openai", "text-embedding-3-small"),
        ("openai", "whisper-1"),
        ("openai", "dall-e-3"),
        ("google", "text-embedding-004"),
        ("google", "imagen-4.0-generate-001"),
        ("ollama-local", "nomic-embed-text:latest"),
    ] {
        assert_eq!(find(provider, id), None, "{provider}/{id} is not a chat model");
    }
    assert!(models.iter().all(|m| !m["id"].as_str().unwrap().starts_with("models/")), "Google's prefix is dropped");
    assert_eq!(models.iter().filter(|m| m["provider"] == "anthropic").count(), 4);

    member.send_json("GET", "/api/providers/models", Value::Null).await;
    assert_eq!(asked(&anthropic), cloud_before, "cloud lists come from the cache (primed when saved)");
    assert_eq!(asked(&local), local_before + 2, "local Ollama is asked live every time");

    // A provider that is down is reported, and its last known list still serves.
    local.set_behaviour(Behaviour::Status(500));
    let (_, body) = member.send_json("GET", "/api/providers/models", Value::Null).await;
    assert_eq!(body["unavailable"], json!([]), "the last known local list is used: {body}");
    assert!(body["models"].as_array().unwrap().iter().any(|m| m["id"] == "llama3.1:8b"));
    assert_error(
        &server.browser().send_json("GET", "/api/providers/models", Value::Null).await,
        401,
        "not_authenticated",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_keys_and_failing_providers_store_nothing() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let compat = FakeProvider::start(FakeKind::OpenaiCompatible);
    let mut server = server_with(&[&anthropic], true).await;
    let admin = server.setup_admin().await;

    assert_error(
        &configure(&admin, json!({"provider": "anthropic", "apiKey": "sk-ant-wrong-key-0000"})).await,
        400,
        "provider_rejected_key",
    );
    assert_eq!(
        anthropic.requests().last().and_then(|r| r.header("x-api-key").map(str::to_string)).as_deref(),
        Some("sk-ant-wrong-key-0000")
    );
    assert_error(&configure(&admin, json!({"provider": "anthropic"})).await, 400, "invalid_input");
    assert_error(&configure(&admin, json!({"provider": "anthropic", "apiKey": "  "})).await, 400, "invalid_input");
    assert_error(
        &configure(
            &admin,
            json!({"provider": "anthropic", "apiKey": key(&anthropic), "baseUrl": "https://evil.example"}),
        )
        .await,
        400,
        "invalid_input",
    );
    assert_error(&configure(&admin, json!({"provider": "Not A Name", "apiKey": "x"})).await, 400, "invalid_input");
    assert_error(&configure(&admin, json!({"provider": "groq", "apiKey": "x"})).await, 400, "invalid_input");
    assert_error(
        &configure(&admin, json!({"provider": "groq", "baseUrl": "ftp://files.example"})).await,
        400,
        "invalid_url",
    );
    assert_error(
        &configure(&admin, json!({"provider": "groq", "baseUrl": "https://user:pw@api.example"})).await,
        400,
        "invalid_url",
    );
    assert_error(&configure(&admin, json!({"provider": "anthropic", "apiKey": 7})).await, 400, "invalid_input");

    // Nothing listens on the port: unreachable at once.
    let closed = ClosedPort::new();
    assert_error(
        &configure(&admin, json!({"provider": "groq", "baseUrl": format!("{}/v1", closed.origin())})).await,
        502,
        "provider_unreachable",
    );
    compat.set_behaviour(Behaviour::Status(500));
    assert_error(
        &configure(&admin, json!({"provider": "groq", "apiKey": key(&compat), "baseUrl": compat.base_url()})).await,
        502,
        "provider_error",
    );
    compat.set_behaviour(Behaviour::Garbage);
    assert_error(
        &configure(&admin, json!({"provider": "groq", "apiKey": key(&compat), "baseUrl": compat.base_url()})).await,
        502,
        "provider_bad_response",
    );
    compat.set_behaviour(Behaviour::Redirect(format!("{}/elsewhere", compat.origin())));
    let (status, _) =
        configure(&admin, json!({"provider": "groq", "apiKey": key(&compat), "baseUrl": compat.base_url()})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "a redirect is not followed");
    assert!(compat.requests().iter().all(|r| r.path_only() != "/elsewhere"), "the redirect target was requested");
    // A provider that accepts the connection and never answers: the 10 s check gives up.
    compat.set_behaviour(Behaviour::Hang);
    assert_error(
        &configure(&admin, json!({"provider": "groq", "apiKey": key(&compat), "baseUrl": compat.base_url()})).await,
        502,
        "provider_timeout",
    );

    assert_eq!(providers(&admin).await, Vec::<Value>::new(), "no failed check stored anything");
    assert_eq!(stored_providers(&server), Vec::<String>::new());
    let (_, body) = admin.send_json("GET", "/api/setup/status", Value::Null).await;
    assert_eq!(body["providerConfigured"], false);
    // Read once the process has stopped and its log writer has flushed every line.
    server.stop().await;
    assert!(!server.logs().contains(&key(&compat)), "a key reached the log");
    assert!(!server.logs().contains(&key(&anthropic)), "a key reached the log");
    assert!(!server.logs().contains("sk-ant-wrong-key-0000"), "a rejected key reached the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_network_urls_are_refused_unless_allowed_except_for_local_ollama() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let compat = FakeProvider::start(FakeKind::OpenaiCompatible);
    let local = FakeProvider::start(FakeKind::OllamaLocal);
    let guarded = server_with(&[&anthropic], false).await;
    let admin = guarded.setup_admin().await;

    let port = compat.port();
    for url in [
        compat.base_url(),
        format!("http://localhost:{port}/v1"),
        format!("http://[::1]:{port}/v1"),
        "http://10.1.2.3/v1".into(),
        "http://169.254.169.254/latest".into(),
    ] {
        let body = json!({"provider": "vllm", "apiKey": key(&compat), "baseUrl": url});
        assert_error(&configure(&admin, body).await, 400, "private_url");
    }
    // Cloud base URLs are guarded too, even when the operator points them at a private address.
    assert_error(
        &configure(&admin, json!({"provider": "anthropic", "apiKey": key(&anthropic)})).await,
        400,
        "private_url",
    );
    assert_eq!(compat.request_count() + anthropic.request_count(), 0, "a refused URL is never contacted");
    assert_eq!(stored_providers(&guarded), Vec::<String>::new());

    // A local Ollama lives on a private address by design.
    let (status, body) = configure(&admin, json!({"provider": "ollama-local", "baseUrl": local.base_url()})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored_providers(&guarded), ["ollama-local"]);

    let open = server_with(&[&anthropic], true).await;
    let admin = open.setup_admin().await;
    let (status, body) =
        configure(&admin, json!({"provider": "vllm", "apiKey": key(&compat), "baseUrl": compat.base_url()})).await;
    assert_eq!(status, StatusCode::OK, "PINCER_ALLOW_PRIVATE_URLS lifts the guard: {body}");
    assert_eq!(configure(&admin, json!({"provider": "anthropic", "apiKey": key(&anthropic)})).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_moves_and_updates_keep_the_stored_key() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let openai = FakeProvider::start(FakeKind::Openai);
    let server = server_with(&[&anthropic, &openai], true).await;
    let admin = server.setup_admin().await;
    configure(&admin, json!({"provider": "anthropic", "apiKey": key(&anthropic)})).await;
    let (status, saved) =
        configure(&admin, json!({"provider": "openai", "apiKey": key(&openai), "isDefault": true})).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["provider"]["isDefault"], true);
    let defaults: Vec<Value> =
        providers(&admin).await.into_iter().filter(|p| p["isDefault"] == true).map(|p| p["provider"].clone()).collect();
    assert_eq!(defaults, [json!("openai")], "one default at a time");

    // New agents follow the default provider.
    let (_, agent) = admin.send_json("POST", "/api/agents", json!({"name": "Bot", "templateId": "custom"})).await;
    assert_eq!(agent["model"], "openai/gpt-4.1-mini", "{agent}");

    // Saving again without a key re-checks with the stored one and keeps it.
    anthropic.clear_requests();
    let (status, body) = configure(&admin, json!({"provider": "anthropic", "isDefault": false})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(anthropic.requests()[0].header("x-api-key"), anthropic.api_key(), "checked with the stored key");
    // Unmarking the current default does not leave the platform without one.
    configure(&admin, json!({"provider": "openai", "isDefault": false})).await;
    let defaults: Vec<Value> =
        providers(&admin).await.into_iter().filter(|p| p["isDefault"] == true).map(|p| p["provider"].clone()).collect();
    assert_eq!(defaults, [json!("openai")]);
    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=provider.updated", Value::Null).await;
    assert_eq!(audit["total"], 2, "{audit}");
    assert_eq!(audit["entries"][1]["detail"]["keyChanged"], false, "{audit}");
    assert!(!serde_json::to_string(&audit).unwrap().contains(&key(&anthropic)));
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_a_provider_moves_its_agents_and_keeps_the_last_one() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let openai = FakeProvider::start(FakeKind::Openai);
    let server = server_with(&[&anthropic, &openai], true).await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    configure(&admin, json!({"provider": "anthropic", "apiKey": key(&anthropic)})).await;
    configure(&admin, json!({"provider": "openai", "apiKey": key(&openai)})).await;
    let create = |name: &str, model: Option<&str>| {
        let mut body = json!({"name": name, "templateId": "custom"});
        if let Some(model) = model {
            body["model"] = json!(model);
        }
        let admin = admin.clone();
        async move {
            let (status, agent) = admin.send_json("POST", "/api/agents", body).await;
            assert_eq!(status, StatusCode::CREATED, "{agent}");
            agent["id"].as_str().unwrap().to_string()
        }
    };
    let on_openai = create("On OpenAI", Some("openai/gpt-4o")).await;
    let on_anthropic = create("On Anthropic", None).await;
    let model_of = |id: String| {
        let admin = admin.clone();
        async move { admin.send_json("GET", &format!("/api/agents/{id}"), Value::Null).await.1["model"].clone() }
    };

    assert_error(
        &member.send_json("DELETE", "/api/settings/providers?provider=openai", Value::Null).await,
        403,
        "admin_required",
    );
    assert_error(
        &admin.send_json("DELETE", "/api/settings/providers?provider=mistral", Value::Null).await,
        404,
        "provider_not_found",
    );
    assert_error(&admin.send_json("DELETE", "/api/settings/providers", Value::Null).await, 400, "invalid_query");

    let (status, body) = admin.send_json("DELETE", "/api/settings/providers?provider=openai", Value::Null).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    assert_eq!(
        model_of(on_openai.clone()).await,
        "anthropic/claude-haiku-4-5-20251001",
        "moved to the default's model"
    );
    assert_eq!(model_of(on_anthropic.clone()).await, "anthropic/claude-haiku-4-5-20251001");
    let (_, audit) = admin.send_json("GET", "/api/audit?eventType=provider.deleted", Value::Null).await;
    assert_eq!(audit["entries"][0]["resource"], "provider:openai", "{audit}");
    assert_eq!(audit["entries"][0]["detail"]["agentsMoved"], 1, "{audit}");
    assert_eq!(audit["entries"][0]["detail"]["replacementModel"], "anthropic/claude-haiku-4-5-20251001");

    assert_error(
        &admin.send_json("DELETE", "/api/settings/providers?provider=anthropic", Value::Null).await,
        400,
        "last_provider",
    );
    assert_eq!(stored_providers(&server), ["anthropic"], "the last provider stays");

    // Removing the default hands the role, and its agents, to the oldest remaining provider.
    configure(&admin, json!({"provider": "openai", "apiKey": key(&openai)})).await;
    let (status, _) = admin.send_json("DELETE", "/api/settings/providers?provider=anthropic", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let list = providers(&admin).await;
    assert_eq!(
        (list.len(), list[0]["provider"].clone(), list[0]["isDefault"].clone()),
        (1, json!("openai"), json!(true))
    );
    for id in [on_openai, on_anthropic] {
        assert_eq!(model_of(id).await, "openai/gpt-4.1-mini");
    }
    let (_, mine) = member.send_json("GET", "/api/agents", Value::Null).await;
    let personal = mine.as_array().unwrap().iter().find(|a| a["isPersonal"] == true).unwrap().clone();
    assert_eq!(personal["model"], "openai/gpt-4.1-mini", "personal agents move too: {personal}");
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_are_admin_only() {
    let anthropic = FakeProvider::start(FakeKind::Anthropic);
    let server = server_with(&[&anthropic], true).await;
    let admin = server.setup_admin().await;
    let (_, member) = server.create_member(&admin, "m@example.com").await;
    let body = json!({"provider": "anthropic", "apiKey": key(&anthropic)});
    assert_error(&member.send_json("GET", "/api/settings/providers", Value::Null).await, 403, "admin_required");
    assert_error(&member.send_json("POST", "/api/settings/providers", body.clone()).await, 403, "admin_required");
    assert_error(&member.send_json("POST", "/api/setup/provider", body.clone()).await, 403, "admin_required");
    let anon = server.browser();
    assert_error(&anon.send_json("POST", "/api/setup/provider", body.clone()).await, 401, "not_authenticated");
    assert_error(&anon.send_json("GET", "/api/settings/providers", Value::Null).await, 401, "not_authenticated");
    assert_eq!(anthropic.request_count(), 0, "refused callers never trigger a provider call");
    assert_eq!(stored_providers(&server), Vec::<String>::new());
}
