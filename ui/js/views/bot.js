// Bot panel: the runtime's state, since when, outbox backlog, Start / Stop.
import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { t, fmtDateTime, fmtRelative, fmtNumber } from '../i18n.js';
import { errorText, toastError } from '../toast.js';

/** `bot` is the shared bot-state holder from app.js. */
export function createBotView({ bot }) {
  const body = h('div', { class: 'panel bot-panel', 'data-testid': 'bot-panel' });
  const el = h('section', { class: 'page', 'aria-label': t('ui-nav-bot') },
    h('header', { class: 'page-head' }, h('h2', {}, t('ui-nav-bot'))), body);
  let status = null;
  let error = null;

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
      status && status.log_tail && status.log_tail.length
        ? h('section', { class: 'panel' },
          h('h3', { class: 'panel-title' }, t('ui-bot-log')),
          h('pre', { class: 'log-tail', 'data-testid': 'bot-log' }, status.log_tail.join('\n')))
        : null,
      h('p', { class: 'muted small' }, t('ui-bot-hint')),
      h('div', { class: 'actions' }, toggle,
        h('button', { class: 'btn', type: 'button', onClick: load }, t('ui-refresh'))));
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
