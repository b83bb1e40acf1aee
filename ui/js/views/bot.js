// Bot panel: the runtime's state, since when, outbox backlog, Start / Stop, and what the bot
// did lately in words (logline.js), each line's raw JSON one click away.
import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { t, fmtDateTime, fmtRelative, fmtNumber } from '../i18n.js';
import { errorText, toastError } from '../toast.js';
import { LEVEL_FILTERS, clockTime, logEntries } from '../logline.js';

/** One log line: time, level as a colour, message, what it concerns, the raw line behind a
 * disclosure. `onOpenPost(id)` opens a post in the console. Everything is text. */
function logLine(e, onOpenPost) {
  const refs = [];
  if (e.postId) {
    refs.push(onOpenPost
      ? h('button', { class: 'btn-link log-ref', type: 'button', 'data-testid': 'log-post',
        title: t('ui-log-open-post'), onClick: () => onOpenPost(Number(e.postId)) }, t('ui-log-post', { id: e.postId }))
      : h('span', { class: 'log-ref' }, t('ui-log-post', { id: e.postId })));
  }
  if (e.userId) refs.push(h('span', { class: 'log-ref' }, t('ui-log-user', { id: e.userId })));
  if (e.moderatorId) refs.push(h('span', { class: 'log-ref' }, t('ui-log-moderator', { id: e.moderatorId })));
  const details = e.details.map(([k, v]) => h('span', { class: 'log-detail' }, `${k}: ${v}`));
  return h('li', { class: ['log-line', `log-${e.level}`], 'data-testid': 'log-line', dataset: { level: e.level } },
    h('time', { class: 'log-time', datetime: e.time || undefined, title: e.time ? fmtDateTime(e.time) : undefined },
      e.time ? clockTime(e.time) : '—'),
    h('span', { class: 'log-level' }, t(`ui-log-level-${e.level}`)),
    h('span', { class: 'log-body' },
      h('span', { class: 'log-message' }, e.message || '—'), refs, details,
      h('details', { class: 'log-raw' }, h('summary', {}, t('ui-log-raw')), h('pre', {}, e.raw))));
}

/** `bot` is the shared bot-state holder from app.js; `onOpenPost(id)` opens a post. */
export function createBotView({ bot, onOpenPost }) {
  const body = h('div', { class: 'panel bot-panel', 'data-testid': 'bot-panel' });
  const el = h('section', { class: 'page', 'aria-label': t('ui-nav-bot') },
    h('header', { class: 'page-head' }, h('h2', {}, t('ui-nav-bot'))), body);
  let status = null;
  let error = null;
  let levelFilter = 'all';

  async function load() {
    try {
      status = await api.botStatus();
      error = null;
      bot.set(status.state);
    } catch (err) {
      error = err;
    }
    render();
  }

  function row(name, value, testid) {
    return h('div', { class: 'kv' }, h('dt', {}, t(name)), h('dd', { 'data-testid': testid }, value));
  }

  function render() {
    const state = bot.get();
    const running = state && (state.state === 'running' || state.state === 'starting');
    const details = [];
    if (state && state.state === 'running' && state.since) {
      details.push(row('ui-bot-since', `${fmtDateTime(state.since)} (${fmtRelative(state.since)})`, 'bot-since'));
    }
    if (state && state.state === 'held_elsewhere') details.push(row('ui-bot-holder', String(state.holder || '—')));
    if (state && state.state === 'error') {
      details.push(row('ui-bot-error', String(state.message || ''), 'bot-error'));
      if (state.at) details.push(row('ui-bot-error-at', fmtDateTime(state.at)));
    }
    const toggle = h('button', {
      class: ['btn', running ? 'btn-danger-soft' : 'btn-primary'], type: 'button', 'data-testid': 'bot-toggle-panel',
      disabled: bot.busy(),
      onClick: async () => {
        try { await bot.toggle(); } catch (err) { toastError(err); }
        load();
      },
    }, running ? t('ui-bot-stop') : t('ui-bot-start'));
    replace(body,
      error ? h('p', { class: 'form-error' }, errorText(error)) : null,
      h('dl', { class: 'kvs' },
        row('ui-bot-state', h('span', { class: ['pill', `pill-${state ? state.state : 'unknown'}`] }, bot.label()), 'bot-panel-state'),
        details,
        row('ui-bot-backlog', status ? fmtNumber(status.outbox_backlog) : '—', 'bot-backlog'),
        row('ui-bot-updates', status ? fmtNumber(status.updates_handled) : '—', 'bot-updates')),
      status && status.log_tail && status.log_tail.length ? logPanel(status.log_tail) : null,
      h('p', { class: 'muted small' }, t('ui-bot-hint')),
      h('div', { class: 'actions' }, toggle,
        h('button', { class: 'btn', type: 'button', onClick: load }, t('ui-refresh'))));
  }

  function logPanel(lines) {
    const levelSel = h('select', { class: 'input select', 'aria-label': t('ui-log-filter'), 'data-testid': 'bot-log-level' },
      LEVEL_FILTERS.map((f) => h('option', { value: f, selected: f === levelFilter }, t(`ui-log-filter-${f}`))));
    levelSel.addEventListener('change', () => { levelFilter = levelSel.value; render(); });
    const entries = logEntries(lines, levelFilter);
    return h('section', { class: 'panel' },
      h('div', { class: 'log-head' }, h('h3', { class: 'panel-title' }, t('ui-bot-log')), levelSel),
      entries.length
        ? h('ol', { class: 'log-lines', 'data-testid': 'bot-log' }, entries.map((e) => logLine(e, onOpenPost)))
        : h('p', { class: 'muted small', 'data-testid': 'bot-log' }, t('ui-log-none')));
  }

  const off = bot.subscribe(() => render());
  render();
  return {
    el,
    mount: () => load(),
    unmount() {},
    onChanged() {},
    tick: () => load(),
    keys: {},
    destroy: off,
  };
}
