// The conversation with a post's author (issue #17 part 1): the thread as text (who wrote and
// when, whether it reached the author), "Ask for changes" (a dialog with a counter of what is
// left) and a "Message author" box. The bot sends everything: authors never see a moderator.
import { h, replace } from './dom.js';
import { api } from './api.js';
import { t, label, fmtDateTime } from './i18n.js';
import { who } from './outcome.js';
import { toast, toastError, errorText } from './toast.js';
import { openModal, closeModal } from './dialogs.js';
import { measure } from './textlimits.js';

/** Whether changes can be asked for a post in `status` (it waits for a decision). */
export function canAskChanges(status) {
  return status === 'pending' || status === 'changes_requested';
}

/** Log actions the author took (through the bot): shown as the author's, not a moderator's. */
const AUTHOR_ACTIONS = new Set(['author_reply', 'revised', 'withdraw']);

/** Who did a moderation-log entry: the author for their own actions, else the moderator. */
export function logActor(entry) {
  return AUTHOR_ACTIONS.has(entry.action) ? t('ui-thread-author') : who(entry.moderator_id);
}

/** One thread message as the lines the console shows: `{ who, kind, delivery, body, time }`, all text. */
export function threadLine(m) {
  const fromAuthor = m.direction === 'from_author';
  const writer = fromAuthor ? t('ui-thread-author') : (m.moderator_name || who(m.moderator_id));
  const delivery = m.delivery === 'undelivered'
    ? t('ui-thread-undelivered', { error: m.error || '—' })
    : label('thread-delivery', m.delivery);
  return { who: writer, kind: label('thread-kind', m.kind), delivery, body: String(m.body || ''), time: m.created_at };
}

/** A textarea with a live "N of M left" counter; `send(text)` resolves when sent. */
function composer({ testid, placeholder, limit, sendLabel, send }) {
  const area = h('textarea', {
    class: 'input', rows: '3', 'data-testid': `${testid}-text`, placeholder, 'aria-label': placeholder,
  });
  const count = h('p', { class: 'muted small', 'data-testid': `${testid}-count`, 'aria-live': 'polite' });
  const button = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': `${testid}-send` }, sendLabel);
  const error = h('p', { class: 'form-error', role: 'alert' });
  const recount = () => {
    const m = measure(area.value, limit);
    count.textContent = m.over ? t('ui-thread-too-long', m) : t('ui-thread-count', { length: limit - m.length, limit });
    count.classList.toggle('form-error', m.over);
    button.disabled = m.over || area.value.trim() === '';
  };
  area.addEventListener('input', recount);
  recount();
  const submit = async () => {
    if (button.disabled) return;
    button.disabled = true;
    error.textContent = '';
    try {
      await send(area.value);
      area.value = '';
    } catch (err) {
      error.textContent = errorText(err);
    }
    recount();
  };
  button.addEventListener('click', submit);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  return { el: h('div', { class: 'composer' }, area, count, error, button), area };
}

/** The thread panel of the detail pane; `onSent()` after a message went out (the post is re-read). */
export function createThread({ onSent }) {
  const s = { id: null, data: null, error: null, free: null };
  const el = h('section', { class: 'panel thread', 'data-testid': 'thread', 'aria-label': t('ui-thread-title') });
  let status = null;

  async function load(id, postStatus) {
    const changed = s.id !== id;
    s.id = id;
    status = postStatus;
    if (changed) { Object.assign(s, { data: null, error: null, free: null }); render(); }
    try {
      const data = await api.postThread(id);
      if (s.id !== id) return;
      s.data = data;
      s.error = null;
    } catch (err) {
      if (s.id === id) s.error = err;
    }
    render();
  }

  async function send(text, request) {
    const id = s.id;
    await (request ? api.postRequestChanges(id, text) : api.postMessageAuthor(id, text));
    toast(t(request ? 'ui-changes-requested' : 'ui-message-sent', { id }), 'success');
    onSent(id);
  }

  function askDialog() {
    if (!s.data) return;
    const box = composer({
      testid: 'ask-changes', placeholder: t('ui-ask-changes-hint'), limit: s.data.request_limit,
      sendLabel: t('ui-ask-changes-confirm'),
      send: async (text) => { await send(text, true); closeModal(panel); },
    });
    const panel = openModal({
      title: t('ui-ask-changes-title', { id: s.id }), testid: 'ask-changes-dialog', wide: true,
      body: [h('p', { class: 'muted small' }, t('ui-ask-changes-note')), box.el],
      actions: [h('button', { class: 'btn', type: 'button', onClick: () => closeModal() }, t('ui-cancel'))],
      focus: box.area,
    });
  }

  function render() {
    if (s.id === null) { replace(el); return; }
    const messages = s.data ? s.data.messages : [];
    const list = messages.length === 0
      ? h('p', { class: 'muted small' }, s.data ? t('ui-thread-empty') : t('ui-loading'))
      : h('ol', { class: 'log thread-list', 'data-testid': 'thread-list' }, messages.map((m) => {
        const line = threadLine(m);
        return h('li', { class: ['log-item', `thread-${m.direction}`], dataset: { delivery: m.delivery, kind: m.kind } },
          h('time', { class: 'muted small', datetime: line.time }, fmtDateTime(line.time)),
          h('span', { class: 'log-action' }, line.who),
          h('span', { class: 'muted small' }, line.kind),
          h('span', { class: ['small', m.delivery === 'undelivered' ? 'form-error' : 'muted'] }, line.delivery),
          h('p', { class: 'thread-body', dir: 'auto', 'data-testid': 'thread-body' }, line.body));
      }));
    const ask = h('button', {
      class: 'btn', type: 'button', 'data-testid': 'ask-changes', disabled: !s.data || !canAskChanges(status),
      onClick: askDialog,
    }, t('ui-ask-changes'));
    // Built once per post, so live updates never wipe what the moderator is typing.
    if (s.data && !s.free) {
      s.free = composer({
        testid: 'message-author', placeholder: t('ui-message-author'), limit: s.data.message_limit,
        sendLabel: t('ui-message-send'), send: (text) => send(text, false),
      });
    }
    replace(el,
      h('h3', { class: 'panel-title' }, t('ui-thread-title')),
      s.error ? h('p', { class: 'form-error' }, errorText(s.error)) : null,
      list,
      h('div', { class: 'thread-actions' }, ask),
      s.free ? s.free.el : null);
  }

  return { el, load, render, clear: () => { Object.assign(s, { id: null, data: null, free: null }); render(); }, ask: askDialog, report: toastError };
}
