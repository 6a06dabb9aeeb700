//! `cargo xtask migrate` and `cargo xtask seed`: the database through the store adapter and the
//! domain services, never raw SQL.

use std::sync::Arc;

use pincer_agents::service::{AgentService, AgentServiceDeps, NewAgent};
use pincer_agents::tools::{FileToolProvider, ToolRegistry};
use pincer_audit::MemorySink;
use pincer_connectors::LocalDocuments;
use pincer_connectors::documents::LocalDocumentFolders;
use pincer_core::crypto::random_token;
use pincer_core::{Principal, SystemClock};
use pincer_identity::{Identity, IdentityDeps, InviteStore, NewInvite, SessionStore, UserStore};
use pincer_store::{BlockingPasswordHasher, Database};

/// The demo admin `seed` creates through the setup flow.
const ADMIN: (&str, &str) = ("Demo Admin", "admin@pincer.local");

/// Shared demo agents: (name, template).
const AGENTS: &[(&str, &str)] = &[("General Assistant", "custom"), ("HR Policies", "knowledge-base")];

/// Members invited and claimed by `seed`: (name, email, whether the invite names the email).
const MEMBERS: &[(&str, &str, bool)] = &[
    ("Ada Lovelace", "ada@pincer.local", true),
    ("Grace Hopper", "grace@pincer.local", true),
    // Claimed with the email given at claim time, as for an invite link that names nobody.
    ("Alan Turing", "alan@pincer.local", false),
];

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

async fn open(url: &str) -> Result<Database, String> {
    Database::open(url).await.map_err(|e| format!("cannot open the database: {e}"))
}

/// Applies pending migrations, or with `revert` undoes the newest applied one.
pub fn migrate(url: &str, revert: bool) -> Result<(), String> {
    runtime()?.block_on(async {
        let db = open(url).await?;
        if revert {
            match db.revert_last().await.map_err(|e| format!("revert failed: {e}"))? {
                Some(version) => println!("reverted {version}"),
                None => println!("no applied migration to revert"),
            }
        } else {
            let applied = db.migrate().await.map_err(|e| format!("migration failed: {e}"))?;
            if applied.is_empty() {
                println!("database is up to date");
            }
            for version in applied {
                println!("applied {version}");
            }
        }
        Ok(())
    })
}

/// The tools demo agents are granted.
fn file_tools() -> Result<ToolRegistry, String> {
    let files = FileToolProvider::new(Arc::new(LocalDocuments), "/data".into());
    ToolRegistry::new(vec![Arc::new(files)])
}

/// Demo data through the domain services: the first admin via setup, members via invites (each
/// account with its personal agent), and shared demo agents. With `password`, every account gets
/// it; otherwise each gets a random one. Printed once.
pub fn seed(url: &str, password: Option<&str>) -> Result<(), String> {
    runtime()?.block_on(async {
        let db = open(url).await?;
        for version in db.migrate().await.map_err(|e| format!("migration failed: {e}"))? {
            println!("applied {version}");
        }
        let audit = Arc::new(MemorySink::default());
        let store = Arc::new(db.clone());
        let agents = Arc::new(AgentService::new(AgentServiceDeps {
            agents: store.clone(),
            providers: store.clone(),
            settings: store.clone(),
            folders: Arc::new(LocalDocumentFolders),
            clock: Arc::new(SystemClock),
            audit: audit.clone(),
            documents_root: "/data".into(),
            tools: Arc::new(file_tools()?),
            groups: store.clone(),
            entitlement: Arc::new(pincer_core::Community),
            bus: Arc::new(pincer_core::LocalEventBus::default()),
        }));
        let identity = Identity::new(IdentityDeps {
            users: Arc::new(db.clone()) as Arc<dyn UserStore>,
            sessions: Arc::new(db.clone()) as Arc<dyn SessionStore>,
            tokens: Arc::new(db.clone()) as Arc<dyn pincer_identity::ApiTokenStore>,
            pairings: Arc::new(db.clone()) as Arc<dyn pincer_identity::pairing::PairingStore>,
            invites: Arc::new(db.clone()) as Arc<dyn InviteStore>,
            hasher: Arc::new(BlockingPasswordHasher),
            clock: Arc::new(SystemClock),
            audit: audit.clone(),
            accounts: agents.clone(),
            session_watch: Arc::new(pincer_identity::NoSessionWatch),
            bus: Arc::new(pincer_core::LocalEventBus::default()),
            seats: Arc::new(pincer_identity::licence::Unlimited),
            entitlement: Arc::new(pincer_core::Community),
        });
        let err = |what: &str| {
            let what = what.to_string();
            move |e: pincer_identity::IdentityError| format!("{what}: {e}")
        };

        if identity.setup_complete().await.map_err(err("cannot read setup status"))? {
            println!("setup is already complete: nothing seeded");
            return Ok(());
        }
        let new_password = || password.map_or_else(|| random_token()[..20].to_string(), str::to_string);

        let mut credentials = Vec::new();
        let admin_password = new_password();
        let outcome = identity.setup(ADMIN.0, ADMIN.1, &admin_password).await.map_err(err("setup failed"))?;
        let admin: Principal =
            identity.authenticate(outcome.token.expose()).await.map_err(err("cannot use the admin session"))?;
        credentials.push(("admin", ADMIN.1, admin_password));

        for &(name, email, named) in MEMBERS {
            let request =
                NewInvite { role: "member".into(), email: named.then(|| email.to_string()), group_ids: Vec::new() };
            let (_, token) = identity.create_invite(&admin, request).await.map_err(err("invite failed"))?;
            let member_password = new_password();
            let given_email = (!named).then_some(email);
            identity
                .claim(token.expose(), Some(name), given_email, &member_password)
                .await
                .map_err(err("claiming the invite failed"))?;
            credentials.push(("member", email, member_password));
        }
        for &(name, template) in AGENTS {
            let request = NewAgent { name: name.into(), template_id: template.into(), ..NewAgent::default() };
            agents.create(&admin, request).await.map_err(|e| format!("creating agent {name} failed: {e}"))?;
        }
        // The seeding session is not needed any more.
        identity.logout(&admin, outcome.token.expose()).await.map_err(err("logout failed"))?;

        println!(
            "seeded {} accounts and {} shared agents (audit events, kept in memory only: {}):",
            credentials.len(),
            AGENTS.len(),
            audit.events().len()
        );
        for (role, email, password) in &credentials {
            println!("  {role:<6}  {email:<24}  {password}");
        }
        Ok(())
    })
}
