//! The tamper-evident history: each dossier's entries form a hash chain (an entry's `hash` is
//! SHA-256 of the previous entry's hash and of the entry's own fields), so that changing,
//! removing or reordering an entry breaks every later link; the database also refuses updates
//! and deletions of entries (a trigger). [`verify`] walks every chain and reports the first
//! broken link of each dossier.
//!
//! Entries recorded before the chain existed have an empty hash; a dossier's leading run of
//! them is counted as unsealed, not broken.

use std::sync::LazyLock;

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::db::schema::dossier_events;
use crate::db::DbConn;
use crate::id::Id;

use super::dossiers::Event;

/// An instant as the hashed text writes it: `2026-04-29T08:00:00.123456`.
struct Instant<'a>(&'a NaiveDateTime);

static INSTANT: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| {
    StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.6f")
        .parse_to_owned()
        .expect("the format is valid")
});

impl Serialize for Instant<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format_with_items(INSTANT.iter()))
    }
}

/// The hash of `event` following an entry with hash `previous` (empty for a first entry): of
/// the previous hash's length and bytes, then of the entry's fields as a compact JSON array.
/// Written straight from the fields (a tuple is a JSON array): every dossier's history is
/// hashed on each write, and all of them by the seed.
pub fn digest(previous: &[u8], event: &Event) -> Vec<u8> {
    let fields = (
        &event.id,
        &event.dossier_id,
        event.seq,
        &event.action,
        &event.actor_id,
        &event.from_status,
        &event.to_status,
        &event.note,
        &event.details,
        &event.step_name,
        event.step_due_at.as_ref().map(Instant),
        &event.step_timeliness,
        Instant(&event.at),
    );
    let mut text = Vec::with_capacity(256);
    serde_json::to_writer(&mut text, &fields).expect("the fields are text, numbers and nulls");
    let mut hasher = Sha256::new();
    hasher.update((previous.len() as u32).to_be_bytes());
    hasher.update(previous);
    hasher.update(&text);
    hasher.finalize().to_vec()
}

/// Seals `events`, one dossier's consecutive entries, after an entry with hash `previous`.
pub fn chain(events: &mut [Event], previous: &[u8]) {
    let mut previous = previous.to_vec();
    for event in events {
        event.hash = digest(&previous, event);
        previous.clone_from(&event.hash);
    }
}

/// The first broken link of a dossier's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub dossier_id: Id,
    pub seq: i32,
    pub reason: &'static str,
}

#[derive(Debug, Default)]
pub struct Verified {
    pub dossiers: u64,
    pub events: u64,
    /// Entries from before the chain existed.
    pub unsealed: u64,
    pub broken: Vec<Broken>,
}

/// Walks every dossier's history in order, in pages, checking each link.
pub fn verify(conn: &mut DbConn) -> QueryResult<Verified> {
    let mut out = Verified::default();
    let mut after: Option<(Id, i32)> = None;
    // The dossier being walked: its id, the previous hash, the next seq, whether it is broken
    // already, and whether it has had a sealed entry.
    let mut current: Option<(Id, Vec<u8>, i32, bool, bool)> = None;
    loop {
        let mut query = dossier_events::table
            .select(super::dossiers::Event::as_select())
            .order((dossier_events::dossier_id.asc(), dossier_events::seq.asc()))
            .limit(5000)
            .into_boxed();
        // After the last entry read, in the order of the index on (dossier, seq): the bound on
        // the dossier alone lets the index start there (with only the `OR`, PostgreSQL read the
        // index from its start on every page, hours at 10 million dossiers).
        if let Some((dossier, seq)) = after {
            query = query.filter(
                dossier_events::dossier_id.ge(dossier).and(
                    dossier_events::dossier_id
                        .gt(dossier)
                        .or(dossier_events::seq.gt(seq)),
                ),
            );
        }
        let page: Vec<Event> = query.load(conn)?;
        let Some(last) = page.last() else { break };
        after = Some((last.dossier_id, last.seq));
        for event in &page {
            out.events += 1;
            if current.as_ref().map(|c| c.0) != Some(event.dossier_id) {
                out.dossiers += 1;
                current = Some((event.dossier_id, Vec::new(), 1, false, false));
            }
            let Some((_, previous, next, broken, sealed)) = current.as_mut() else {
                continue;
            };
            let expected_seq = *next;
            *next = event.seq + 1;
            if *broken {
                continue;
            }
            let mut fail = |reason| {
                out.broken.push(Broken {
                    dossier_id: event.dossier_id,
                    seq: event.seq,
                    reason,
                });
            };
            if event.seq != expected_seq {
                fail("an entry is missing before this one");
                *broken = true;
            } else if event.hash.is_empty() && !*sealed {
                out.unsealed += 1;
            } else if event.hash != digest(previous, event) {
                fail(if event.hash.is_empty() {
                    "this entry has no hash after sealed ones"
                } else {
                    "this entry or one before it was changed"
                });
                *broken = true;
            } else {
                *sealed = true;
                previous.clone_from(&event.hash);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i32, note: Option<&str>) -> Event {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 4, 29)
            .and_then(|d| d.and_hms_micro_opt(8, 0, 0, 123_456))
            .unwrap_or_default();
        Event {
            id: Id(uuid::Uuid::from_u128(seq as u128)),
            dossier_id: Id(uuid::Uuid::from_u128(7)),
            seq,
            action: "receive".into(),
            actor_id: None,
            from_status: Some("submitted".into()),
            to_status: "received".into(),
            note: note.map(str::to_string),
            details: "{}".into(),
            step_name: None,
            step_due_at: None,
            step_timeliness: None,
            at,
            hash: Vec::new(),
        }
    }

    #[test]
    fn each_link_covers_the_fields_and_the_link_before() {
        let mut events = vec![entry(1, None), entry(2, None), entry(3, Some("ok"))];
        chain(&mut events, &[]);
        assert!(events.iter().all(|e| e.hash.len() == 32));
        assert_eq!(events[1].hash, digest(&events[0].hash, &events[1]));
        // Changing any field, or the link before, changes the hash.
        let original = events[2].hash.clone();
        let changes: [fn(&mut Event); 4] = [
            |e| e.note = Some("changed".into()),
            |e| e.to_status = "refused".into(),
            |e| e.at += chrono::TimeDelta::microseconds(1),
            |e| e.actor_id = Some(Id(uuid::Uuid::from_u128(9))),
        ];
        for change in changes {
            let mut e = events[2].clone();
            change(&mut e);
            assert_ne!(digest(&events[1].hash, &e), original);
        }
        assert_ne!(digest(&events[0].hash, &events[2]), original);
        // Nanoseconds beyond the database's microseconds do not count.
        let mut finer = events[2].clone();
        finer.at += chrono::TimeDelta::nanoseconds(400);
        assert_eq!(digest(&events[1].hash, &finer), original);
    }

    /// The hashes stored in every database so far: the text hashed is the fields as a compact
    /// JSON array (computed independently, with Python's `json.dumps` and `hashlib`).
    #[test]
    fn the_hashed_text_is_the_fields_as_a_json_array() {
        let first = entry(1, None);
        let mut second = entry(2, Some("Bổ sung \"giấy\"\n\\ xong"));
        second.actor_id = Some(Id(uuid::Uuid::from_u128(9)));
        second.details = r#"{"a":1}"#.into();
        second.step_name = Some("Thẩm định".into());
        second.step_due_at = chrono::NaiveDate::from_ymd_opt(2026, 5, 4)
            .and_then(|d| d.and_hms_micro_opt(10, 30, 0, 1));
        second.step_timeliness = Some("late".into());
        let hex = |h: &[u8]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let first_hash = digest(&[], &first);
        assert_eq!(
            hex(&first_hash),
            "3687f50704256dfb93c1fbb50eb9a7cb4b0170009328980c3936bfe0eeadd2ec"
        );
        assert_eq!(
            hex(&digest(&first_hash, &second)),
            "5406d303a20ea8cc1fc425d1200d5c041bdf6a05660f7610d6ef93908eefbe44"
        );
    }
}
