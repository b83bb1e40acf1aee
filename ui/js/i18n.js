// UI texts from the Fluent files (via ui_texts), t(key, args), and locale-aware number/date formatting.
import { api } from './api.js';

const state = { locale: 'ru', messages: {}, templates: [] };
const listeners = new Set();

export const LOCALES = ['ru', 'en'];
const STORAGE_KEY = 'postgate.locale';

/** The locale the moderator chose last time, Russian by default. */
export function savedLocale() {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return LOCALES.includes(v) ? v : 'ru';
  } catch {
    return 'ru';
  }
}

/** Loads the texts of `locale` and tells every subscriber. */
export async function loadTexts(locale) {
  const res = await api.uiTexts(locale);
  state.locale = res && LOCALES.includes(res.locale) ? res.locale : locale;
  state.messages = (res && res.messages) || {};
  state.templates = (res && Array.isArray(res.reject_templates)) ? res.reject_templates : [];
  document.documentElement.lang = state.locale;
  try { localStorage.setItem(STORAGE_KEY, state.locale); } catch { /* private mode */ }
  for (const fn of listeners) fn(state.locale);
}

export function locale() {
  return state.locale;
}

/** Reject templates `[{ name, label }]` as the core lists them. */
export function rejectTemplates() {
  return state.templates;
}

/** Calls `fn(locale)` after every (re)load of texts. */
export function onLocaleChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const VAR = /\{\s*\$([a-z_]+)\s*\}/g;

/**
 * The text of `key` with `{ $name }` placeholders filled from `args`. A missing key shows the key
 * itself, so a gap is visible rather than blank.
 */
export function t(key, args) {
  const text = state.messages[key];
  if (typeof text !== 'string') return key;
  if (!args) return text;
  return text.replace(VAR, (whole, name) => (name in args ? String(args[name]) : whole));
}

/** Whether a key exists (for optional labels such as action names). */
export function has(key) {
  return typeof state.messages[key] === 'string';
}

/** `ui-<prefix>-<value>` when it exists, else the raw value. */
export function label(prefix, value) {
  const key = `ui-${prefix}-${String(value).replace(/_/g, '-')}`;
  return has(key) ? t(key) : String(value);
}

/** The label of a reject reason `{ kind, value }`. */
export function reasonLabel(reason) {
  if (!reason) return '';
  if (reason.kind === 'template') {
    const tpl = state.templates.find((x) => x.name === reason.value);
    return tpl ? tpl.label : label('reason', reason.value);
  }
  return String(reason.value || '');
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(state.locale).format(Number(n) || 0);
}

/** Absolute date and time, local time zone. */
export function fmtDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return new Intl.DateTimeFormat(state.locale, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** Time of day only (claim expiry and the like). */
export function fmtTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso || '');
  return new Intl.DateTimeFormat(state.locale, { timeStyle: 'short' }).format(d);
}

const UNITS = [
  ['year', 365 * 86400], ['month', 30 * 86400], ['week', 7 * 86400],
  ['day', 86400], ['hour', 3600], ['minute', 60],
];

/** "5 min ago" style, from Intl (plural rules included). */
export function fmtRelative(iso, now = Date.now()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const secs = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(secs);
  if (abs < 45) return t('ui-time-just-now');
  const rtf = new Intl.RelativeTimeFormat(state.locale, { numeric: 'auto', style: 'short' });
  for (const [unit, size] of UNITS) {
    if (abs >= size) return rtf.format(Math.round(secs / size), unit);
  }
  return rtf.format(Math.round(secs / 60), 'minute');
}

/** Bytes as B/KB/MB/GB with the locale's units. */
export function fmtSize(bytes) {
  if (bytes === null || bytes === undefined) return '';
  const n = Number(bytes);
  const units = ['ui-size-b', 'ui-size-kb', 'ui-size-mb', 'ui-size-gb'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i += 1; }
  const shown = new Intl.NumberFormat(state.locale, { maximumFractionDigits: i === 0 ? 0 : 1 }).format(value);
  return t(units[i], { count: shown });
}

/** Whether an RFC 3339 time is in the future. */
export function isFuture(iso, now = Date.now()) {
  if (!iso) return false;
  const d = new Date(iso).getTime();
  return !Number.isNaN(d) && d > now;
}
