//! The scope an API token needs for each route. Deny by default: a route not named here needs
//! `admin` (which grants everything the token's role may do), so a route added later is closed
//! to narrow tokens until someone decides otherwise. Sessions are not scoped; the services still
//! check the role for every credential (`Principal::require`), so a scope never lifts a member
//! above their role.

use actix_web::http::Method;
use pincer_core::Scope;

/// What a token needs to call `method path`; `None`: any token of the owner may (reading one's
/// own account, signing out, opening a session with the token).
pub fn needed(method: &Method, path: &str) -> Option<Scope> {
    let read = matches!(*method, Method::GET | Method::HEAD);
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    if matches!(path, "/api/auth/me" | "/api/auth/logout" | "/api/auth/session") {
        return None;
    }
    let scope = if path == "/api/ws" {
        Scope::Chat
    } else if under("/api/sessions") || path == "/api/memory/session" {
        Scope::Sessions
    } else if under("/api/memory") {
        Scope::Memory
    } else if under("/api/agents") && !path.ends_with("/channels/telegram") {
        if read { Scope::AgentsRead } else { Scope::AgentsWrite }
    } else if read && matches!(path, "/api/templates" | "/api/providers/models") {
        Scope::AgentsRead
    } else if read && under("/api/usage") {
        Scope::UsageRead
    } else if read && under("/api/audit") {
        Scope::AuditRead
    } else {
        Scope::Admin
    };
    Some(scope)
}

/// Whether `scopes` include what `method path` needs.
pub fn allows(scopes: &[Scope], method: &Method, path: &str) -> Result<(), Scope> {
    match needed(method, path) {
        None => Ok(()),
        Some(scope) if scopes.iter().any(|s| *s == scope || *s == Scope::Admin) => Ok(()),
        Some(scope) => Err(scope),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_area_needs_its_scope_and_the_rest_admin() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(needed(&get, "/api/ws"), Some(Scope::Chat));
        assert_eq!(needed(&get, "/api/sessions/search"), Some(Scope::Sessions));
        assert_eq!(needed(&get, "/api/memory/session"), Some(Scope::Sessions));
        assert_eq!(needed(&post, "/api/memory/long_term"), Some(Scope::Memory));
        assert_eq!(needed(&get, "/api/agents/abc"), Some(Scope::AgentsRead));
        assert_eq!(needed(&Method::PATCH, "/api/agents/abc"), Some(Scope::AgentsWrite));
        assert_eq!(needed(&post, "/api/agents/abc/channels/telegram"), Some(Scope::Admin));
        assert_eq!(needed(&get, "/api/usage/summary"), Some(Scope::UsageRead));
        assert_eq!(needed(&Method::PUT, "/api/usage/budgets"), Some(Scope::Admin));
        assert_eq!(needed(&get, "/api/audit/verify"), Some(Scope::AuditRead));
        assert_eq!(needed(&get, "/api/auditing"), Some(Scope::Admin), "a prefix is a whole segment");
        for closed in ["/api/users/me", "/api/users/me/password", "/api/settings/telegram", "/api/webhooks", "/api/qr"]
        {
            assert_eq!(needed(&get, closed), Some(Scope::Admin), "{closed}");
            assert_eq!(needed(&post, closed), Some(Scope::Admin), "{closed}");
        }
        assert_eq!(needed(&get, "/api/auth/me"), None);
    }

    #[test]
    fn admin_grants_every_route_and_others_only_theirs() {
        assert_eq!(allows(&[Scope::Admin], &Method::POST, "/api/users/invite"), Ok(()));
        assert_eq!(allows(&[Scope::Chat], &Method::GET, "/api/ws"), Ok(()));
        assert_eq!(allows(&[Scope::Chat], &Method::GET, "/api/sessions"), Err(Scope::Sessions));
        assert_eq!(allows(&[], &Method::GET, "/api/auth/me"), Ok(()));
    }
}
