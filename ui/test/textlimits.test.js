// Node tests for textlimits.js (run by `make test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CAPTION, MAX_TEXT, measure, textLimit } from '../js/textlimits.js';

test('a post with media is limited as a caption, a text post as a message', () => {
  assert.equal(textLimit({ media: [{ kind: 'photo' }] }), MAX_CAPTION);
  assert.equal(textLimit({ media: [] }), MAX_TEXT);
  assert.equal(textLimit(null), MAX_TEXT);
});

test('emoji outside the BMP count as two units, as Telegram counts them', () => {
  assert.deepEqual(measure('😀'.repeat(2048), MAX_TEXT), { length: 4096, limit: 4096, over: false });
  assert.equal(measure('😀'.repeat(2048) + 'x', MAX_TEXT).over, true);
  assert.equal(measure('ж'.repeat(1024), MAX_CAPTION).over, false);
  assert.equal(measure(undefined, MAX_CAPTION).length, 0);
});
