//! Statistics (`Store::chart`) against a hand-computed fixture in Europe/Berlin over
//! Fri 27 – Mon 30 March 2026: Saturday has no posts, Sunday is 23 hours long (the clocks go
//! forward at 01:00 UTC), a post at 22:00 UTC on Sunday is already Monday, and one moderator
//! decided nothing. Expected figures are worked out in the comments beside the fixture.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use postgate::domain::{ActionSource, MediaKind, PostId, RejectReason, StatsRange, UserId};
use postgate::store::charts::{Chart, ChartData, DayApproval, DayOutcomes, DayTimes, statistics};
use postgate::store::{
    DecisionKind, FromAuthor, FromAuthorOutcome, ModeratorProfile, OutboxKind, OutboxResult, Revision, Store,
    SubmitOutcome, ToAuthor,
};

use crate::backdate::{Backdater, Times};
use crate::common::{album_post, approve, media, text_post};
use crate::fixtures::{decision, job_of, lease_all, submit};

const ANNA: UserId = UserId(501);
const BORIS: UserId = UserId(502);
const CLARA: UserId = UserId(503);

fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn march() -> StatsRange {
    StatsRange::new(date("2026-03-27"), date("2026-03-30"), "Europe/Berlin").unwrap()
}

enum End {
    Pending,
    Approved(UserId, &'static str),
    Published(UserId, &'static str, &'static str),
    Rejected(UserId, &'static str, &'static str),
}

/// One fixture post: author, media kinds, arrival (UTC) and what became of it.
struct Fx(i64, &'static [MediaKind], &'static str, End);

/// Seconds from arrival: P1 600 / 1200 published, P2 900, P3 3600, P4 1800, P6 28800 / 28830,
/// P7 40 / 300, P8 36001 (arrived the day before the range, decided in it).
fn fixture() -> Vec<Fx> {
    use End::{Approved, Pending, Published, Rejected};
    use MediaKind::{Document, Photo, Video};
    vec![
        // P1 Fri 09:00 CET, text.
        Fx(1001, &[], "2026-03-27T08:00:00Z", Published(ANNA, "2026-03-27T08:10:00Z", "2026-03-27T08:20:00Z")),
        // P2 Fri 23:30 CET, photo, rejected as spam at 23:45 (still Friday).
        Fx(1001, &[Photo], "2026-03-27T22:30:00Z", Rejected(ANNA, "2026-03-27T22:45:00Z", "spam")),
        // P3 Sun 01:30 CET, album, rejected in own words at 03:30 CEST.
        Fx(1002, &[Photo, Photo], "2026-03-29T00:30:00Z", Rejected(BORIS, "2026-03-29T01:30:00Z", "")),
        // P4 Sun 03:15 CEST, video, approved, not yet published.
        Fx(1002, &[Video], "2026-03-29T01:15:00Z", Approved(BORIS, "2026-03-29T01:45:00Z")),
        // P5 Sun 23:59:59 CEST, text, pending.
        Fx(1001, &[], "2026-03-29T21:59:59Z", Pending),
        // P6 Mon 00:00 CEST, text (in UTC+1 it would still be Sunday).
        Fx(1003, &[], "2026-03-29T22:00:00Z", Published(ANNA, "2026-03-30T06:00:00Z", "2026-03-30T06:00:30Z")),
        // P7 Mon 09:00 CEST, text.
        Fx(1001, &[], "2026-03-30T07:00:00Z", Published(ANNA, "2026-03-30T07:00:40Z", "2026-03-30T07:05:00Z")),
        // P8 Thu 23:59:59 CET (before the range), document, rejected on Friday.
        Fx(1001, &[Document], "2026-03-26T22:59:59Z", Rejected(BORIS, "2026-03-27T09:00:00Z", "spam")),
        // P9 Tue 00:00 CEST (after the range), pending.
        Fx(1003, &[], "2026-03-30T22:00:00Z", Pending),
    ]
}

/// Writes the fixture through the store, then moves its times to the fixture's.
async fn seed(store: &dyn Store, back: &Backdater, posts: Vec<Fx>) -> Vec<PostId> {
    for (id, name) in [(ANNA, "Anna"), (BORIS, "Boris"), (CLARA, "Clara")] {
        let profile = ModeratorProfile { id, display_name: name.into(), username: None, source: "config" };
        store.upsert_moderator(&profile).await.unwrap();
    }
    let mut ids = Vec::new();
    for (n, Fx(author, kinds, _, _)) in (0..).zip(&posts) {
        let post =
            if kinds.is_empty() { text_post(*author, 100 * n, "p") } else { album_post(*author, 100 * n, "p", kinds) };
        ids.push(submit(store, &post).await);
    }
    lease_all(store).await;
    for (id, Fx(_, _, _, end)) in ids.iter().zip(&posts) {
        let decided = match end {
            End::Pending => None,
            End::Approved(m, _) | End::Published(m, ..) => Some(store.decide(&approve(*id, *m)).await.unwrap()),
            End::Rejected(m, _, reason) => {
                let reason = if reason.is_empty() {
                    RejectReason::custom("not for us").unwrap()
                } else {
                    RejectReason::template(reason).unwrap()
                };
                let kind = DecisionKind::Reject { reason, ban_author: false };
                Some(store.decide(&decision(*id, *m, kind)).await.unwrap())
            }
        };
        assert!(decided.is_none_or(|d| matches!(d, postgate::store::DecideOutcome::Decided { .. })));
    }
    let jobs = lease_all(store).await;
    for (id, Fx(_, _, _, end)) in ids.iter().zip(&posts) {
        if let End::Published(..) = end {
            let publish = job_of(&jobs, *id, OutboxKind::Publish);
            store.complete_outbox(&publish, &OutboxResult::Published { channel_message_id: 7 }).await.unwrap();
        }
    }
    for (id, Fx(_, _, arrived, end)) in ids.iter().zip(&posts) {
        let (decided, published) = match end {
            End::Pending => (None, None),
            End::Approved(_, d) | End::Rejected(_, d, _) => (Some(utc(d)), None),
            End::Published(_, d, p) => (Some(utc(d)), Some(utc(p))),
        };
        back.set(*id, &Times { arrived: utc(arrived), decided, published }).await;
    }
    ids
}

fn days(range: &StatsRange) -> Vec<NaiveDate> {
    range.days().collect()
}

pub async fn every_day_of_an_empty_store_is_zero(store: Arc<dyn Store>, _back: Backdater) {
    let range = march();
    let all = statistics(&*store, &range).await.unwrap();
    assert_eq!(all.submissions.iter().map(|d| d.day).collect::<Vec<_>>(), days(&range));
    assert!(all.submissions.iter().all(|d| *d == DayOutcomes { day: d.day, ..DayOutcomes::default() }));
    assert!(all.approval.iter().all(|d| d.decided == 0 && d.approved == 0));
    assert!(all.decision_time.iter().chain(&all.publication_time).all(|d| d.count == 0 && d.median_secs.is_none()));
    assert_eq!(all.decision_time.len(), 4);
    assert!(all.moderators.is_empty());
    assert!(all.media_mix.iter().all(|m| m.posts == 0));
    assert_eq!(all.media_mix.len(), 8);
    assert_eq!(all.hours, [[0; 24]; 7]);
    assert!(all.top_authors.by_submissions.is_empty() && all.top_authors.by_approval.is_empty());
    assert_eq!(
        (all.range.from, all.range.to, all.range.tz.as_str()),
        (date("2026-03-27"), date("2026-03-30"), "Europe/Berlin")
    );
}

pub async fn submissions_by_outcome_per_local_day(store: Arc<dyn Store>, back: Backdater) {
    seed(&*store, &back, fixture()).await;
    let ChartData::Submissions(got) = store.chart(&march(), Chart::Submissions).await.unwrap() else { panic!() };
    let day = |d: &str| DayOutcomes { day: date(d), ..DayOutcomes::default() };
    let want = vec![
        DayOutcomes { published: 1, rejected: BTreeMap::from([("spam".into(), 1)]), ..day("2026-03-27") },
        day("2026-03-28"),
        DayOutcomes { approved: 1, pending: 1, rejected: BTreeMap::from([("custom".into(), 1)]), ..day("2026-03-29") },
        DayOutcomes { published: 2, ..day("2026-03-30") },
    ];
    assert_eq!(got, want);
}

pub async fn approval_and_waiting_times_per_day_of_the_decision(store: Arc<dyn Store>, back: Backdater) {
    seed(&*store, &back, fixture()).await;
    let range = march();
    let ChartData::Approval(rate) = store.chart(&range, Chart::Approval).await.unwrap() else { panic!() };
    let a = |d: &str, decided, approved| DayApproval { day: date(d), decided, approved };
    assert_eq!(rate, [a("2026-03-27", 3, 1), a("2026-03-28", 0, 0), a("2026-03-29", 2, 1), a("2026-03-30", 2, 2)]);

    let t =
        |d: &str, count, m: Option<i64>, p: Option<i64>| DayTimes { day: date(d), count, median_secs: m, p90_secs: p };
    let ChartData::DecisionTime(decision) = store.chart(&range, Chart::DecisionTime).await.unwrap() else { panic!() };
    // Friday [600, 900, 36001]: median the 2nd, p90 the 3rd; Sunday [1800, 3600]; Monday [40, 28800].
    assert_eq!(
        decision,
        [
            t("2026-03-27", 3, Some(900), Some(36001)),
            t("2026-03-28", 0, None, None),
            t("2026-03-29", 2, Some(1800), Some(3600)),
            t("2026-03-30", 2, Some(40), Some(28800)),
        ]
    );
    let ChartData::PublicationTime(publication) = store.chart(&range, Chart::PublicationTime).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        publication,
        [
            t("2026-03-27", 1, Some(1200), Some(1200)),
            t("2026-03-28", 0, None, None),
            t("2026-03-29", 0, None, None),
            t("2026-03-30", 2, Some(300), Some(28830)),
        ]
    );
}

pub async fn moderators_media_hours_and_authors(store: Arc<dyn Store>, back: Backdater) {
    seed(&*store, &back, fixture()).await;
    let all = statistics(&*store, &march()).await.unwrap();
    // Anna [40, 600, 900, 28800]: median the 2nd; Boris [1800, 3600, 36001]; Clara decided nothing.
    let mods: Vec<_> =
        all.moderators.iter().map(|m| (m.moderator, m.name.as_str(), m.decisions, m.approved, m.median_secs)).collect();
    assert_eq!(
        mods,
        [(ANNA, "Anna", 4, 3, Some(600)), (BORIS, "Boris", 3, 1, Some(3600)), (CLARA, "Clara", 0, 0, None)]
    );

    let mix: Vec<_> = all.media_mix.iter().map(|m| (m.kind.as_str(), m.posts)).collect();
    assert_eq!(
        mix,
        [
            ("text", 4),
            ("photo", 1),
            ("video", 1),
            ("animation", 0),
            ("document", 0),
            ("audio", 0),
            ("voice", 0),
            ("album", 1)
        ]
    );

    let mut hours = [[0i64; 24]; 7];
    for (weekday, hour) in [(4, 9), (4, 23), (6, 1), (6, 3), (6, 23), (0, 0), (0, 9)] {
        hours[weekday][hour] += 1;
    }
    assert_eq!(all.hours, hours);

    let by_n: Vec<_> =
        all.top_authors.by_submissions.iter().map(|a| (a.author.0, a.submissions, a.decided, a.approved)).collect();
    assert_eq!(by_n, [(1001, 4, 3, 2), (1002, 2, 2, 1), (1003, 1, 1, 1)]);
    // Only author 1001 has the three decided posts a rate needs.
    let by_rate: Vec<_> = all.top_authors.by_approval.iter().map(|a| a.author.0).collect();
    assert_eq!(by_rate, [1001]);
    assert_eq!(all.top_authors.by_submissions[0].name, "Иван Петров");
    assert_eq!(all.top_authors.by_submissions[0].username.as_deref(), Some("user1001"));
}

pub async fn the_repeated_hour_of_an_autumn_night_counts_once_per_post(store: Arc<dyn Store>, back: Backdater) {
    // 02:30 CEST and 02:30 CET on Sunday 25 October: the same local hour, an hour apart.
    let posts =
        vec![Fx(1, &[], "2026-10-25T00:30:00Z", End::Pending), Fx(2, &[], "2026-10-25T01:30:00Z", End::Pending)];
    seed(&*store, &back, posts).await;
    let range = StatsRange::new(date("2026-10-24"), date("2026-10-25"), "Europe/Berlin").unwrap();
    let all = statistics(&*store, &range).await.unwrap();
    assert_eq!(all.hours[6][2], 2);
    assert_eq!(all.hours.iter().flatten().sum::<i64>(), 2);
    assert_eq!(all.submissions.iter().map(|d| d.pending).collect::<Vec<_>>(), [0, 2]);
    // In UTC the same posts fall on Sunday 00:00 and 01:00.
    let utc_range = StatsRange::new(date("2026-10-24"), date("2026-10-25"), "UTC").unwrap();
    let ChartData::Hours(utc_hours) = store.chart(&utc_range, Chart::Hours).await.unwrap() else { panic!() };
    assert_eq!((utc_hours[6][0], utc_hours[6][1]), (1, 1));
}

pub async fn the_p90_is_the_nearest_rank_for_any_count(store: Arc<dyn Store>, back: Backdater) {
    // 70 decisions taking 1 … 70 s on one day: nearest rank makes the median the 35th and the
    // p90 the 63rd on both backends (PostgreSQL's percentile_disc, SQLite's row numbers).
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let posts = (1..=70)
        .map(|k| {
            let decided = leak(format!("2026-03-27T10:{:02}:{:02}Z", k / 60, k % 60));
            Fx(2000 + k, &[], "2026-03-27T10:00:00Z", End::Approved(ANNA, decided))
        })
        .collect();
    seed(&*store, &back, posts).await;
    let ChartData::DecisionTime(days) = store.chart(&march(), Chart::DecisionTime).await.unwrap() else { panic!() };
    assert_eq!((days[0].count, days[0].median_secs, days[0].p90_secs), (70, Some(35), Some(63)));
    let anna = statistics(&*store, &march()).await.unwrap().moderators.into_iter().find(|m| m.moderator == ANNA);
    assert_eq!(anna.map(|m| (m.decisions, m.median_secs)), Some((70, Some(35))));
}

/// The system's reasons (withdrawn, no answer) count under their own keys on both backends, and
/// a decider missing from the moderators' list (an owner's decision, a moderator since
/// removed) is charted with their decisions in the range, and only then.
pub async fn system_reasons_and_unlisted_deciders_are_charted(store: Arc<dyn Store>, back: Backdater) {
    const DMITRI: UserId = UserId(504);
    const EVA: UserId = UserId(505);
    use End::Rejected;
    seed(
        &*store,
        &back,
        vec![
            Fx(1001, &[], "2026-03-27T08:00:00Z", Rejected(DMITRI, "2026-03-27T08:00:30Z", "withdrawn")),
            Fx(1001, &[], "2026-03-27T09:00:00Z", Rejected(DMITRI, "2026-03-27T09:01:00Z", "no-answer")),
            Fx(1001, &[], "2026-03-27T10:00:00Z", Rejected(ANNA, "2026-03-27T11:00:00Z", "expired")),
            // Eva decided only before the range: not charted.
            Fx(1002, &[], "2026-03-20T10:00:00Z", Rejected(EVA, "2026-03-20T11:00:00Z", "spam")),
        ],
    )
    .await;
    let ChartData::Submissions(got) = store.chart(&march(), Chart::Submissions).await.unwrap() else { panic!() };
    let friday = BTreeMap::from([("expired".into(), 1), ("no-answer".into(), 1), ("withdrawn".into(), 1)]);
    assert_eq!(got[0], DayOutcomes { day: date("2026-03-27"), rejected: friday, ..DayOutcomes::default() });

    let ChartData::Moderators(mods) = store.chart(&march(), Chart::Moderators).await.unwrap() else { panic!() };
    let mods: Vec<_> = mods.iter().map(|m| (m.moderator, m.name.as_str(), m.decisions, m.median_secs)).collect();
    // Dmitri [30, 60]: the median is the first (nearest rank); he has no name on the list.
    assert_eq!(
        mods,
        [
            (DMITRI, "", 2, Some(30)),
            (ANNA, "Anna", 1, Some(3600)),
            (BORIS, "Boris", 0, None),
            (CLARA, "Clara", 0, None)
        ]
    );
}

/// The media mix counts each post's kind as its latest media make it: an album whose parts
/// arrived one by one, a text its author revised with a photo, a video whose revision changed
/// only its caption.
pub async fn the_media_mix_follows_album_parts_and_revisions(store: Arc<dyn Store>, back: Backdater) {
    const AUTHOR: i64 = 1003;
    let mut first = album_post(AUTHOR, 10, "album", &[MediaKind::Photo]);
    first.media_group_id = Some("group-10".into());
    let album = submit(&*store, &first).await;
    let mut second = album_post(AUTHOR, 11, "", &[MediaKind::Video]);
    second.media_group_id = Some("group-10".into());
    assert!(matches!(store.submit(&second).await.unwrap(), SubmitOutcome::AlbumPart(id) if id == album));
    let text = submit(&*store, &text_post(AUTHOR, 20, "text")).await;
    let video = submit(&*store, &album_post(AUTHOR, 30, "video", &[MediaKind::Video])).await;
    for (id, message, media) in [(text, 21, vec![media(MediaKind::Photo, 21)]), (video, 31, Vec::new())] {
        let ask =
            ToAuthor { post_id: id, moderator: ANNA, source: ActionSource::Console, body: "?".into(), request: true };
        store.send_to_author(&ask).await.unwrap();
        let revision = Revision { body: "revised".into(), entities: serde_json::json!([]), media };
        let answer = FromAuthor {
            post_id: id,
            author: UserId(AUTHOR),
            telegram_message_id: message,
            body: "revised".into(),
            revision: Some(revision),
        };
        assert!(matches!(store.author_message(&answer).await.unwrap(), FromAuthorOutcome::Attached { .. }));
    }
    for id in [album, text, video] {
        back.set(id, &Times { arrived: utc("2026-03-28T12:00:00Z"), decided: None, published: None }).await;
    }
    let ChartData::MediaMix(mix) = store.chart(&march(), Chart::MediaMix).await.unwrap() else { panic!() };
    let mix: Vec<_> = mix.iter().filter(|m| m.posts > 0).map(|m| (m.kind.as_str(), m.posts)).collect();
    assert_eq!(mix, [("photo", 1), ("video", 1), ("album", 1)]);
}
