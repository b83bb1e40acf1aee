//! Self-test of the fake Telegram Bot API server (`tests/support/fake_telegram`) with a real teloxide `Bot`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fake_telegram::{FIRST_BOT_MESSAGE_ID, FakeTelegram, Fault, TEST_TOKEN, USERNAME_CHAT_ID, updates};
use teloxide::RequestError;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto, MessageId, Recipient,
    UpdateKind,
};

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn send_message_is_recorded_and_ids_increase() {
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[42, USERNAME_CHAT_ID]);
    let bot = fake.bot();

    let first = bot.send_message(ChatId(42), "hello").await.unwrap();
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Approve", "approve:1")]]);
    let second = bot.send_message(ChatId(42), "/start now").reply_markup(keyboard).await.unwrap();
    let channel = bot.send_message(Recipient::ChannelUsername("@news".into()), "post").await.unwrap();

    assert_eq!(first.id, MessageId(FIRST_BOT_MESSAGE_ID));
    assert!(second.id.0 > first.id.0);
    assert_eq!(first.chat.id, ChatId(42));
    assert_eq!(first.text(), Some("hello"));
    assert!(first.from.as_ref().is_some_and(|u| u.is_bot && u.id.0 == 123));
    assert!(second.reply_markup().is_some(), "inline keyboard echoed");
    assert_eq!(channel.chat.id, ChatId(USERNAME_CHAT_ID));

    let calls = fake.calls_to("sendMessage");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].method, "sendmessage");
    assert_eq!(calls[0].body["chat_id"], json!(42));
    assert_eq!(calls[0].body["text"], json!("hello"));
    assert_eq!(calls[2].field_str("chat_id").as_deref(), Some("@news"));
    assert_eq!(fake.wait_for("SENDMESSAGE", 3, WAIT).await.len(), 3);
    fake.shutdown().await;
}

#[tokio::test]
#[should_panic(expected = "expected at least 1 call(s) to sendPhoto")]
async fn wait_for_panics_with_what_was_recorded() {
    let fake = FakeTelegram::start().await;
    fake.bot().get_me().await.unwrap();
    fake.wait_for("sendPhoto", 1, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn get_updates_returns_pushed_updates_and_respects_offset() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    let first = fake.push_update(updates::text_message(7, 7, 1, "/start", Some("uk")));
    fake.push_update(updates::photo_message(7, 7, 2, "ph-1", "uph-1", Some("cap"), Some("album-1")));
    fake.push_update(updates::callback_query(7, "approve:1", -100_500, 1001));
    fake.push_update(updates::edited_message(7, -100_500, 3, "edited", None));
    fake.push_update(updates::sticker_message(7, 7, 4, "st-1", "ust-1"));
    fake.push_update(updates::video_message(7, 7, 5, "vi-1", "uvi-1", None, None));
    fake.push_update(updates::document_message(7, 7, 6, "do-1", "udo-1", Some("doc"), None));
    fake.push_update(updates::animation_message(7, 7, 7, "an-1", "uan-1", None));
    let last = fake.push_update(updates::voice_message(7, 7, 8, "vo-1", "uvo-1"));
    assert_eq!((first, last), (1, 9));

    let got = bot.get_updates().await.unwrap();
    assert_eq!(got.len(), 9);
    for update in &got {
        assert!(!matches!(update.kind, UpdateKind::Error(_)), "teloxide could not parse {update:?}");
    }
    let UpdateKind::Message(start) = &got[0].kind else { panic!("{:?}", got[0]) };
    assert_eq!(start.text(), Some("/start"));
    assert_eq!(start.from.as_ref().and_then(|u| u.language_code.as_deref()), Some("uk"));
    let UpdateKind::Message(photo) = &got[1].kind else { panic!("{:?}", got[1]) };
    assert_eq!(photo.photo().and_then(|p| p.last()).map(|p| p.file.id.0.as_str()), Some("ph-1"));
    assert_eq!(photo.media_group_id().map(|g| g.0.as_str()), Some("album-1"));
    assert_eq!(photo.caption(), Some("cap"));
    let UpdateKind::CallbackQuery(query) = &got[2].kind else { panic!("{:?}", got[2]) };
    assert_eq!(query.data.as_deref(), Some("approve:1"));
    assert!(matches!(got[3].kind, UpdateKind::EditedMessage(_)));
    let UpdateKind::Message(sticker) = &got[4].kind else { panic!("{:?}", got[4]) };
    assert!(sticker.sticker().is_some());

    // Not confirmed yet: returned again, up to `limit`.
    assert_eq!(bot.get_updates().limit(2).await.unwrap().len(), 2);
    // Confirming part of the queue drops it.
    let rest = bot.get_updates().offset(8).await.unwrap();
    assert_eq!(rest.iter().map(|u| u.id.0).collect::<Vec<_>>(), vec![8, 9]);
    assert_eq!(fake.confirmed_offset(), Some(8));
    let none = bot.get_updates().offset(10).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(fake.pending_updates(), 0);
    assert_eq!(fake.confirmed_offset(), Some(10));
    fake.shutdown().await;
}

#[tokio::test]
async fn long_poll_waits_for_timeout_or_a_push() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();

    let started = Instant::now();
    let empty = bot.get_updates().timeout(30).await.unwrap();
    let waited = started.elapsed();
    assert!(empty.is_empty());
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "waited {waited:?}");

    // A push while the poll is waiting wakes it up at once.
    let update = updates::text_message(5, 5, 1, "hi", None);
    let started = Instant::now();
    let (polled, ()) = tokio::join!(bot.get_updates().timeout(30), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        fake.push_update(update);
    });
    let polled = polled.unwrap();
    assert_eq!(polled.len(), 1);
    assert!(started.elapsed() < Duration::from_millis(900), "woke up on push, took {:?}", started.elapsed());
    fake.shutdown().await;
}

#[tokio::test]
async fn retry_after_then_success() {
    let fake = FakeTelegram::start().await;
    fake.add_chat(1);
    let bot = fake.bot();
    fake.fail_next("sendMessage", 1, Fault::RetryAfter(2));

    match bot.send_message(ChatId(1), "a").await {
        Err(RequestError::RetryAfter(secs)) => assert_eq!(secs.seconds(), 2),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    bot.send_message(ChatId(1), "b").await.unwrap();
    assert_eq!(fake.calls_to("sendMessage").len(), 2, "both attempts recorded");
    fake.shutdown().await;
}

#[tokio::test]
async fn other_faults_bad_request_api_delay_and_unknown_method() {
    let fake = FakeTelegram::start().await;
    fake.add_chat(1);
    let bot = fake.bot();
    fake.fail_next("sendMessage", 1, Fault::BadRequest("Bad Request: message text is empty".into()));
    fake.fail_next("sendMessage", 1, Fault::Api(403, "Forbidden: bot was blocked by the user".into()));
    fake.fail_next("getMe", 1, Fault::Delay(Duration::from_millis(300)));

    let err = bot.send_message(ChatId(1), "").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(teloxide::ApiError::MessageTextIsEmpty)), "{err:?}");
    let err = bot.send_message(ChatId(1), "x").await.unwrap_err();
    assert!(matches!(err, RequestError::Api(teloxide::ApiError::BotBlocked)), "{err:?}");
    let started = Instant::now();
    let me = bot.get_me().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(me.username(), "fake_postgate_bot");

    let response = reqwest::Client::new()
        .post(format!("{}bot{TEST_TOKEN}/NoSuchMethod", fake.base_url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}));
    assert_eq!(fake.calls_to("nosuchmethod").len(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn hang_is_cut_by_client_timeout() {
    let fake = FakeTelegram::start().await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let bot = Bot::with_client(TEST_TOKEN, client).set_api_url(fake.url());
    fake.fail_next("getMe", 1, Fault::Hang);

    let started = Instant::now();
    let err = bot.get_me().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    bot.get_me().await.unwrap();
    // The timed-out client closed its socket: the server notices, even mid-request.
    assert_eq!(fake.wait_open_connections_at_most(1, WAIT).await, 1);
    // Shutdown is quick even with a hanging request still on the server.
    let started = Instant::now();
    fake.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn media_group_copy_upload_edit_and_forward() {
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[-1_007, -1_008, -1_009, 7, 42]);
    for id in ["a", "b", "c"] {
        fake.add_file(id);
    }
    let bot = fake.bot();
    let media: Vec<InputMedia> = ["a", "b", "c"]
        .into_iter()
        .map(|id| InputMedia::Photo(InputMediaPhoto::new(InputFile::file_id(id.into())).caption(id)))
        .collect();
    let album = bot.send_media_group(ChatId(-1_007), media).await.unwrap();
    assert_eq!(album.len(), 3);
    assert!(album.iter().all(|m| m.media_group_id().is_some() && m.media_group_id() == album[0].media_group_id()));
    assert_eq!(album[1].caption(), Some("b"));

    let copied = bot.copy_message(ChatId(-1_008), ChatId(7), MessageId(5)).await.unwrap();
    assert_eq!(copied, MessageId(FIRST_BOT_MESSAGE_ID));
    let copied_again = bot.copy_message(ChatId(-1_008), ChatId(7), MessageId(6)).await.unwrap();
    assert_eq!(copied_again.0, copied.0 + 1);

    // Multipart upload: text fields as strings, file part recorded by size.
    let photo = bot.send_photo(ChatId(42), InputFile::memory(vec![7_u8; 1234]).file_name("p.jpg")).caption("c").await;
    let photo = photo.unwrap();
    assert!(photo.photo().is_some());
    let upload = &fake.calls_to("sendPhoto")[0];
    assert_eq!(upload.field_i64("chat_id"), Some(42));
    assert_eq!(upload.files.len(), 1);
    assert_eq!(upload.files[0].size, 1234);

    // Uploaded album: `attach://` references, one file part per item.
    let uploads: Vec<InputMedia> =
        (0..2).map(|i| InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(vec![i; 10])))).collect();
    assert_eq!(bot.send_media_group(ChatId(42), uploads).await.unwrap().len(), 2);
    let album_upload = fake.calls_to("sendMediaGroup").pop().unwrap();
    assert_eq!(album_upload.files.len(), 2);
    assert_eq!(album_upload.field_json("media").unwrap().as_array().map(Vec::len), Some(2));

    let sent = bot.send_message(ChatId(42), "draft").await.unwrap();
    let edited = bot.edit_message_text(ChatId(42), sent.id, "final").await.unwrap();
    assert_eq!((edited.id, edited.text()), (sent.id, Some("final")));
    assert_eq!(fake.sent_message(42, sent.id.0).unwrap()["text"], json!("final"));
    let forwarded = bot.forward_message(ChatId(-1_009), ChatId(42), sent.id).await.unwrap();
    assert_eq!(forwarded.text(), Some("final"));
    assert!(bot.answer_callback_query("cbq-1".into()).await.is_err(), "a query nobody sent is refused");
    fake.shutdown().await;
}

#[tokio::test]
async fn admins_chat_and_file_download() {
    let fake = FakeTelegram::start().await;
    fake.add_chat(-1_001);
    let bot = fake.bot();
    assert!(bot.get_chat_administrators(ChatId(-1_001)).await.unwrap().is_empty());
    fake.set_admins(&[11]);
    let admins = bot.get_chat_administrators(ChatId(-1_001)).await.unwrap();
    assert_eq!(admins.len(), 1);
    assert!(admins[0].is_privileged());
    assert!(bot.get_chat_member(ChatId(-1_001), UserId(11)).await.unwrap().is_privileged());
    assert!(!bot.get_chat_member(ChatId(-1_001), UserId(12)).await.unwrap().is_privileged());
    assert_eq!(bot.get_chat(ChatId(-1_001)).await.unwrap().id, ChatId(-1_001));

    fake.set_file("doc-1", b"%PDF-fake".to_vec());
    let file = bot.get_file("doc-1".into()).await.unwrap();
    assert_eq!(file.size, 9);
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await.unwrap();
    assert_eq!(bytes, b"%PDF-fake");
    assert_eq!(fake.calls_to("download")[0].body["file_path"], json!(file.path));
    fake.shutdown().await;
}

#[tokio::test]
async fn connections_are_counted_and_released() {
    let fake = FakeTelegram::start().await;
    let bot = fake.bot();
    for _ in 0..5 {
        bot.get_me().await.unwrap();
    }
    assert_eq!(fake.open_connections(), 1, "sequential calls reuse one pooled connection");
    assert_eq!(fake.accepted_connections(), 1);

    drop(bot);
    assert_eq!(fake.wait_open_connections_at_most(0, WAIT).await, 0, "connection closed after client drop");
    assert_eq!(fake.accepted_connections(), 1);
    fake.shutdown().await;
}

#[tokio::test]
async fn shutdown_refuses_new_requests() {
    let fake = FakeTelegram::start().await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let bot = Bot::with_client(TEST_TOKEN, client).set_api_url(fake.url());
    bot.get_me().await.unwrap();
    let url = fake.url();
    fake.shutdown().await;
    let err = Bot::new(TEST_TOKEN).set_api_url(url).get_me().await.unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    assert!(bot.get_me().await.is_err(), "pooled connection was closed too");

    // Dropping without `shutdown` stops the server as well.
    let dropped = FakeTelegram::start().await;
    let url = dropped.url();
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(Bot::new(TEST_TOKEN).set_api_url(url).get_me().await.is_err());
}
