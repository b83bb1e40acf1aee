//! A backup taken while submissions stream in restores exactly what was committed at that
//! moment: every submission acknowledged before the backup began is there, every post that is
//! there is whole (its media and its announcement job came with it), and nothing else.

use std::sync::Arc;
use std::time::Instant;

use postgate::archive::backup::{backup, restore};
use postgate::domain::PostId;
use tokio::sync::mpsc;

use crate::installation::snapshot;
use crate::{Backend, Db, on_both};

on_both!(a_backup_during_a_burst_restores_what_was_committed);

const WRITERS: usize = 4;
const PER_WRITER: usize = 150;

async fn a_backup_during_a_burst_restores_what_was_committed(backend: Backend) {
    let source = Db::fresh(backend).await;
    let store = source.open().await;
    let (acks, mut acked) = mpsc::unbounded_channel::<(PostId, Instant)>();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, acks) = (Arc::clone(&store), acks.clone());
            tokio::spawn(async move {
                for i in 0..PER_WRITER {
                    let author = 1000 + i64::try_from(w).unwrap();
                    let message = i32::try_from(w * 10_000 + i * 2 + 1).unwrap();
                    let post = if i % 5 == 0 {
                        crate::common::album_post(author, message, "альбом", &[postgate::domain::MediaKind::Photo; 2])
                    } else {
                        crate::common::text_post(author, message, &format!("burst {w}/{i}"))
                    };
                    let id = store.submit(&post).await.unwrap().post_id().unwrap();
                    let _ = acks.send((id, Instant::now()));
                }
            })
        })
        .collect();
    drop(acks);
    // Into the burst: a quarter of it acknowledged.
    let mut all = Vec::new();
    while all.len() < WRITERS * PER_WRITER / 4 {
        all.push(acked.recv().await.expect("the writers stopped early"));
    }
    let began = Instant::now();
    let file = source.file("burst.bin");
    let report = backup(&source.config(), &file).await.unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    while let Some(ack) = acked.recv().await {
        all.push(ack);
    }
    assert_eq!(all.len(), WRITERS * PER_WRITER);
    let ids: Vec<PostId> = all.iter().map(|(id, _)| *id).collect();
    let total = u64::try_from(ids.len()).unwrap();
    assert!(report.counts.rows("posts").unwrap() < total, "the backup was taken during the burst: {:?}", report.counts);
    let whole = snapshot(store.as_ref(), &ids).await;
    // An announcement per post, and a fingerprint job per post with media.
    let jobs = |posts: &[postgate::store::PostRecord]| {
        i64::try_from(posts.len() + posts.iter().filter(|p| !p.media.is_empty()).count()).unwrap()
    };
    assert_eq!(store.outbox_backlog().await.unwrap(), jobs(&store.posts(&ids).await.unwrap()));
    store.close().await;

    let target = Db::fresh(backend).await;
    let counts = restore(&target.config(), &file).await.unwrap();
    assert_eq!(counts, report.counts, "exact counts");
    let restored = target.open().await;
    let mut there: Vec<PostId> = restored.posts(&ids).await.unwrap().into_iter().map(|p| p.id).collect();
    there.sort_by_key(|p| p.0);
    assert_eq!(there.len() as u64, counts.rows("posts").unwrap());
    for (id, at) in &all {
        if *at < began {
            assert!(there.contains(id), "post {} was acknowledged before the backup began", id.0);
        }
    }
    // Each post there reads as it did in the source, media included; and only they have jobs.
    let there_now = snapshot(restored.as_ref(), &there).await;
    let by_name: std::collections::HashMap<_, _> = whole.iter().cloned().collect();
    for (what, value) in there_now.iter().filter(|(w, _)| w.starts_with("post ")) {
        assert_eq!(Some(value), by_name.get(what), "{what} differs after the restore");
    }
    let posts = restored.posts(&there).await.unwrap();
    assert_eq!(restored.outbox_backlog().await.unwrap(), jobs(&posts), "only the posts there have jobs");
    let media: u64 = posts.iter().map(|p| p.media.len() as u64).sum();
    assert_eq!(Some(media), counts.rows("media"));
    restored.close().await;
    source.dispose().await;
    target.dispose().await;
}
