// Node tests for the console's flags (flags.js): the bits match the core's FlagKind, a mask gives
// its kinds in badge order, the filter offers "flagged" (every bit) and each kind, and the detail's
// texts name what was found.
import { test } from 'node:test';
import assert from 'node:assert/strict';

globalThis.window = { __TAURI__: { core: { invoke: async () => null }, event: {} } };
const { FLAG_BITS, ANY_FLAG, kindsOf, filterOptions, flagText, kindsOfFlags, flagKey } = await import('../js/flags.js');

test('every kind has its own bit, and "flagged" is all of them', () => {
  const bits = Object.values(FLAG_BITS);
  assert.equal(new Set(bits).size, 9);
  for (const b of bits) assert.equal(b & (b - 1), 0, `${b} is one bit`);
  assert.equal(ANY_FLAG, 511);
});

test('a mask gives its kinds in badge order', () => {
  assert.deepEqual(kindsOf(FLAG_BITS.links | FLAG_BITS.duplicate | FLAG_BITS.new_author), ['duplicate', 'links', 'new_author']);
  assert.deepEqual(kindsOf(0), []);
  assert.deepEqual(kindsOf(undefined), []);
});

test('the filter offers any, flagged, then each kind by its bit', () => {
  const values = filterOptions().map(([v]) => v);
  assert.deepEqual(values.slice(0, 2), ['', '511']);
  assert.equal(values.length, 11);
  assert.ok(values.includes(String(FLAG_BITS.stop_words)));
  assert.equal(flagKey('new_author'), 'ui-flag-new-author');
});

test('stored flags give their kinds and texts', () => {
  const flags = { checked: true, stop_words: ['казино*'], links: 2, domains: ['bit.ly', 't.me'], mentions: [], phones: [], duplicate: { post_id: 4, percent: 87 } };
  assert.deepEqual(kindsOfFlags(flags), ['duplicate', 'stop_words', 'links']);
  assert.ok(flagText('links', flags).endsWith('(2): bit.ly, t.me'));
  assert.ok(flagText('stop_words', flags).endsWith(': казино*'));
  assert.deepEqual(kindsOfFlags({ checked: false }), ['not_checked']);
  assert.deepEqual(kindsOfFlags(null), []);
});
