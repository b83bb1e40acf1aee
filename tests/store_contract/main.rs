//! The store contract suite: every `Store` method checked through the trait alone, so the same
//! tests run on every backend. Each area module holds generic `async fn(Arc<dyn Store>)` tests;
//! [`contract_suite!`] expands them into one `#[tokio::test]` per backend module below
//! (`postgres::decide::concurrent_decisions_decide_exactly_once`,
//! `sqlite::decide::concurrent_decisions_decide_exactly_once`, …).
//!
//! Rules: assert only through `Store` methods (no SQL, no backend handles); wait for time to
//! pass rather than editing rows (TTLs of 2 s, `harness::SHORT_SECS`); inject faults only
//! through the trait's inputs. One exception: the statistics fixtures need posts on given
//! days, so their times are set after the store wrote them ([`backdate`]; read back only
//! through the trait).
//!
//! Adding a test: write `pub async fn name(store: Arc<dyn Store>)` in its area module and add
//! `name` to that area's list in [`contract_suite!`] (a test left out of the list is dead code,
//! which the compiler reports). Adding an area: a module here plus one `contract_area!` line.
//!
//! Adding a backend: a file like `pg_backend.rs` or `sqlite_backend.rs` implementing
//! [`harness::Backend`] — `fresh()` returns an empty, migrated store whose announcements are
//! due at once (album debounce 0), `dispose()` closes it and deletes what it made — and a
//! module at the end of this file that calls `contract_suite!` with it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod backdate;
mod fixtures;
mod harness;
mod pg_backend;
mod sqlite_backend;

mod authors;
mod bans;
mod cards;
mod changes;
mod claims;
mod decide;
mod edits;
mod errors;
mod flags;
mod flags_intake;
mod lifecycle;
mod log;
mod options;
mod order;
mod outbox;
mod reads;
mod recovery;
mod refusals;
mod schedule;
mod search;
mod stale;
mod stats;
mod submit;
mod thread;
mod undo;
mod values;
mod versions;

/// One `#[tokio::test]` per contract test, in a module per area, run on `$backend`.
macro_rules! contract_area {
    ($backend:ty, $area:ident { $($test:ident),* $(,)? }) => {
        mod $area {
            $(
                // Multi-threaded, so that concurrent calls in a test really overlap.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::harness::run::<$backend, _, _>(crate::$area::$test).await;
                }
            )*
        }
    };
}

/// [`contract_area!`] for tests that backdate their fixture (`async fn(store, backdater)`).
macro_rules! backdated_area {
    ($backend:ty, $area:ident { $($test:ident),* $(,)? }) => {
        mod $area {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    $crate::harness::run_backdated::<$backend, _, _>(crate::$area::$test).await;
                }
            )*
        }
    };
}

/// The whole contract, run on `$backend` (a type implementing [`harness::Backend`]).
macro_rules! contract_suite {
    ($backend:ty) => {
        contract_area!(
            $backend,
            authors {
                ping_answers,
                upsert_author_creates_then_refreshes_the_profile,
                authors_reads_several_and_leaves_unknown_ids_out,
                author_counts_follow_the_decisions,
                locale_override_is_set_and_cleared,
            }
        );
        contract_area!(
            $backend,
            submit {
                a_text_submission_is_created_pending,
                media_are_stored_in_order,
                a_later_album_part_joins_its_post,
                a_redelivered_update_is_a_duplicate_and_changes_nothing,
                a_redelivered_album_part_is_a_duplicate,
                submissions_arriving_together_each_get_their_own_post,
                album_parts_arriving_together_make_one_post,
                a_submission_the_store_cannot_take_leaves_nothing_behind,
            }
        );
        contract_area!(
            $backend,
            refusals {
                a_banned_author_is_refused_and_nothing_is_stored,
                a_rate_limited_author_is_refused,
                the_ban_is_named_before_other_refusals,
                the_pending_cap_refuses_with_the_count,
                a_redelivery_at_the_cap_is_a_duplicate_not_refused,
                the_cap_counts_only_pending_posts,
                album_parts_are_not_checked_again,
                the_cap_holds_for_submissions_arriving_together,
                the_cap_holds_for_albums_and_texts_arriving_together,
            }
        );
        contract_area!(
            $backend,
            edits {
                author_edit_updates_a_pending_post,
                author_edit_of_an_album_part_edits_its_post,
                author_edit_after_a_decision_is_too_late,
                author_edit_of_an_unknown_message_is_unknown,
                an_edit_racing_a_decision_lands_before_it_or_is_too_late,
            }
        );
        contract_area!($backend, errors { a_failed_call_is_logged_once_with_its_ids });
        contract_area!(
            $backend,
            flags {
                flags_are_stored_with_the_post_and_filtered_by_kind,
                near_duplicates_are_found_through_their_bands,
                new_authors_and_earlier_rejections_are_flagged,
                a_failed_computation_stores_the_post_as_not_checked,
                a_card_already_out_is_refreshed_with_its_flags,
                flag_writes_arriving_together_are_each_stored_and_answered,
            }
        );
        contract_area!(
            $backend,
            flags_intake {
                intake_stores_the_flags_with_the_post_and_the_lookup_its_bands,
                submissions_arriving_together_each_get_their_authors_history,
                earlier_candidates_are_only_posts_stored_before,
                duplicates_found_are_added_to_the_stored_flags,
                a_late_lookup_of_an_edited_post_is_dropped,
                duplicate_rechecks_are_the_recent_pending_posts_without_a_duplicate,
            }
        );
        contract_area!($backend, values { big_ids_and_sizes_round_trip, texts_and_entities_round_trip_exactly });
        contract_area!(
            $backend,
            lifecycle {
                migrating_again_changes_nothing,
                the_poll_lock_is_taken_and_given_back,
                a_closed_store_is_unavailable,
            }
        );
        contract_area!(
            $backend,
            changes {
                every_change_is_announced_in_order,
                a_write_that_changes_nothing_is_silent,
                every_subscriber_hears_every_change,
                changes_written_together_are_each_announced_once,
            }
        );
        contract_area!($backend, order { the_queue_lists_posts_in_arrival_order });
        contract_area!(
            $backend,
            undo {
                an_undo_inside_the_window_withdraws_the_notice_unsent,
                an_undo_after_the_author_was_told_queues_back_in_review,
                a_notice_being_sent_counts_as_told,
                the_ban_given_with_the_rejection_is_lifted_an_older_one_is_not,
                only_a_rejected_post_is_undone,
            }
        );
        contract_area!(
            $backend,
            options {
                the_author_flips_the_choice_with_a_log_row_and_an_event,
                only_the_author_or_a_moderator_may_change_it,
                an_approved_post_may_change_until_its_publication_is_sent,
                a_rejected_post_is_too_late,
            }
        );
        contract_area!(
            $backend,
            schedule {
                an_approval_with_a_time_waits_for_it_and_tells_its_author,
                two_approved_posts_never_hold_one_time,
                a_move_applies_once_and_the_slower_console_is_told,
                a_move_onto_a_taken_slot_is_refused_or_swaps,
                park_publish_now_and_back_to_the_queue,
                the_posts_that_fell_due_are_queued_once_and_only_between_publications,
                a_queued_publication_is_withdrawn_when_its_post_moves,
                the_top_of_the_queue_moves_the_others_one_slot_later,
            }
        );
        contract_area!(
            $backend,
            stale {
                the_oldest_pending_arrival_follows_the_decisions,
                pending_before_counts_only_pending_posts_older_than_the_time,
                the_systems_expiry_is_a_rejection_logged_by_the_system,
                the_bot_state_is_set_replaced_read_and_removed,
            }
        );
        contract_area!(
            $backend,
            reads {
                post_of_a_missing_id_is_none,
                posts_reads_several_like_post_and_leaves_missing_out,
                recent_posts_of_is_newest_first_limited_and_per_author,
                pending_count_of_counts_only_pending_posts,
                set_media_hash_records_the_hash_and_flags_a_repost,
                stats_counts_posts_by_status,
                stats_agree_with_the_list_totals,
                set_media_hash_never_flags_a_post_as_its_own_repost,
            }
        );
        contract_area!(
            $backend,
            search {
                list_posts_filters_by_status_media_kind_author_and_edited,
                media_kind_pages_are_exact_for_common_and_rare_kinds,
                list_posts_search_is_case_insensitive_including_cyrillic,
                list_posts_search_takes_wildcards_literally,
                list_posts_search_follows_every_change_of_the_text,
                list_posts_pages_with_the_total_of_the_filter,
                list_posts_limit_defaults_to_fifty_and_stops_at_two_hundred,
                list_posts_summaries_carry_what_a_row_shows,
            }
        );
        contract_area!(
            $backend,
            decide {
                approve_decides_and_queues_the_publication,
                edited_approve_replaces_the_text_and_logs_both_versions,
                reject_keeps_the_reason_and_tells_the_author,
                reject_and_ban_bans_the_author,
                retry_publish_after_a_failed_publication,
                a_decided_post_is_already_decided,
                another_moderators_claim_blocks_the_decision,
                decide_of_a_missing_post_is_not_found,
                concurrent_decisions_decide_exactly_once,
                concurrent_retries_of_a_failed_publication_retry_once,
            }
        );
        contract_area!(
            $backend,
            versions {
                an_approval_of_a_version_the_author_changed_since_is_refused,
                an_edit_of_the_links_alone_changes_the_version,
                bulk_approval_takes_only_posts_never_edited,
                the_version_a_decision_checks_is_the_one_reads_give,
            }
        );
        contract_area!(
            $backend,
            claims {
                a_claim_holds_other_moderators_off,
                a_claim_expires,
                an_expired_claim_does_not_block_a_decision,
                release_frees_only_the_holders_claim,
                claim_of_a_decided_post_is_not_pending,
                claim_of_a_missing_post_is_not_found,
                concurrent_claims_are_won_by_one_moderator,
                a_claim_racing_a_decision_lets_only_one_through,
            }
        );
        contract_area!(
            $backend,
            bans {
                ban_is_recorded_and_logged,
                ban_is_idempotent,
                unban_lifts_the_ban_once,
                import_bans_counts_exactly_and_skips_repeats,
                import_bans_of_nothing_is_zero,
                import_bans_keeps_every_reason_exactly,
                moderator_names_are_recorded_and_refreshed,
                bans_and_unbans_arriving_together_apply_once,
                imports_arriving_together_count_exactly,
            }
        );
        contract_area!($backend, log { moderation_log_is_newest_first, moderation_log_per_post_and_limited });
        contract_area!(
            $backend,
            outbox {
                a_leased_job_is_not_leased_again_until_its_lease_passes,
                lease_honours_its_limit_and_hands_each_job_once,
                concurrent_leases_get_disjoint_jobs,
                complete_announced_stores_the_card_message_id,
                complete_published_publishes_the_post,
                complete_publish_failed_keeps_the_error,
                complete_done_finishes_the_job,
                retry_outbox_reschedules_and_counts_attempts,
                outbox_backlog_counts_jobs_not_done,
                completing_a_failure_again_changes_nothing,
                a_late_failure_does_not_unpublish,
                completions_arriving_together_each_keep_their_card,
                a_publication_completed_by_two_workers_at_once_applies_once,
            }
        );
        contract_area!(
            $backend,
            cards {
                a_refused_card_is_kept_on_the_post_and_finishes_its_job,
                retry_card_queues_one_announcement_and_a_card_clears_the_error,
                progress_of_a_job_comes_back_with_it,
                a_failure_after_the_publication_finishes_its_job,
            }
        );
        contract_area!(
            $backend,
            recovery {
                receipts_recorded_in_one_call_leave_the_others_listed,
                unreceipted_skips_decided_posts_and_albums_not_yet_announced,
                a_card_sent_again_after_a_send_that_never_ended_is_flagged,
                send_intents_begun_together_are_each_answered_and_flagged_on_their_own,
                only_a_failure_that_may_have_delivered_keeps_the_send_intent,
                reclaim_hands_back_leased_jobs_and_leaves_scheduled_retries,
            }
        );
        // Conversation with the author (issue #17 part 1).
        contract_area!(
            $backend,
            thread {
                a_request_for_changes_is_its_own_status_and_queues_the_message,
                changes_are_asked_only_of_a_post_waiting_for_a_decision,
                the_thread_keeps_both_sides_in_order_with_their_delivery,
                a_revision_replaces_the_content_and_its_version,
                the_author_withdraws_a_post_waiting_for_a_decision,
                unanswered_requests_expire_and_answered_ones_do_not,
                a_banned_authors_message_is_not_attached,
                a_message_finds_its_post_by_reply_or_by_the_open_request,
                an_edit_of_a_post_asked_for_changes_is_its_new_version,
            }
        );
        backdated_area!(
            $backend,
            stats {
                every_day_of_an_empty_store_is_zero,
                submissions_by_outcome_per_local_day,
                approval_and_waiting_times_per_day_of_the_decision,
                moderators_media_hours_and_authors,
                the_repeated_hour_of_an_autumn_night_counts_once_per_post,
                the_p90_is_the_nearest_rank_for_any_count,
                system_reasons_and_unlisted_deciders_are_charted,
                the_media_mix_follows_album_parts_and_revisions,
            }
        );
    };
}

/// The contract on `PostgreSQL`: a fresh database per test (see [`pg_backend::Postgres`]).
mod postgres {
    contract_suite!(crate::pg_backend::Postgres);
}

/// The contract on SQLite: a fresh database file per test (see [`sqlite_backend::Sqlite`]).
mod sqlite {
    contract_suite!(crate::sqlite_backend::Sqlite);
}
