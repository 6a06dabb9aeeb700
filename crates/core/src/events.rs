//! The event bus port: what one node tells every node sharing its database (sessions that ended,
//! later run frames and channel bindings). In-process on SQLite (one node); `LISTEN/NOTIFY` on
//! PostgreSQL, so replicas hear each other within a fraction of a second.

use std::sync::Arc;

/// The longest body an event may carry: PostgreSQL refuses `NOTIFY` payloads of 8,000 bytes or
/// more, and the envelope needs room.
pub const MAX_EVENT_BODY_BYTES: usize = 7_000;

/// Who may see which agent changed (an agent's visibility, a group's members, a deleted group):
/// open chat sockets check again what they follow. The body names the agent when one agent
/// changed (`{"agent": id}`), else is `{}`.
pub const ACCESS_CHANGED: &str = "access.changed";

/// One event: a topic (`sessions.ended`) and a body the topic's owner defines (JSON by convention).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusEvent {
    /// What the event is about, e.g. `sessions.ended`.
    pub topic: String,
    /// The details, as the topic defines them.
    pub body: String,
}

/// Told of every event published on any node (its own included). Called on the bus's own
/// thread: it must not block.
pub trait EventHandler: Send + Sync + 'static {
    /// Acts on one event.
    fn handle(&self, event: &BusEvent);
}

/// Where events are published and heard (one per process).
pub trait EventBus: Send + Sync + 'static {
    /// Sends `event` to every subscriber on every node; never waits (delivery is best effort: a
    /// node that is down misses it, which is why what rides on the bus also has a slower path,
    /// such as the session cache's 30-second re-validation). A body over
    /// [`MAX_EVENT_BODY_BYTES`] is dropped (logged by the implementation).
    fn publish(&self, event: BusEvent);

    /// Adds a subscriber for the rest of the process's life.
    fn subscribe(&self, handler: Arc<dyn EventHandler>);
}

/// A bus for one process: delivery is a direct call (used on SQLite and in tests).
#[derive(Default)]
pub struct LocalEventBus {
    handlers: std::sync::RwLock<Vec<Arc<dyn EventHandler>>>,
}

impl LocalEventBus {
    /// Delivers `event` to this process's subscribers.
    pub fn deliver(&self, event: &BusEvent) {
        let handlers = match self.handlers.read() {
            Ok(handlers) => handlers.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        for handler in handlers {
            handler.handle(event);
        }
    }
}

impl EventBus for LocalEventBus {
    fn publish(&self, event: BusEvent) {
        if event.body.len() <= MAX_EVENT_BODY_BYTES {
            self.deliver(&event);
        }
    }

    fn subscribe(&self, handler: Arc<dyn EventHandler>) {
        match self.handlers.write() {
            Ok(mut handlers) => handlers.push(handler),
            Err(poisoned) => poisoned.into_inner().push(handler),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Seen(Mutex<Vec<BusEvent>>);

    impl EventHandler for Seen {
        fn handle(&self, event: &BusEvent) {
            self.0.lock().unwrap().push(event.clone());
        }
    }

    #[test]
    fn local_bus_delivers_to_every_subscriber_and_drops_oversized_bodies() {
        let bus = LocalEventBus::default();
        let (a, b) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
        bus.subscribe(a.clone());
        bus.subscribe(b.clone());
        let event = BusEvent { topic: "t".into(), body: "{}".into() };
        bus.publish(event.clone());
        bus.publish(BusEvent { topic: "t".into(), body: "x".repeat(MAX_EVENT_BODY_BYTES + 1) });
        assert_eq!(*a.0.lock().unwrap(), std::slice::from_ref(&event));
        assert_eq!(*b.0.lock().unwrap(), [event]);
    }
}
