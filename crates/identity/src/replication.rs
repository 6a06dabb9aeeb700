//! Sessions that end early on one node end on every node: the node where it happens drops them
//! from its cache and closes their live connections, and publishes `sessions.ended` on the event
//! bus; every node that hears it does the same, instead of trusting its cache for up to 30 s.

use pincer_core::{BusEvent, EventHandler, SessionId, UserId};
use serde_json::{Value, json};

use crate::Identity;
use crate::ports::EndedSessions;

/// The topic of the event.
pub const SESSIONS_ENDED: &str = "sessions.ended";
/// A user's role or name changed: cached principals of theirs are stale on every node.
pub const USER_CHANGED: &str = "users.changed";

/// The event for a user whose cached principals are stale.
pub fn user_changed_event(user: UserId) -> BusEvent {
    BusEvent { topic: USER_CHANGED.to_string(), body: json!({"user": user}).to_string() }
}

/// The event for sessions of `user` that ended.
pub fn sessions_ended_event(user: UserId, which: EndedSessions) -> BusEvent {
    let body = match which {
        EndedSessions::One(session) => json!({"user": user, "one": session}),
        EndedSessions::AllExcept(kept) => json!({"user": user, "allExcept": kept}),
    };
    BusEvent { topic: SESSIONS_ENDED.to_string(), body: body.to_string() }
}

/// The user and sessions an event names; `None` for anything malformed.
pub fn parse_sessions_ended(event: &BusEvent) -> Option<(UserId, EndedSessions)> {
    if event.topic != SESSIONS_ENDED {
        return None;
    }
    let body: Value = serde_json::from_str(&event.body).ok()?;
    let user: UserId = body["user"].as_str()?.parse().ok()?;
    if let Some(one) = body.get("one") {
        return Some((user, EndedSessions::One(one.as_str()?.parse::<SessionId>().ok()?)));
    }
    let kept = match body.get("allExcept")? {
        Value::Null => None,
        kept => Some(kept.as_str()?.parse::<SessionId>().ok()?),
    };
    Some((user, EndedSessions::AllExcept(kept)))
}

impl EventHandler for Identity {
    fn handle(&self, event: &BusEvent) {
        if let Some((user, which)) = parse_sessions_ended(event) {
            self.sessions_ended_here(user, which);
        } else if event.topic == USER_CHANGED {
            let body: Value = serde_json::from_str(&event.body).unwrap_or_default();
            if let Some(user) = body["user"].as_str().and_then(|u| u.parse::<UserId>().ok()) {
                self.forget_user_here(user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_malformed_ones_are_ignored() {
        let (user, session) = (UserId::new(), SessionId::new());
        for which in
            [EndedSessions::One(session), EndedSessions::AllExcept(Some(session)), EndedSessions::AllExcept(None)]
        {
            assert_eq!(parse_sessions_ended(&sessions_ended_event(user, which)), Some((user, which)));
        }
        let other = BusEvent { topic: "runs.frame".into(), body: "{}".into() };
        assert_eq!(parse_sessions_ended(&other), None);
        let bad = BusEvent { topic: SESSIONS_ENDED.into(), body: r#"{"user":"x","one":"y"}"#.into() };
        assert_eq!(parse_sessions_ended(&bad), None);
    }
}
