// Statistics formatting shared by the charts and the tables (no uPlot here, so the tables and the view load
// without it): durations, days, percentages in the UI's language, and theme colours for the charts.
import { locale } from './i18n.js';

/** A theme colour by CSS variable name (read when a chart is drawn: charts are redrawn on theme change). */
export function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Seconds as "12 min", "3.5 h", "2 d" in the UI's language; `—` for none. */
export function fmtDuration(secs) {
  if (secs === null || secs === undefined) return '—';
  const unit = (n, u, digits) => new Intl.NumberFormat(locale(), {
    style: 'unit', unit: u, unitDisplay: 'short', maximumFractionDigits: digits,
  }).format(n);
  if (secs < 60) return unit(secs, 'second', 0);
  if (secs < 3600) return unit(secs / 60, 'minute', 0);
  if (secs < 86400) return unit(secs / 3600, 'hour', 1);
  return unit(secs / 86400, 'day', 1);
}

export function fmtDay(day) {
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
}

export function fmtPercent(part, whole) {
  if (!whole) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(part / whole);
}

