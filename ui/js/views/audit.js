// Audit log view: every moderator and system action, newest first, filterable by post id.
import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { t, label, fmtDateTime, fmtRelative, reasonLabel } from '../i18n.js';
import { errorText } from '../toast.js';
import { logActor } from '../thread.js';

const STEP = 200;

export function createAuditView() {
  const s = { entries: [], limit: STEP, loading: false, error: null, loaded: false, postId: null };
  let token = 0;
  const postInput = h('input', {
    class: 'input', type: 'text', inputmode: 'numeric', placeholder: t('ui-audit-post-filter'),
    'aria-label': t('ui-audit-post-filter'), 'data-testid': 'audit-post',
  });
  postInput.addEventListener('change', () => {
    const v = postInput.value.trim().replace(/^#/, '');
    s.postId = /^\d+$/.test(v) ? Number(v) : null;
    s.limit = STEP;
    load();
  });
  const refresh = h('button', { class: 'btn btn-sm', type: 'button', onClick: () => load() }, t('ui-refresh'));
  const body = h('div', { class: 'table-wrap' });
  const footer = h('div', { class: 'list-footer' });
  const el = h('section', { class: 'page', 'aria-label': t('ui-nav-audit') },
    h('header', { class: 'page-head' }, h('h2', {}, t('ui-nav-audit')), h('div', { class: 'toolbar' }, postInput, refresh)),
    body, footer);

  async function load() {
    const mine = ++token;
    s.loading = true;
    render();
    try {
      const entries = await api.auditLog(s.postId, s.limit);
      if (mine !== token) return;
      s.entries = Array.isArray(entries) ? entries : [];
      s.error = null;
    } catch (err) {
      if (mine === token) s.error = err;
    } finally {
      if (mine === token) { s.loading = false; s.loaded = true; render(); }
    }
  }

  function render() {
    if (!s.loaded) { replace(body, h('p', { class: 'state' }, t('ui-loading'))); replace(footer); return; }
    if (s.error) {
      replace(body, h('div', { class: 'state state-error' }, h('p', {}, errorText(s.error)),
        h('button', { class: 'btn', type: 'button', onClick: () => load() }, t('ui-retry'))));
      replace(footer);
      return;
    }
    if (s.entries.length === 0) { replace(body, h('p', { class: 'state' }, t('ui-audit-empty'))); replace(footer); return; }
    replace(body, h('table', { class: 'table', 'data-testid': 'audit' },
      h('thead', {}, h('tr', {},
        ['ui-audit-time', 'ui-audit-action', 'ui-audit-post', 'ui-audit-user', 'ui-audit-moderator', 'ui-audit-source', 'ui-audit-reason']
          .map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', {}, s.entries.map((e) => h('tr', {},
        h('td', { class: 'nowrap' }, h('time', { datetime: e.created_at, title: fmtRelative(e.created_at) }, fmtDateTime(e.created_at))),
        h('td', {}, h('span', { class: ['badge', `action-${e.action}`] }, label('action', e.action))),
        h('td', { class: 'mono' }, e.post_id !== null && e.post_id !== undefined ? `#${e.post_id}` : '—'),
        h('td', { class: 'mono' }, e.target_user_id !== null && e.target_user_id !== undefined ? String(e.target_user_id) : '—'),
        h('td', {}, logActor(e)),
        h('td', { class: 'muted' }, label('source', e.source)),
        h('td', { class: 'wrap' }, e.reason ? reasonLabel({ kind: 'template', value: e.reason }) : ''))))));
    replace(footer, s.entries.length >= s.limit
      ? h('button', { class: 'btn btn-block', type: 'button', disabled: s.loading, onClick: () => { s.limit += STEP; load(); } }, t('ui-load-more'))
      : null);
  }

  return {
    el,
    mount: () => load(),
    unmount() {},
    onChanged: (evt) => { if (!evt || evt.event !== 'post_claimed') load(); },
    tick() {},
    keys: { search: () => postInput.focus() },
  };
}
