// The oldest pending post's age in the header (issue #17 part 3): "2 d 4 h" / "2 д 4 ч",
// marked once it is past the reminder age. Pure functions; `t` is passed in (testable in node).

/**
 * The age from `since` (an RFC 3339 time) to `now` (ms) as text: "2 d 4 h", "3 h 5 min", "7 min";
 * `short`: the largest unit alone ("2 d", "3 h", "7 min"), for a narrow header.
 */
export function ageText(since, now, t, short = false) {
  const start = Date.parse(since);
  if (!Number.isFinite(start)) return null;
  const minutes = Math.max(0, Math.floor((now - start) / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return short ? t('ui-age-days-short', { days }) : t('ui-age-days', { days, hours });
  if (hours > 0) return short ? t('ui-age-hours-short', { hours }) : t('ui-age-hours', { hours, minutes: minutes % 60 });
  return t('ui-age-minutes', { minutes });
}

/** Whether a post waiting since `since` has waited longer than `hours` at `now` (ms). */
export function isStale(since, now, hours) {
  const start = Date.parse(since);
  if (!Number.isFinite(start) || !(Number(hours) > 0)) return false;
  return now - start > Number(hours) * 3600000;
}

/** The header's line for `stats` (queue_stats' answer) at `now`: `{ age, short, text, stale, title }`, or null with nothing pending. */
export function oldestLine(stats, now, t) {
  if (!stats || !stats.oldest_pending_at) return null;
  const age = ageText(stats.oldest_pending_at, now, t);
  if (age === null) return null;
  const stale = isStale(stats.oldest_pending_at, now, stats.stale_after_hours);
  return {
    age,
    short: ageText(stats.oldest_pending_at, now, t, true),
    text: t('ui-oldest-pending', { age }),
    stale,
    title: stale ? t('ui-oldest-pending-stale', { hours: stats.stale_after_hours }) : '',
  };
}
