//! Message entities exactly as the author's update carried them. teloxide parses a
//! `text_link`'s URL into `url::Url`, which percent-encodes a Cyrillic path and turns an IDN
//! host into punycode, and it drops fields it does not know; so the polling listener keeps each
//! private message's raw `entities`/`caption_entities` in a bounded table ([`UpdateEntities`]),
//! extraction takes them from there, and publishing sends them back as the same JSON values.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Messages whose raw entities wait for their handler. Each entry is taken by the handler of
/// its update; ones no handler takes (commands, updates teloxide could not parse) age out.
/// At most 128 dispatcher workers × a queue of 64 updates (8 192), a `getUpdates` batch of 100
/// and the handlers running wait in front of extraction, so twice that never drops a waiting
/// entry. An entry is its entities (a link ≈ 150 bytes): a few MB when full.
const CAPACITY: usize = 16_384;

/// A message's entities as Telegram sent them: JSON objects never parsed into teloxide's types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Entities(Vec<Value>);

impl Entities {
    /// The entities stored with a post (`posts.entities`). Lists stored before raw entities were
    /// kept were written by teloxide in the Bot API's own shape, so they are sent as they are.
    pub fn from_stored(stored: &Value) -> Self {
        match stored {
            Value::Array(items) => Self(items.iter().filter(|e| e.is_object()).cloned().collect()),
            _ => Self::default(),
        }
    }

    /// What is stored with a post.
    pub fn to_stored(&self) -> Value {
        Value::Array(self.0.clone())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<Value>> for Entities {
    fn from(items: Vec<Value>) -> Self {
        Self(items)
    }
}

/// Where a message's entities are found again: its chat, its id, and its edit date (each edit
/// of a message is an update of its own).
type Key = (i64, i32, Option<i64>);

/// The entities of one message update, and a hash of its text (or caption) to check that
/// they are taken by the message they came with.
#[derive(Debug)]
struct Entry {
    text_hash: u64,
    entities: Entities,
}

fn text_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

#[derive(Default)]
struct Table {
    entries: HashMap<Key, VecDeque<Entry>>,
    /// Insertion order, for ageing out; a key appears once per entry.
    order: VecDeque<Key>,
}

/// Raw entities of private messages between the polling listener and the handlers. Cheap to
/// clone; all clones share the table.
#[derive(Clone, Default)]
pub struct UpdateEntities {
    table: Arc<Mutex<Table>>,
}

/// The part of an update this table reads; everything else is left to teloxide.
#[derive(Deserialize)]
pub(crate) struct RawUpdate {
    pub update_id: i64,
    #[serde(default)]
    message: Option<RawMessage>,
    #[serde(default)]
    edited_message: Option<RawMessage>,
}

#[derive(Deserialize)]
struct RawMessage {
    message_id: i32,
    chat: RawChat,
    #[serde(default)]
    edit_date: Option<i64>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    entities: Option<Vec<Value>>,
    #[serde(default)]
    caption_entities: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct RawChat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

impl UpdateEntities {
    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        // The table holds no invariant a panic could break half-way.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps the raw entities of a private message (new or edited) in `update`, if it has any.
    pub(crate) fn record(&self, update: RawUpdate) {
        let Some(message) = update.message.or(update.edited_message) else { return };
        if message.chat.kind != "private" {
            return;
        }
        let ((Some(text), Some(entities), _, _) | (_, _, Some(text), Some(entities))) =
            (message.text, message.entities, message.caption, message.caption_entities)
        else {
            return;
        };
        let key = (message.chat.id, message.message_id, message.edit_date);
        let mut table = self.lock();
        if table.order.len() >= CAPACITY
            && let Some(oldest) = table.order.pop_front()
        {
            tracing::warn!(chat_id = oldest.0, message_id = oldest.1, "raw entities aged out before their handler ran");
            if let Some(queue) = table.entries.get_mut(&oldest) {
                queue.pop_front();
                if queue.is_empty() {
                    table.entries.remove(&oldest);
                }
            }
        }
        table
            .entries
            .entry(key)
            .or_default()
            .push_back(Entry { text_hash: text_hash(&text), entities: entities.into() });
        table.order.push_back(key);
    }

    /// Takes the raw entities recorded for this message, if its update carried `text` (or that
    /// caption): a message edited twice within a second has two entries, taken in order.
    pub fn take(&self, chat_id: i64, message_id: i32, edit_date: Option<i64>, text: &str) -> Option<Entities> {
        let key = (chat_id, message_id, edit_date);
        let mut table = self.lock();
        let queue = table.entries.get_mut(&key)?;
        let hash = text_hash(text);
        let at = queue.iter().position(|e| e.text_hash == hash)?;
        let entry = queue.remove(at)?;
        if queue.is_empty() {
            table.entries.remove(&key);
        }
        if let Some(at) = table.order.iter().position(|k| *k == key) {
            table.order.remove(at);
        }
        Some(entry.entities)
    }

    /// Entries waiting for their handler.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(chat_type: &str, edit_date: Option<i64>, text: &str) -> RawUpdate {
        let mut message = serde_json::json!({
            "message_id": 5, "date": 1, "chat": { "id": 9, "type": chat_type },
            "text": text, "entities": [{ "offset": 0, "length": 1, "type": "bold" }]
        });
        if let Some(date) = edit_date {
            message["edit_date"] = date.into();
        }
        let key = if edit_date.is_some() { "edited_message" } else { "message" };
        serde_json::from_value(serde_json::json!({ "update_id": 1, key: message })).unwrap()
    }

    #[test]
    fn entries_are_taken_once_by_message_edit_and_text() {
        let table = UpdateEntities::default();
        table.record(update("private", None, "a"));
        table.record(update("private", Some(7), "b"));
        table.record(update("private", Some(7), "c"));
        table.record(update("supergroup", None, "d"));
        assert_eq!(table.len(), 3, "group messages are not kept");
        assert!(table.take(9, 5, Some(7), "a").is_none(), "the text must match");
        assert!(table.take(9, 5, Some(7), "c").is_some());
        assert!(table.take(9, 5, Some(7), "b").is_some());
        assert!(table.take(9, 5, Some(7), "b").is_none(), "taken once");
        assert!(table.take(9, 5, None, "a").is_some());
        assert!(table.is_empty());
    }

    #[test]
    fn the_table_is_bounded() {
        let table = UpdateEntities::default();
        for i in 0..CAPACITY + 10 {
            table.record(update("private", Some(i64::try_from(i).unwrap()), "x"));
        }
        assert_eq!(table.len(), CAPACITY);
        assert!(table.take(9, 5, Some(0), "x").is_none(), "the oldest aged out");
        assert!(table.take(9, 5, Some(10), "x").is_some());
    }

    #[test]
    fn stored_lists_are_kept_and_anything_else_is_none() {
        // Lists stored before raw entities were kept are teloxide's serialisation of its own.
        let url = url::Url::parse("https://example.com/wiki/%D0%A1").unwrap();
        let typed = [teloxide::types::MessageEntity::text_link(url, 0, 2), teloxide::types::MessageEntity::bold(3, 1)];
        let legacy = serde_json::to_value(typed).unwrap();
        assert_eq!(Entities::from_stored(&legacy).to_stored(), legacy);
        assert_eq!(legacy[0]["url"], "https://example.com/wiki/%D0%A1");
        assert!(Entities::from_stored(&serde_json::json!({})).is_empty());
        assert!(Entities::from_stored(&Value::Null).is_empty());
    }
}
