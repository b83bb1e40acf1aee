-- The export fixture, the same statements on both backends (times in the stored SQLite formats,
-- which PostgreSQL reads as timestamptz). Posts 4 and 5 and log row 5 lie outside the exported
-- range (2026-03-01..2026-03-02), each a microsecond or a millisecond past an edge.
INSERT INTO authors (id, username, first_name, last_name) VALUES
    (1001, 'anna', 'Анна', 'Иванова'),
    (1002, NULL, 'Bob, "the builder"', NULL);
INSERT INTO moderators (user_id, display_name, username, source) VALUES (7, 'Мария', 'maria', 'console');
INSERT INTO posts (id, author_id, source_chat_id, source_message_id, body, status, reject_reason, decided_by,
                   decided_at, published_at, channel_message_id, created_at, updated_at, arrived_at) VALUES
    (1, 1001, 1001, 11, 'Привет, мир', 'published', NULL, 7, '2026-03-01T10:05:00.000Z',
     '2026-03-01T10:06:00.000Z', 501, '2026-03-01T10:00:00.250Z', '2026-03-01T10:06:00.000Z',
     '2026-03-01T10:00:00.250000Z'),
    (2, 1002, 1002, 21, 'line one
line "two"', 'rejected', 'spam', 7, '2026-03-01T12:00:00.000Z', NULL, NULL, '2026-03-01T11:59:59.999Z',
     '2026-03-01T12:00:00.000Z', '2026-03-01T11:59:59.999999Z'),
    (3, 1001, 1001, 31, '=1+1', 'pending', NULL, NULL, NULL, NULL, NULL, '2026-03-02T23:59:59.000Z',
     '2026-03-02T23:59:59.000Z', '2026-03-02T23:59:59.000000Z'),
    (4, 1001, 1001, 41, 'before', 'pending', NULL, NULL, NULL, NULL, NULL, '2026-02-28T23:59:59.999Z',
     '2026-02-28T23:59:59.999Z', '2026-02-28T23:59:59.999999Z'),
    (5, 1002, 1002, 51, 'after', 'pending', NULL, NULL, NULL, NULL, NULL, '2026-03-03T00:00:00.000Z',
     '2026-03-03T00:00:00.000Z', '2026-03-03T00:00:00.000000Z');
INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id) VALUES
    (3, 1, 'video', 'f-video', 'u-video', 32),
    (3, 0, 'photo', 'f-photo', 'u-photo', 31);
INSERT INTO moderation_log (id, post_id, target_user_id, moderator_id, action, source, reason, created_at) VALUES
    (1, 1, NULL, 7, 'approve', 'console', NULL, '2026-03-01T10:05:00.000Z'),
    (2, 2, NULL, 7, 'reject', 'telegram', 'spam, again', '2026-03-01T12:00:00.000Z'),
    (3, NULL, 1002, 99, 'ban', 'telegram', '@everyone', '2026-03-02T08:00:00.500Z'),
    (4, 1, NULL, NULL, 'published', 'system', NULL, '2026-03-01T10:06:00.000Z'),
    (5, 4, NULL, 7, 'claim', 'console', NULL, '2026-02-28T23:59:59.999Z');
