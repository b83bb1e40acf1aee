// PostGate moderator console: entry point. Loads texts, builds the shell, routes views, wires live events.
//
// DOM test contract (end-to-end WebDriver tests rely on these; keep them stable):
//   [data-testid="queue"]            the post list (role=listbox) of the Queue/History view
//   [data-testid="row-<id>"]         one row per post (role=option); the selected row has aria-selected="true"
//   [data-testid="row-excerpt"]      the excerpt inside a row (plain text)
//   [data-testid="check-<id>"]       the bulk checkbox of a row; [data-testid="select-all"] selects the page
//   [data-testid="bulk-approve"], [data-testid="bulk-reject"], [data-testid="bulk-results"] (per-item outcomes)
//   [data-testid="detail"]           the detail pane; [data-testid="detail-body"] its text (entities rendered as text)
//   [data-testid="detail-status"]    the status badge of the open post
//   [data-testid="approve"], [data-testid="edit"], [data-testid="reject"], [data-testid="ban"], [data-testid="retry"]
//   [data-testid="edit-dialog"] with [data-testid="edit-body"] (textarea) and [data-testid="edit-confirm"]
//   [data-testid="reject-dialog"]    the reject dialog; [data-testid="reason-<name>"] one radio per template
//                                    (reject_templates[].name); [data-testid="reason-custom"] the free-text
//                                    textarea; [data-testid="reject-confirm"] the confirm button
//   [data-testid="ban-dialog"] with [data-testid="ban-reason"] and [data-testid="ban-confirm"]
//   [data-testid="confirm-dialog"] with [data-testid="confirm"] (unban, bulk approve)
//   [data-testid="claim-warning"]    shown when another moderator holds the open post
//   [data-testid="toast"]            every toast (data-kind = info | success | warn | error)
//   [data-testid="count-pending"]    the pending count (digits only); also count-edited, count-failed, count-published
//   [data-testid="bot-state"]        the bot pill (data-state = stopped | starting | running | held_elsewhere | error)
//   [data-testid="bot-toggle"]       Start/Stop in the header
//   [data-testid="db-health"]        "Database unreachable since HH:MM:SS …", hidden while the database answers
//   [data-testid="search"]           the search box; filter-status / filter-media / filter-edited selects
//   [data-testid="nav-<view>"]       navigation: queue, history, calendar, audit, bot, settings, stats
//   [data-testid="calendar"]        the calendar grid: day-<YYYY-MM-DD> columns of cell-<unix seconds> cells; cal-post-<id>
//                                    a scheduled or parked post (drag it onto a cell, or click it then cal-here);
//                                    cal-now-<id>, cal-park-<id>, cal-queue-<id>, cal-open-<id>; cal-parked the parked list
//   [data-testid="shortcuts"]        the `?` overlay; [data-testid="locale"] language; [data-testid="theme"] theme
//   [data-testid="audit"], [data-testid="bot-panel"], [data-testid="settings"] (setting-<field>, setting-<field>-error)
//   [data-testid="setup"]            the first-run setup screen: setup-token, setup-token-check, setup-token-error,
//                                    setup-bot, setup-code ("/setup 123456"), setup-notices, setup-group,
//                                    setup-moderator, setup-channel-<id>, setup-channel-input, setup-channel-check,
//                                    setup-channel-error, setup-channel-ok, setup-finish; [data-testid="setup-again"]
//                                    in Settings runs it again
// Keyboard: j/k move, a approve, e edit, r reject, b ban, / search, ? help, Esc closes dialogs.
//
// Without Tauri: `python3 -m http.server --bind 127.0.0.1` in the repository root, open /ui/dev/ (the mock
// in ui/dev/mock-tauri.js; `?selftest=1` runs ui/dev/selftest.js, `?scenario=reject&id=104` etc. stage a
// screen). Entity rendering has node tests: `node --experimental-default-type=module --test ui/test/`.
import { h, replace, debounce } from './js/dom.js';
import { api, listen, EVENT_CHANGED, EVENT_BOT, EVENT_DATABASE, EVENT_OPEN } from './js/api.js';
import { loadTexts, savedLocale, t } from './js/i18n.js';
import { mountToasts, toast, toastError, errorText } from './js/toast.js';
import { setMe } from './js/outcome.js';
import { createHeader, createBotState, applyTheme, savedTheme, VIEWS } from './js/header.js';
import { installKeys, openShortcuts } from './js/keys.js';
import { openConfirm, closeModal } from './js/dialogs.js';
import { createPostsView } from './js/views/posts.js';
import { createAuditView } from './js/views/audit.js';
import { createCalendarView } from './js/views/calendar.js';
import { createBotView } from './js/views/bot.js';
import { createSettingsView } from './js/views/settings.js';
import { createSetupView } from './js/views/setup.js';
import { createStatsView } from './js/views/stats.js';

const root = document.getElementById('app');
const bot = createBotState();
const app = { header: null, views: {}, current: null, name: null, database: null, backups: null };

/** Shows the database's health in the header (kept across header rebuilds). */
function setDatabase(health) {
  app.database = health;
  if (app.header) app.header.setDatabase(health);
}

/** Opens an http(s) link in the system browser (the opener plugin; its scope allows http(s)
 * only), only after the moderator confirms it. Anything else is never opened. */
function openLink(url) {
  let parsed;
  try { parsed = new URL(url); } catch { return; }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return;
  openConfirm({
    title: t('ui-link-title'),
    text: parsed.href,
    confirmLabel: t('ui-link-open'),
    onConfirm: async () => {
      try {
        await window.__TAURI__.core.invoke('plugin:opener|open_url', { url: parsed.href });
      } catch (err) {
        toastError(err);
      }
    },
  });
}

const refreshCounts = debounce(async () => {
  try { app.header.setCounts(await api.queueStats()); } catch { /* the next event retries */ }
}, 300);

function buildViews() {
  return {
    queue: createPostsView({ mode: 'queue', onOpenLink: openLink, onCountsStale: refreshCounts }),
    history: createPostsView({ mode: 'history', onOpenLink: openLink, onCountsStale: refreshCounts }),
    calendar: createCalendarView({ onOpenPost: (id) => { show('history'); app.views.history.openPost(id); } }),
    audit: createAuditView(),
    bot: createBotView({ bot, onOpenPost: (id) => { show('queue'); app.views.queue.openPost(id); } }),
    settings: createSettingsView({ onSaved: (s) => setMe(s.console_moderator_id), onSetupAgain: () => showSetup(true) }),
    stats: createStatsView(),
  };
}

function show(name) {
  const view = VIEWS.includes(name) ? name : 'queue';
  if (app.current && app.name === view) return;
  if (app.current) app.current.unmount();
  app.name = view;
  app.current = app.views[view];
  replace(document.getElementById('main'), app.current.el);
  app.header.setView(view);
  if (location.hash !== `#${view}`) history.replaceState(null, '', `#${view}`);
  app.current.mount();
}

/** (Re)builds the whole shell, e.g. after a language switch. */
function buildShell() {
  if (app.current) app.current.unmount();
  closeModal();
  if (app.header) app.header.destroy();
  for (const view of Object.values(app.views)) if (view.destroy) view.destroy();
  app.current = null;
  app.views = buildViews();
  app.header = createHeader({
    bot,
    onNavigate: show,
    onShowFailed: () => { show('history'); app.views.history.setStatus('publish_failed'); },
    onLocale: async (loc) => {
      try { await loadTexts(loc); } catch (err) { toastError(err); return; }
      const name = app.name;
      buildShell();
      show(name);
    },
  });
  app.header.helpButton.addEventListener('click', openShortcuts);
  app.header.setDatabase(app.database);
  app.header.setBackups(app.backups);
  replace(root, app.header.el, h('main', { id: 'main', class: 'main' }));
  mountToasts(root);
  refreshCounts();
}

function fatal(err, retry) {
  replace(root, h('div', { class: 'fatal', role: 'alert' },
    h('h1', {}, 'PostGate'),
    h('p', {}, errorText(err)),
    h('button', { class: 'btn btn-primary', type: 'button', onClick: retry }, '↻')));
}

/** The setup screen over the whole window: on the first run (no bot configured yet), or run
 * again from Settings. Finishing it reloads the page, which then opens the console. */
function showSetup(again) {
  if (app.current) app.current.unmount();
  closeModal();
  const view = createSetupView({
    again,
    onDone: () => location.reload(),
    onCancel: () => location.reload(),
    onLocale: () => { view.unmount(); showSetup(again); },
  });
  replace(root, view.el);
  mountToasts(root);
  view.mount();
}

async function start() {
  applyTheme(savedTheme());
  try {
    await loadTexts(savedLocale());
  } catch (err) {
    fatal(err, start);
    return;
  }
  try {
    const status = await api.setupStatus();
    if (status && status.required) {
      showSetup(false);
      return;
    }
  } catch { /* an older core without the setup: open the console */ }
  try {
    const settings = await api.settingsGet();
    setMe(settings && settings.console_moderator_id);
  } catch { /* "you" is then shown as the id */ }
  buildShell();
  show(location.hash.slice(1));
  bot.refresh();
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  // Leaving the page (reload, quit) releases the claim of the open post right away.
  window.addEventListener('pagehide', () => { if (app.current) app.current.unmount(); });
  installKeys(() => (app.current ? app.current.keys : {}));
  setInterval(() => { if (app.current) app.current.tick(); }, 30000);
  try {
    await listen(EVENT_CHANGED, (payload) => {
      if (app.current) app.current.onChanged(payload);
      refreshCounts();
    });
    await listen(EVENT_BOT, (state) => bot.set(state));
    await listen(EVENT_DATABASE, setDatabase);
    await listen(EVENT_OPEN, (view) => show(String(view)));
  } catch (err) {
    toast(`${t('ui-live-off')}: ${errorText(err)}`, 'warn');
  }
  // Read after listening, so no change falls between the two.
  api.databaseHealth().then(setDatabase, () => { /* the next event brings it */ });
  refreshBackups();
  setInterval(refreshBackups, 60000);
}

/** The scheduled backups' warning in the header, read now and every minute. */
async function refreshBackups() {
  try { app.backups = await api.backupStatus(); } catch { return; /* the next minute retries */ }
  if (app.header) app.header.setBackups(app.backups);
}

start();
