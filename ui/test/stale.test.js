// Node tests for stale.js: the oldest pending age in the header (run by `make test`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageText, isStale, oldestLine } from '../js/stale.js';

const EN = {
  'ui-age-days': '{ $days } d { $hours } h',
  'ui-age-hours': '{ $hours } h { $minutes } min',
  'ui-age-minutes': '{ $minutes } min',
  'ui-age-days-short': '{ $days } d',
  'ui-age-hours-short': '{ $hours } h',
  'ui-oldest-pending': 'oldest: { $age }',
  'ui-oldest-pending-stale': 'Waiting longer than { $hours } h',
};
const RU = {
  'ui-age-days': '{ $days } д { $hours } ч',
  'ui-age-hours': '{ $hours } ч { $minutes } мин',
  'ui-age-minutes': '{ $minutes } мин',
  'ui-age-days-short': '{ $days } д',
  'ui-age-hours-short': '{ $hours } ч',
  'ui-oldest-pending': 'старейшая: { $age }',
  'ui-oldest-pending-stale': 'Ждёт дольше { $hours } ч',
};
const tr = (messages) => (key, args) => messages[key].replace(/\{ \$(\w+) \}/g, (_, n) => String(args[n]));
const NOW = Date.parse('2026-12-07T12:00:00Z');
const ago = (minutes) => new Date(NOW - minutes * 60000).toISOString();

test('ages read as days and hours, hours and minutes, or minutes, in both languages', () => {
  assert.equal(ageText(ago(2 * 1440 + 4 * 60 + 59), NOW, tr(EN)), '2 d 4 h');
  assert.equal(ageText(ago(2 * 1440 + 4 * 60), NOW, tr(RU)), '2 д 4 ч');
  assert.equal(ageText(ago(3 * 60 + 5), NOW, tr(EN)), '3 h 5 min');
  assert.equal(ageText(ago(3 * 60 + 5), NOW, tr(RU)), '3 ч 5 мин');
  assert.equal(ageText(ago(7), NOW, tr(EN)), '7 min');
  assert.equal(ageText(ago(0), NOW, tr(RU)), '0 мин');
  assert.equal(ageText(new Date(NOW + 60000).toISOString(), NOW, tr(EN)), '0 min', 'a clock ahead is not negative');
  assert.equal(ageText('garbage', NOW, tr(EN)), null);
  assert.equal(ageText(ago(33 * 1440 + 21 * 60), NOW, tr(RU), true), '33 д', 'short: the largest unit');
  assert.equal(ageText(ago(3 * 60 + 5), NOW, tr(EN), true), '3 h');
  assert.equal(ageText(ago(7), NOW, tr(EN), true), '7 min');
});

test('past the reminder age it is stale; without one never', () => {
  assert.equal(isStale(ago(24 * 60 + 1), NOW, 24), true);
  assert.equal(isStale(ago(24 * 60 - 1), NOW, 24), false);
  assert.equal(isStale(ago(10 * 1440), NOW, null), false);
  assert.equal(isStale(ago(10 * 1440), NOW, 0), false);
});

test('the header line: nothing pending shows nothing, a stale one is marked with why', () => {
  assert.equal(oldestLine({ pending: 0, oldest_pending_at: null }, NOW, tr(EN)), null);
  assert.deepEqual(oldestLine({ oldest_pending_at: ago(90), stale_after_hours: 24 }, NOW, tr(EN)),
    { age: '1 h 30 min', short: '1 h', text: 'oldest: 1 h 30 min', stale: false, title: '' });
  assert.deepEqual(oldestLine({ oldest_pending_at: ago(3 * 1440), stale_after_hours: 24 }, NOW, tr(RU)),
    { age: '3 д 0 ч', short: '3 д', text: 'старейшая: 3 д 0 ч', stale: true, title: 'Ждёт дольше 24 ч' });
});
