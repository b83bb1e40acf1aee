//! The fake Bot API refuses what Telegram refuses, with Telegram's texts, so teloxide maps each
//! refusal to the `ApiError` it would in production (checked here with a real teloxide `Bot`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use support::fake_telegram::{FakeTelegram, SendLimits, TEST_TOKEN, strict, updates};
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntity, MessageEntityKind, MessageId,
};
use teloxide::{ApiError, RequestError};

const CHAT: i64 = 42;
const GROUP: i64 = -100_500;

async fn started() -> (FakeTelegram, Bot) {
    let fake = FakeTelegram::start().await;
    fake.add_chats(&[CHAT, GROUP]);
    let bot = fake.bot();
    (fake, bot)
}

fn api_error(result: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match result {
        Err(RequestError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let fake = FakeTelegram::start().await;
    let bot = Bot::new("999:WRONG").set_api_url(fake.url());
    assert!(matches!(api_error(bot.get_me().await), ApiError::InvalidToken));
    let response = reqwest::Client::new().post(format!("{}bot999:WRONG/getMe", fake.base_url())).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::UNAUTHORIZED);
    fake.set_token("555:OTHER");
    assert!(fake.bot().get_me().await.is_err(), "{TEST_TOKEN} is refused once another token is set");
    assert!(Bot::new("555:OTHER").set_api_url(fake.url()).get_me().await.is_ok());
}

#[tokio::test]
async fn unknown_chats_files_and_messages_are_refused() {
    let (fake, bot) = started().await;
    assert!(matches!(api_error(bot.send_message(ChatId(7), "hi").await), ApiError::ChatNotFound));
    // A user who wrote to the bot is a known private chat.
    fake.push_update(updates::text_message(7, 7, 1, "hello", None));
    bot.send_message(ChatId(7), "hi").await.unwrap();

    let photo = bot.send_photo(ChatId(CHAT), InputFile::file_id("never-seen".into())).await;
    assert!(matches!(api_error(photo), ApiError::WrongFileIdOrUrl));
    fake.add_file("known");
    bot.send_photo(ChatId(CHAT), InputFile::file_id("known".into())).await.unwrap();
    assert!(matches!(api_error(bot.get_file("never-seen".into()).await), ApiError::WrongFileId));

    let edit = bot.edit_message_text(ChatId(CHAT), MessageId(4242), "new").await;
    assert!(matches!(api_error(edit), ApiError::MessageToEditNotFound));
    let delete = bot.delete_message(ChatId(CHAT), MessageId(4242)).await;
    assert!(matches!(api_error(delete), ApiError::MessageToDeleteNotFound));
}

#[tokio::test]
async fn texts_and_captions_are_measured_in_utf16_units() {
    let (fake, bot) = started().await;
    // 2 048 emoji are 2 048 chars but 4 096 UTF-16 units: exactly at the limit.
    bot.send_message(ChatId(CHAT), "😀".repeat(2048)).await.unwrap();
    let over = bot.send_message(ChatId(CHAT), format!("{}x", "😀".repeat(2048))).await;
    assert!(matches!(api_error(over), ApiError::MessageIsTooLong));
    assert!(matches!(api_error(bot.send_message(ChatId(CHAT), " ").await), ApiError::MessageTextIsEmpty));

    fake.add_file("p");
    let caption = bot.send_photo(ChatId(CHAT), InputFile::file_id("p".into())).caption("😀".repeat(513)).await;
    let error = api_error(caption);
    assert!(matches!(&error, ApiError::Unknown(text) if text == strict::CAPTION_TOO_LONG), "{error:?}");
    bot.send_photo(ChatId(CHAT), InputFile::file_id("p".into())).caption("😀".repeat(512)).await.unwrap();
}

#[tokio::test]
async fn entities_must_lie_inside_their_text() {
    let (_fake, bot) = started().await;
    let bold = |offset, length| MessageEntity { kind: MessageEntityKind::Bold, offset, length };
    // "😀ab" is 4 UTF-16 units: an entity over units 2..4 is inside, 3..5 is not.
    bot.send_message(ChatId(CHAT), "😀ab").entities(vec![bold(2, 2)]).await.unwrap();
    let outside = bot.send_message(ChatId(CHAT), "😀ab").entities(vec![bold(3, 2)]).await;
    assert!(matches!(api_error(outside), ApiError::CantParseEntities(_)));
}

#[tokio::test]
async fn callback_data_over_64_bytes_is_refused() {
    let (_fake, bot) = started().await;
    let keyboard = |data: String| InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Go", data)]]);
    bot.send_message(ChatId(CHAT), "x").reply_markup(keyboard("d".repeat(64))).await.unwrap();
    let long = bot.send_message(ChatId(CHAT), "x").reply_markup(keyboard("ж".repeat(33))).await;
    assert!(matches!(api_error(long), ApiError::ButtonDataInvalid));
}

#[tokio::test]
async fn an_edit_that_changes_nothing_is_not_modified() {
    let (_fake, bot) = started().await;
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Approve", "a:1")]]);
    let sent = bot.send_message(ChatId(GROUP), "card").reply_markup(keyboard.clone()).await.unwrap();
    let same = bot.edit_message_text(ChatId(GROUP), sent.id, "card").reply_markup(keyboard.clone()).await;
    assert!(matches!(api_error(same), ApiError::MessageNotModified));
    // Dropping the keyboard is a change; so is a new text.
    bot.edit_message_text(ChatId(GROUP), sent.id, "card").await.unwrap();
    bot.edit_message_text(ChatId(GROUP), sent.id, "card, decided").await.unwrap();
    let markup = bot.edit_message_reply_markup(ChatId(GROUP), sent.id).await;
    assert!(matches!(api_error(markup), ApiError::MessageNotModified), "no keyboard to remove");
}

#[tokio::test]
async fn a_callback_query_is_answered_once() {
    let (fake, bot) = started().await;
    fake.push_update(updates::callback_query(7, "a:1", GROUP, 1000));
    let id = fake.pending_updates();
    assert_eq!(id, 1);
    let updates = bot.get_updates().await.unwrap();
    let teloxide::types::UpdateKind::CallbackQuery(query) = &updates[0].kind else { panic!("a callback query") };
    bot.answer_callback_query(query.id.clone()).await.unwrap();
    assert!(bot.answer_callback_query(query.id.clone()).await.is_err(), "a second answer is refused");
    let unknown = bot.answer_callback_query("never-asked".to_owned().into()).await;
    assert!(matches!(api_error(unknown), ApiError::InvalidQueryId));
}

#[tokio::test]
async fn the_older_of_two_pollers_gets_409() {
    let (fake, bot) = started().await;
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(1).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = bot.get_updates().timeout(1).await;
    assert!(second.is_ok(), "the newer poll is served: {second:?}");
    let first = first.await.unwrap();
    assert!(matches!(first, Err(RequestError::Api(ApiError::TerminatedByOtherGetUpdates))), "{first:?}");
    drop(fake);
}

#[tokio::test]
async fn edits_and_callback_answers_count_against_the_limits() {
    let (fake, bot) = started().await;
    fake.enforce_limits(Some(SendLimits { per_sec: 30, private_chat_per_sec: 1, group_per_min: 3 }));
    let card = bot.send_message(ChatId(GROUP), "card").await.unwrap();
    bot.edit_message_text(ChatId(GROUP), card.id, "card 2").await.unwrap();
    bot.edit_message_text(ChatId(GROUP), card.id, "card 3").await.unwrap();
    let fourth = bot.edit_message_text(ChatId(GROUP), card.id, "card 4").await;
    assert!(matches!(fourth, Err(RequestError::RetryAfter(_))), "the group's 3 a minute are used: {fourth:?}");
    assert_eq!(fake.limit_stats().accepted, 3);
    fake.push_update(updates::callback_query(7, "a:1", GROUP, card.id.0));
    let updates = bot.get_updates().await.unwrap();
    let teloxide::types::UpdateKind::CallbackQuery(query) = &updates[0].kind else { panic!("a callback query") };
    bot.answer_callback_query(query.id.clone()).await.unwrap();
    assert_eq!(fake.limit_stats().accepted, 4, "a callback answer counts overall, not in the group");
    assert_eq!(strict::MAX_TEXT, 4096);
}
