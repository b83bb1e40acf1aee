// Node tests for approving from the console (actions.js, outcome.js): an approval names the
// version of the open post, and "changed" (the author edited it since) is a warning that
// reloads the post instead of a success.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const calls = [];
let answer = { outcome: 'decided' };
globalThis.window = {
  __TAURI__: { core: { invoke: async (command, args) => { calls.push([command, args]); return answer; } }, event: {} },
};
const { createActions } = await import('../js/actions.js');
const { describeDecide } = await import('../js/outcome.js');

const open = { post: { id: 5, status: 'pending', body: 'read me' }, version: '0123456789abcdef', author: null, log: [] };

function actions() {
  const seen = { decided: [], stale: [] };
  const a = createActions({
    current: () => open,
    setBusy: () => {},
    onDecided: (id) => seen.decided.push(id),
    onStale: (id) => seen.stale.push(id),
    onChanged: () => {},
  });
  return { a, seen };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

test('approve sends the version of the open post', async () => {
  calls.length = 0;
  answer = { outcome: 'decided' };
  const { a, seen } = actions();
  a.approve();
  await settle();
  assert.deepEqual(calls, [['post_approve', { id: 5, version: '0123456789abcdef' }]]);
  assert.deepEqual(seen.decided, [5]);
});

test('a changed post is not approved: a warning, and the post is read again', async () => {
  calls.length = 0;
  answer = { outcome: 'changed', version: 'fedcba9876543210' };
  const { a, seen } = actions();
  a.approve();
  await settle();
  assert.deepEqual(seen, { decided: [], stale: [5] });
  const d = describeDecide(answer, 5, 'ui-outcome-approved');
  assert.deepEqual(d, { ok: false, kind: 'warn', text: 'ui-outcome-changed' });
});
