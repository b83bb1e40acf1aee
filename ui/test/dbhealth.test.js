// Node tests for dbhealth.js (run by `make test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clock, dbHealthText } from '../js/dbhealth.js';

const t = (key, args) => `${key}|${JSON.stringify(args)}`;

test('a reachable or unknown database says nothing', () => {
  assert.equal(dbHealthText({ state: 'reachable' }, t), null);
  assert.equal(dbHealthText(null, t), null);
  assert.equal(dbHealthText('unreachable', t), null);
});

test('an unreachable one says since when, as HH:MM:SS local time', () => {
  const since = new Date(2026, 11, 2, 3, 4, 5).toISOString();
  assert.equal(clock(since), '03:04:05');
  assert.equal(dbHealthText({ state: 'unreachable', since, error: 'refused' }, t), 'ui-db-unreachable|{"time":"03:04:05"}');
  assert.equal(clock('garbage'), 'garbage');
});
