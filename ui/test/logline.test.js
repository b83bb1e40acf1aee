// Node tests for logline.js (run by `make test`): the bot panel's log lines in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clockTime, logEntries, parseLine, passes } from '../js/logline.js';

// As src/telemetry.rs writes them: flattened event fields, the current span and the span list.
const NORMAL = JSON.stringify({
  timestamp: '2026-12-06T17:04:05.123Z', level: 'INFO', message: 'bot started', target: 'postgate::runtime',
});
const WITH_SPANS = JSON.stringify({
  timestamp: '2026-12-06T17:04:06.000Z', level: 'WARN', message: 'card refused', error: 'Bad Request: chat not found',
  target: 'postgate::publisher',
  span: { name: 'submit', post_id: 42, user_id: 777000111 },
  spans: [{ name: 'handle', update_id: 9 }, { name: 'decide', moderator_id: 5005 }, { name: 'submit', post_id: 42, user_id: 777000111 }],
});

test('a normal line reads as its time, level and message', () => {
  const e = parseLine(NORMAL);
  assert.equal(e.parsed, true);
  assert.equal(e.level, 'info');
  assert.equal(e.message, 'bot started');
  assert.equal(e.time, '2026-12-06T17:04:05.123Z');
  assert.equal(e.target, 'postgate::runtime');
  assert.deepEqual([e.postId, e.userId, e.moderatorId], [null, null, null]);
  assert.deepEqual(e.details, []);
  assert.equal(e.raw, NORMAL, 'the raw line stays one click away');
  assert.equal(clockTime(new Date(2026, 11, 6, 3, 4, 5).toISOString()), '03:04:05');
});

test('span fields name the post, the user and the moderator; other fields are details', () => {
  const e = parseLine(WITH_SPANS);
  assert.equal(e.level, 'warn');
  assert.equal(e.postId, '42');
  assert.equal(e.userId, '777000111');
  assert.equal(e.moderatorId, '5005', 'from an outer span');
  assert.deepEqual(e.details, [['error', 'Bad Request: chat not found']]);
});

test("the event's own field wins over a span's, and ids may come as strings", () => {
  const e = parseLine(JSON.stringify({ level: 'ERROR', message: 'x', post_id: '7', span: { post_id: 8 } }));
  assert.equal(e.postId, '7');
  assert.equal(e.time, null);
  const bad = parseLine(JSON.stringify({ level: 'INFO', message: 'x', post_id: 'seven', span: { post_id: null } }));
  assert.equal(bad.postId, null, 'not an id: no reference');
});

test('an unknown or malformed line is kept raw, never dropped', () => {
  const lines = ['thread main panicked at src/main.rs:1', '{"level":"INFO","message":', '[1,2]', '', 'null',
    JSON.stringify({ level: 'NOTICE', message: 'odd level' })];
  const entries = logEntries(lines, 'all');
  assert.equal(entries.length, lines.length);
  const panic = parseLine(lines[0]);
  assert.equal(panic.parsed, false);
  assert.equal(panic.level, 'unknown');
  assert.equal(panic.message, lines[0]);
  assert.equal(panic.raw, lines[0]);
  assert.equal(parseLine(lines[1]).parsed, false);
  assert.equal(parseLine(lines[2]).parsed, false);
  assert.equal(parseLine(undefined).raw, '');
  const odd = parseLine(lines[5]);
  assert.equal(odd.parsed, true);
  assert.equal(odd.level, 'unknown');
  assert.equal(odd.message, 'odd level');
});

test('the level filter shows that level and the more severe ones; unknown lines always', () => {
  const mk = (level) => JSON.stringify({ level, message: level });
  const lines = [mk('TRACE'), mk('DEBUG'), mk('INFO'), mk('WARN'), mk('ERROR'), 'not json'];
  const shown = (filter) => logEntries(lines, filter).map((e) => e.message);
  assert.deepEqual(shown('all'), ['not json', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'], 'newest first');
  assert.deepEqual(shown('info'), ['not json', 'ERROR', 'WARN', 'INFO']);
  assert.deepEqual(shown('warn'), ['not json', 'ERROR', 'WARN']);
  assert.deepEqual(shown('error'), ['not json', 'ERROR']);
  assert.equal(passes(parseLine(mk('DEBUG')), 'nonsense'), true, 'an unknown filter hides nothing');
  assert.deepEqual(logEntries(null, 'all'), []);
});
