// The scheduled backups as text: the header's warning and the Settings screen's status line,
// from `backup_status` (see docs/console-commands.md). Pure functions; `translate(key, args)`
// is i18n's `t`.

/** `12.3 MB`-style size of a byte count (decimal units, one decimal below 100). */
export function size(bytes) {
  const n = Number(bytes) || 0;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${i === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/** `YYYY-MM-DD HH:MM` of an RFC 3339 time, in the local time zone. */
export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** The header's warning, or null when there is none to give. */
export function backupWarning(status, translate) {
  if (!status || !status.warn) return null;
  if (status.failed) return translate('ui-backup-failed', { time: when(status.failed.at) });
  if (status.last) return translate('ui-backup-stale', { time: when(status.last.at) });
  return translate('ui-backup-none');
}

/** The Settings screen's line: off, or the last backup (time, size) and the next one. */
export function backupSummary(status, translate) {
  if (!status || !status.scheduled) return translate('ui-backup-off');
  const parts = [];
  parts.push(status.last
    ? translate('ui-backup-last', { time: when(status.last.at), size: size(status.last.bytes) })
    : translate('ui-backup-none'));
  if (status.failed) parts.push(translate('ui-backup-failed', { time: when(status.failed.at) }));
  if (status.next) parts.push(translate('ui-backup-next', { time: when(status.next) }));
  return parts.join(' · ');
}
