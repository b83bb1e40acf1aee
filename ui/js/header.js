// The header: navigation, queue counts, the database line during an outage, the bot pill with
// Start/Stop, language switch and theme toggle.
import { h, replace } from './dom.js';
import { api } from './api.js';
import { t, label, locale, LOCALES, fmtNumber } from './i18n.js';
import { toastError } from './toast.js';
import { dbHealthText } from './dbhealth.js';
import { backupWarning } from './backups.js';
import { oldestLine } from './stale.js';

export const VIEWS = ['queue', 'history', 'calendar', 'audit', 'bot', 'settings', 'stats'];
const THEMES = ['auto', 'dark', 'light'];
const THEME_KEY = 'postgate.theme';
const THEME_GLYPH = { auto: '◐', dark: '☾', light: '☀' };

/** Shared bot state: the pill, the Bot view and the tray-driven events all read it. */
export function createBotState() {
  let state = null;
  let busy = false;
  const subs = new Set();
  const emit = () => subs.forEach((fn) => fn(state));
  return {
    get: () => state,
    busy: () => busy,
    set(next) { if (next && typeof next === 'object') { state = next; emit(); } },
    label: () => (state ? label('bot', state.state) : t('ui-bot-unknown')),
    subscribe(fn) { subs.add(fn); return () => subs.delete(fn); },
    /** Start when stopped, stop when running; resolves to the new state. */
    async toggle() {
      const running = state && (state.state === 'running' || state.state === 'starting');
      busy = true;
      emit();
      try {
        const next = running ? await api.botStop() : await api.botStart();
        state = next || state;
        return next;
      } finally {
        busy = false;
        emit();
      }
    },
    async refresh() {
      try { const st = await api.botStatus(); this.set(st.state); } catch { /* the pill keeps the last state */ }
    },
  };
}

export function savedTheme() {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return THEMES.includes(v) ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** Applies a theme: `auto` follows prefers-color-scheme. */
export function applyTheme(theme) {
  if (theme === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  try { localStorage.setItem(THEME_KEY, theme); } catch { /* ignore */ }
}

/**
 * `onNavigate(view)`, `onLocale(locale)`; `bot` from createBotState. Returns
 * `{ el, setView(view), setCounts(stats), setDatabase(health), setBackups(status) }`.
 */
export function createHeader({ bot, onNavigate, onLocale, onShowFailed }) {
  const tabs = {};
  const tabCount = h('span', { class: 'tab-count' });
  const nav = h('nav', { class: 'tabs', 'aria-label': t('ui-nav') }, VIEWS.map((v) => {
    tabs[v] = h('a', { class: 'tab', href: `#${v}`, 'data-testid': `nav-${v}` }, t(`ui-nav-${v}`), v === 'queue' ? tabCount : null);
    tabs[v].addEventListener('click', (e) => { e.preventDefault(); onNavigate(v); });
    return tabs[v];
  }));

  const pending = h('span', { class: 'count-value', 'data-testid': 'count-pending' }, '—');
  const edited = h('span', { class: 'count-value', 'data-testid': 'count-edited' }, '—');
  const failed = h('span', { class: 'count-value', 'data-testid': 'count-failed' }, '—');
  const published = h('span', { class: 'count-value', 'data-testid': 'count-published' }, '—');
  const stat = (value, key, cls) => h('span', { class: ['count', cls] }, value, h('span', { class: 'count-label' }, t(key)));
  const failedStat = h('button', {
    class: ['count', 'count-failed', 'count-link'], type: 'button', title: t('ui-count-failed-open'), 'data-testid': 'open-failed',
    onClick: () => onShowFailed && onShowFailed(),
  }, failed, h('span', { class: 'count-label' }, t('ui-count-failed')));
  // The oldest pending post's age, inside the pending count ("3 pending · oldest 2 d 4 h"),
  // marked past the reminder age and re-read every minute as it grows. Below 1360 px the words
  // and the smaller unit give way ("3 · 2 d", the whole line in its title), so the header stays
  // about as wide as before.
  const oldestAge = h('span', { class: 'count-value age-full' });
  const oldestShort = h('span', { class: 'count-value age-short' });
  const oldest = h('span', { class: 'oldest-pending', 'data-testid': 'oldest-pending', hidden: true },
    h('span', { class: 'count-label oldest-word' }, t('ui-oldest-label')), oldestAge, oldestShort);
  const pendingStat = h('span', { class: ['count', 'count-pending'] },
    pending, h('span', { class: 'count-label pending-word' }, t('ui-count-pending')), oldest);
  let lastStats = null;
  const renderOldest = () => {
    const line = oldestLine(lastStats, Date.now(), t);
    oldest.hidden = line === null;
    pendingStat.classList.toggle('has-age', line !== null);
    oldestAge.textContent = line ? line.age : '';
    oldestShort.textContent = line ? line.short : '';
    oldest.title = line ? [line.text, line.title].filter(Boolean).join('. ') : '';
    oldest.classList.toggle('alert', Boolean(line && line.stale));
    if (line && line.stale) oldest.dataset.stale = 'true'; else delete oldest.dataset.stale;
  };
  const ageTimer = setInterval(renderOldest, 60000);
  const counts = h('div', { class: 'counts', 'aria-label': t('ui-counts') },
    pendingStat, stat(edited, 'ui-count-edited'), failedStat, stat(published, 'ui-count-published'));

  // Shown only while the database is unreachable; text only (never markup).
  const database = h('span', { class: 'pill pill-error db-health', 'data-testid': 'db-health', role: 'status', hidden: true });
  // Shown only when the scheduled backup failed or is older than two days.
  const backups = h('span', { class: 'pill pill-error backup-warning', 'data-testid': 'backup-warning', role: 'status', hidden: true });

  const pill = h('span', { class: 'pill', 'data-testid': 'bot-state', role: 'status' });
  const toggle = h('button', { class: 'btn btn-sm', type: 'button', 'data-testid': 'bot-toggle' });
  toggle.addEventListener('click', async () => {
    try { await bot.toggle(); } catch (err) { toastError(err); bot.refresh(); }
  });
  const renderBot = () => {
    const st = bot.get();
    const name = st ? st.state : 'unknown';
    pill.dataset.state = name;
    pill.className = `pill pill-${name}`;
    replace(pill, h('span', { class: 'dot', 'aria-hidden': 'true' }), bot.label());
    pill.title = st && st.state === 'error' ? String(st.message || '') : (st && st.state === 'held_elsewhere' ? String(st.holder || '') : '');
    const running = st && (st.state === 'running' || st.state === 'starting');
    toggle.textContent = running ? t('ui-bot-stop') : t('ui-bot-start');
    toggle.disabled = bot.busy() || !st;
  };
  const unsubscribe = bot.subscribe(renderBot);
  renderBot();

  const lang = h('select', { class: 'input select select-sm', 'aria-label': t('ui-language'), 'data-testid': 'locale' },
    LOCALES.map((l) => h('option', { value: l, selected: l === locale() }, t(`ui-lang-${l}`))));
  lang.addEventListener('change', () => onLocale(lang.value));

  let theme = savedTheme();
  const themeBtn = h('button', { class: 'btn btn-sm btn-icon', type: 'button', 'data-testid': 'theme' });
  const renderTheme = () => {
    themeBtn.textContent = THEME_GLYPH[theme];
    themeBtn.title = t(`ui-theme-${theme}`);
    themeBtn.setAttribute('aria-label', `${t('ui-theme')}: ${t(`ui-theme-${theme}`)}`);
  };
  themeBtn.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length];
    applyTheme(theme);
    renderTheme();
  });
  renderTheme();

  const el = h('header', { class: 'appbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '▚'), h('span', { class: 'brand-name' }, 'PostGate')),
    nav,
    h('div', { class: 'spacer' }),
    counts,
    database,
    backups,
    h('div', { class: 'botbox' }, pill, toggle),
    lang,
    themeBtn,
    h('button', { class: 'btn btn-sm btn-icon', type: 'button', title: t('ui-shortcuts-title'), 'aria-label': t('ui-shortcuts-title'), 'data-testid': 'help' }, '?'));

  return {
    el,
    destroy() { unsubscribe(); clearInterval(ageTimer); },
    helpButton: el.lastChild,
    setView(view) {
      for (const v of VIEWS) {
        if (v === view) tabs[v].setAttribute('aria-current', 'page'); else tabs[v].removeAttribute('aria-current');
      }
    },
    /** `DbHealth` from `database_health` or the `postgate://database` event. */
    setDatabase(health) {
      const line = dbHealthText(health, t);
      database.hidden = line === null;
      database.textContent = line || '';
      database.title = line && health.error ? String(health.error) : '';
    },
    /** `backup_status`'s answer: a warning when it says to warn. */
    setBackups(status) {
      const line = backupWarning(status, t);
      backups.hidden = line === null;
      backups.textContent = line || '';
      backups.title = line && status.failed ? String(status.failed.error || '') : '';
    },
    setCounts(stats) {
      if (!stats) return;
      pending.textContent = String(stats.pending ?? 0);
      edited.textContent = fmtNumber(stats.edited_pending);
      failed.textContent = fmtNumber(stats.publish_failed);
      published.textContent = fmtNumber(stats.published);
      failedStat.classList.toggle('alert', Number(stats.publish_failed) > 0);
      tabCount.textContent = stats.pending > 0 ? fmtNumber(stats.pending) : '';
      lastStats = stats;
      renderOldest();
    },
  };
}
