// Node tests for the conversation with the author (thread.js): which posts can be asked for
// changes, and each thread message as the words the console shows — who wrote (never an
// author's account for a moderator's message), what it is, whether it reached the author.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const texts = { 'ui-thread-undelivered': 'not delivered: { $error }', 'ui-thread-author': 'Author' };
globalThis.window = {
  __TAURI__: { core: { invoke: async () => ({ locale: 'en', messages: texts, reject_templates: [] }) }, event: {} },
};
globalThis.document = { documentElement: {} };
const { loadTexts } = await import('../js/i18n.js');
await loadTexts('en');
const { canAskChanges, threadLine, logActor } = await import('../js/thread.js');

test('changes are asked only of posts waiting for a decision', () => {
  assert.equal(canAskChanges('pending'), true);
  assert.equal(canAskChanges('changes_requested'), true);
  for (const s of ['approved', 'published', 'publish_failed', 'rejected']) assert.equal(canAskChanges(s), false, s);
});

test('a thread line says who wrote, what and whether it was delivered, as plain text', () => {
  const request = {
    direction: 'to_author', kind: 'request', moderator_id: 77, moderator_name: 'Anna', delivery: 'undelivered',
    error: 'Forbidden: bot was blocked by the user', body: '<b>source?</b>', created_at: '2026-12-07T10:00:00Z',
  };
  const line = threadLine(request);
  assert.equal(line.who, 'Anna');
  assert.equal(line.body, '<b>source?</b>', 'kept as text, never markup');
  assert.match(line.delivery, /blocked by the user/);
  const answer = { ...request, direction: 'from_author', kind: 'answer', moderator_id: null, moderator_name: null, delivery: 'received' };
  assert.equal(threadLine(answer).who, 'Author');
  assert.equal(threadLine(answer).kind, 'answer');
});

test("the author's own actions in the log are the author's", () => {
  assert.equal(logActor({ action: 'withdraw', moderator_id: null }), 'Author');
  assert.equal(logActor({ action: 'revised', moderator_id: null }), 'Author');
  assert.notEqual(logActor({ action: 'request_changes', moderator_id: 77 }), 'Author');
});
