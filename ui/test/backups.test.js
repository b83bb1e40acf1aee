// Node tests for backups.js (run by `make test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backupSummary, backupWarning, size } from '../js/backups.js';

const t = (key, args) => (args ? `${key}|${Object.keys(args).sort().join(',')}` : key);
const last = { at: '2026-03-01T03:00:00Z', path: '/b/postgate-20260301-030000.db', bytes: 1234567 };

test('sizes read like a file manager', () => {
  assert.equal(size(0), '0 B');
  assert.equal(size(999), '999 B');
  assert.equal(size(1234567), '1.2 MB');
  assert.equal(size(135671808), '136 MB');
});

test('the header warns only when asked to, naming why', () => {
  assert.equal(backupWarning(null, t), null);
  assert.equal(backupWarning({ scheduled: true, warn: false, last }, t), null);
  assert.equal(backupWarning({ scheduled: true, warn: true, last, failed: { at: last.at, error: 'x' } }, t), 'ui-backup-failed|time');
  assert.equal(backupWarning({ scheduled: true, warn: true, last }, t), 'ui-backup-stale|time');
  assert.equal(backupWarning({ scheduled: true, warn: true }, t), 'ui-backup-none');
});

test('settings show the last backup with its size and the next one', () => {
  assert.equal(backupSummary({ scheduled: false }, t), 'ui-backup-off');
  assert.equal(backupSummary({ scheduled: true, last, next: '2026-03-02T03:00:00Z' }, t), 'ui-backup-last|size,time · ui-backup-next|time');
});
