// The header's database line: what `database_health` / `postgate://database` report, as text.

/** `HH:MM:SS` of an RFC 3339 time in the local time zone (24-hour, whatever the locale). */
export function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * The line to show for a `DbHealth` (`{ state: 'reachable' }` or `{ state: 'unreachable',
 * since, error }`), or null when there is nothing to say. `translate(key, args)` is i18n's `t`.
 */
export function dbHealthText(health, translate) {
  if (!health || health.state !== 'unreachable') return null;
  return translate('ui-db-unreachable', { time: clock(health.since) });
}
