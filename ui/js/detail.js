// The detail pane: one post with its text, media, author and log; claims it while open, releases on leave.
import { h, replace } from './dom.js';
import { api } from './api.js';
import { t, label, fmtDateTime, fmtRelative, fmtSize, fmtTime, fmtNumber, reasonLabel, isFuture } from './i18n.js';
import { renderEntities } from './entities.js';
import { who } from './outcome.js';
import { toast, errorText } from './toast.js';
import { createActions } from './actions.js';
import { previewPanel } from './preview.js';
import { createThread, logActor } from './thread.js';
import { flagPanel } from './flags.js';

const MEDIA_GLYPH = { photo: '▣', video: '▶', animation: '↻', document: '▤', audio: '♪', voice: '◉' };

/**
 * `onDecided(id)`: a decision on the open post went through (the view refreshes and advances).
 * `onStale(id)`: something changed under us (the view reloads the list). `onOpenLink(url)`.
 */
export function createDetail({ onDecided, onStale, onOpenLink }) {
  const s = { id: null, data: null, loading: false, error: null, claim: null, busy: null };
  // When an approval is published: the plan's next slot (default), the top of the queue (the
  // earliest slot, the others one slot later), now, or a chosen time. Kept across posts and
  // re-renders; the inputs are built once.
  const when = h('select', { class: 'input select select-sm', 'data-testid': 'approve-when', 'aria-label': t('ui-when') },
    ['plan', 'top', 'now', 'at'].map((v) => h('option', { value: v }, t(`ui-when-${v}`))));
  const whenAt = h('input', { class: 'input input-sm', type: 'datetime-local', 'data-testid': 'approve-at', 'aria-label': t('ui-when-at'), hidden: true });
  when.addEventListener('change', () => { whenAt.hidden = when.value !== 'at'; });
  function timing() {
    if (when.value === 'now') return { when: 'now' };
    if (when.value === 'top') return { when: 'top' };
    if (when.value === 'at' && whenAt.value) return { when: 'at', at: new Date(whenAt.value).toISOString() };
    return undefined;
  }
  let token = 0;
  let renewTimer = null;
  // A claim is renewed only while the moderator is actually here; left alone, it goes stale
  // and expires, so an open-but-abandoned console never holds a post hostage.
  let lastActivity = Date.now();
  const touch = () => { lastActivity = Date.now(); };
  for (const type of ['keydown', 'pointerdown', 'wheel']) document.addEventListener(type, touch, { passive: true });
  const el = h('section', { class: 'detail-pane', 'data-testid': 'detail', 'aria-label': t('ui-detail'), tabindex: '-1' });

  const actions = createActions({
    current: () => (s.data ? s.data : null),
    setBusy: (name) => { s.busy = name; render(); },
    onDecided: (id) => { s.claim = null; onDecided(id); },
    onStale: (id) => { refresh(); onStale(id); },
    onChanged: () => refresh(),
    timing,
  });

  // The conversation with the author: re-read with the post (live updates included).
  const thread = createThread({ onSent: () => refresh() });

  function clearRenew() {
    clearTimeout(renewTimer);
    renewTimer = null;
  }

  /** Keeps our claim alive while the post stays open (a stale claim expires by itself). */
  function scheduleRenew(id, until) {
    clearRenew();
    const claimedAt = Date.now();
    const left = new Date(until).getTime() - claimedAt;
    if (!Number.isFinite(left) || left <= 0) return;
    renewTimer = setTimeout(async () => {
      if (s.id !== id || !s.data || s.data.post.status !== 'pending') return;
      if (document.hidden || lastActivity < claimedAt) return;
      try {
        const claim = await api.postClaim(id);
        if (s.id !== id) return;
        s.claim = claim;
        if (claim.outcome === 'claimed') scheduleRenew(id, claim.until);
        render();
      } catch { /* the next open or decision reports problems */ }
    }, Math.max(15000, left / 2));
  }

  function release() {
    clearRenew();
    const { id, claim } = s;
    s.claim = null;
    if (id !== null && claim && claim.outcome === 'claimed') {
      api.postRelease(id).catch(() => { /* it expires on its own */ });
    }
  }

  async function fetchDetail(id, mine) {
    const data = await api.postDetail(id);
    // The post as the channel will show it, composed by the core; the raw post shows without it.
    const preview = await api.postPreview(id).catch(() => null);
    if (mine !== token) return null;
    s.data = data;
    s.preview = preview;
    s.error = null;
    thread.load(id, data.post.status);
    return data;
  }

  /** Publishes the open post signed or anonymous (logged; other consoles follow live). */
  async function setSigned(signed) {
    const id = s.id;
    s.busy = 'toggle-signed';
    render();
    try {
      const outcome = await api.postSetSigned(id, signed);
      if (outcome.outcome === 'changed') toast(t(outcome.signed ? 'ui-signed-set' : 'ui-anonymous-set', { id }), 'success');
      else toast(t('ui-preview-too-late'), 'warn');
    } catch (err) {
      toast(errorText(err), 'error');
    } finally {
      s.busy = null;
      refresh();
    }
  }

  /** Opens post `id` (claims it when pending). */
  async function open(id) {
    if (id === s.id && (s.data || s.loading)) return;
    release();
    const mine = ++token;
    Object.assign(s, { id, data: null, error: null, loading: true, busy: null, refreshAfterOpen: false });
    render();
    try {
      const data = await fetchDetail(id, mine);
      if (!data) return;
      if (data.post.status === 'pending') {
        const claim = await api.postClaim(id);
        if (mine !== token) {
          if (claim.outcome === 'claimed') api.postRelease(id).catch(() => {});
          return;
        }
        s.claim = claim;
        if (claim.outcome === 'claimed') scheduleRenew(id, claim.until);
        if (claim.outcome === 'held_by_other') {
          toast(t('ui-claim-held', { id, moderator: who(claim.by), time: fmtTime(claim.until) }), 'warn');
        }
      }
    } catch (err) {
      if (mine === token) s.error = err;
    } finally {
      if (mine === token) {
        s.loading = false;
        render();
        if (s.refreshAfterOpen) { s.refreshAfterOpen = false; refresh(); }
      }
    }
  }

  /** Re-reads the open post without touching the claim. */
  async function refresh() {
    if (s.id === null) return;
    // While opening, a refresh would cancel the claim step; re-read once the open is done.
    if (s.loading) { s.refreshAfterOpen = true; return; }
    const mine = ++token;
    try {
      const before = s.data && s.data.post.status;
      const data = await fetchDetail(s.id, mine);
      if (data && before === 'pending' && data.post.status !== 'pending') { clearRenew(); s.claim = null; }
    } catch (err) {
      if (mine === token) s.error = err;
    } finally {
      if (mine === token) { s.loading = false; render(); }
    }
  }

  /** Leaves the post (release the claim) and shows the empty state. */
  function close() {
    release();
    token += 1;
    Object.assign(s, { id: null, data: null, error: null, loading: false, busy: null });
    thread.clear();
    render();
  }

  function banner(kind, text, testid) {
    return h('div', { class: ['banner', `banner-${kind}`], role: kind === 'warn' ? 'alert' : 'note', 'data-testid': testid }, text);
  }

  function banners(post) {
    const out = [];
    const claim = s.claim;
    if (claim && claim.outcome === 'held_by_other' && isFuture(claim.until)) {
      out.push(banner('warn', t('ui-claim-held', { id: post.id, moderator: who(claim.by), time: fmtTime(claim.until) }), 'claim-warning'));
    }
    if (post.status === 'changes_requested') out.push(banner('info', t('ui-changes-requested-note'), 'changes-requested-note'));
    if (post.edited_by_author) out.push(banner('info', t('ui-edited-by-author-note'), 'edited-note'));
    if (post.edited_by_moderator) out.push(banner('info', t('ui-edited-by-moderator-note')));
    if (post.status === 'publish_failed') {
      out.push(banner('error', t('ui-publish-failed-note', { error: post.publish_error || '—' }), 'publish-error'));
    }
    if (post.card_error) {
      out.push(banner('error', t('ui-card-failed-note', { error: post.card_error }), 'card-error'));
    }
    const twice = post.maybe_twice || {};
    if (twice.card) out.push(banner('warn', t('ui-card-maybe-twice-note'), 'card-maybe-twice'));
    if (twice.publication) out.push(banner('warn', t('ui-published-maybe-twice-note'), 'published-maybe-twice'));
    if (post.status !== 'pending' && post.decided_at) {
      out.push(banner('muted', t('ui-decided-note', {
        status: label('status', post.status),
        moderator: post.reject_reason && post.reject_reason.value === 'withdrawn' ? t('ui-thread-author') : who(post.decided_by),
        time: fmtDateTime(post.decided_at),
      })));
    }
    if (post.reject_reason) out.push(banner('muted', t('ui-reject-reason-note', { reason: reasonLabel(post.reject_reason) })));
    return out;
  }

  function actionBar(post) {
    // A post whose author was asked for changes can still be decided.
    const pending = post.status === 'pending' || post.status === 'changes_requested';
    const dis = s.busy !== null;
    const btn = (testid, key, cls, text, enabled, onClick) => h('button', {
      class: ['btn', cls], type: 'button', 'data-testid': testid, disabled: dis || !enabled,
      'aria-busy': s.busy === testid ? 'true' : null, 'aria-keyshortcuts': key || null, onClick,
    }, text, key ? h('kbd', { class: 'kbd' }, key) : null);
    return h('div', { class: 'actions', role: 'toolbar', 'aria-label': t('ui-actions') },
      btn('approve', 'a', 'btn-primary', t('ui-approve'), pending, actions.approve),
      btn('edit', 'e', '', t('ui-edit-approve'), pending, actions.edit),
      btn('reject', 'r', 'btn-danger-soft', t('ui-reject'), pending, actions.reject),
      pending ? h('span', { class: 'when' }, when, whenAt) : null,
      post.status === 'publish_failed' ? btn('retry', null, 'btn-primary', t('ui-retry-publish'), true, actions.retry) : null,
      post.card_error ? btn('retry-card', null, '', t('ui-retry-card'), true, actions.retryCard) : null,
      s.busy ? h('span', { class: 'muted small spinner-text' }, t('ui-working')) : null);
  }

  // Photos are previewed through the app's media protocol (downloaded once into a bounded
  // cache); if a preview cannot be fetched the kind glyph stays.
  function thumb(postId, m) {
    const glyph = h('span', { class: 'media-glyph' }, MEDIA_GLYPH[m.kind] || '▢');
    if (m.kind !== 'photo') return h('div', { class: 'media-thumb', 'aria-hidden': 'true' }, glyph);
    const img = h('img', {
      class: 'media-img', alt: '', loading: 'lazy', 'data-testid': `preview-${m.position}`,
      src: `postgate-media://localhost/${postId}/${m.position}`,
      onError: () => img.replaceWith(glyph),
    });
    return h('div', { class: 'media-thumb', 'aria-hidden': 'true' }, img);
  }

  function mediaList(postId, media) {
    if (!media || media.length === 0) return null;
    // The server sends media in album order (by message id); keep it.
    const items = [...media];
    return h('section', { class: 'panel' },
      h('h3', { class: 'panel-title' }, t('ui-media-title', { count: fmtNumber(items.length) })),
      h('ul', { class: 'media-grid', 'data-testid': 'media' }, items.map((m) => h('li', { class: 'media-tile', dataset: { kind: m.kind } },
        thumb(postId, m),
        h('div', { class: 'media-meta' },
          h('span', { class: 'media-kind' }, label('media', m.kind)),
          m.file_name ? h('span', { class: 'media-name', title: m.file_name }, m.file_name) : null,
          h('span', { class: 'muted small' }, [fmtSize(m.file_size), m.mime_type].filter(Boolean).join(' · ')))))));
  }

  function authorPanel(post, author) {
    const p = (author && author.profile) || post.author;
    const name = [p.first_name, p.last_name].filter(Boolean).join(' ') || t('ui-author-unknown');
    const banned = Boolean(author && author.banned);
    const dis = s.busy !== null;
    return h('section', { class: 'panel author', 'data-testid': 'author' },
      h('h3', { class: 'panel-title' }, t('ui-author-title')),
      h('div', { class: 'author-line' },
        h('span', { class: 'author-name' }, name),
        p.username ? h('span', { class: 'muted' }, `@${p.username}`) : null,
        h('span', { class: 'muted mono small' }, `id ${p.id}`),
        banned ? h('span', { class: ['badge', 'badge-banned'], 'data-testid': 'author-banned' }, t('ui-author-banned')) : null),
      author ? h('dl', { class: 'stats' },
        h('div', {}, h('dt', {}, t('ui-author-approved')), h('dd', {}, fmtNumber(author.approved))),
        h('div', {}, h('dt', {}, t('ui-author-rejected')), h('dd', {}, fmtNumber(author.rejected))),
        h('div', {}, h('dt', {}, t('ui-author-pending')), h('dd', {}, fmtNumber(author.pending))),
        h('div', {}, h('dt', {}, t('ui-author-since')), h('dd', {}, fmtDateTime(author.created_at)))) : null,
      h('button', {
        class: ['btn', banned ? '' : 'btn-danger-soft'], type: 'button', 'data-testid': 'ban', disabled: dis,
        'aria-keyshortcuts': 'b', onClick: actions.ban,
      }, banned ? t('ui-unban') : t('ui-ban'), h('kbd', { class: 'kbd' }, 'b')));
  }

  function logPanel(log) {
    const items = [...(log || [])].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    return h('section', { class: 'panel' },
      h('h3', { class: 'panel-title' }, t('ui-log-title')),
      items.length === 0 ? h('p', { class: 'muted small' }, t('ui-log-empty'))
        : h('ol', { class: 'log', 'data-testid': 'post-log' }, items.map((e) => h('li', { class: 'log-item' },
          h('time', { class: 'muted small', datetime: e.created_at, title: fmtDateTime(e.created_at) }, fmtDateTime(e.created_at)),
          h('span', { class: 'log-action' }, label('action', e.action)),
          h('span', {}, logActor(e)),
          h('span', { class: 'muted small' }, label('source', e.source)),
          e.reason ? h('span', { class: 'log-reason' }, reasonLabel({ kind: 'template', value: e.reason })) : null))));
  }

  function render() {
    if (s.id === null) {
      replace(el, h('div', { class: 'state' },
        h('p', { class: 'state-title' }, t('ui-detail-empty')),
        h('p', { class: 'muted' }, t('ui-detail-empty-hint'))));
      return;
    }
    if (!s.data) {
      replace(el, s.error
        ? h('div', { class: 'state state-error' }, h('p', {}, errorText(s.error)),
          h('button', { class: 'btn', type: 'button', onClick: () => { const id = s.id; s.id = null; open(id); } }, t('ui-retry')))
        : h('div', { class: 'state' }, t('ui-loading')));
      return;
    }
    const { post, author, log } = s.data;
    const body = h('div', { class: ['detail-body', !post.body && 'muted'], 'data-testid': 'detail-body', dir: 'auto' });
    if (post.body) body.appendChild(renderEntities(post.body, post.entities, { onOpenLink }));
    else body.textContent = post.media && post.media.length ? t('ui-no-caption') : t('ui-no-text');
    replace(el,
      h('header', { class: 'detail-head' },
        h('h2', { class: 'detail-title' }, t('ui-post-title', { id: post.id })),
        h('span', { class: ['badge', `status-${post.status}`], 'data-testid': 'detail-status' }, label('status', post.status)),
        h('time', { class: 'muted small', datetime: post.created_at, title: fmtDateTime(post.created_at) },
          `${fmtDateTime(post.created_at)} · ${fmtRelative(post.created_at)}`)),
      actionBar(post),
      s.error ? banner('error', errorText(s.error)) : null,
      banners(post),
      flagPanel(post.flags, { onOpenPost: (id) => open(id) }),
      h('article', { class: 'panel' }, h('h3', { class: 'panel-title' }, t('ui-preview-raw')), body),
      mediaList(post.id, post.media),
      s.preview && s.preview.post_id === post.id
        ? previewPanel(s.preview, { onSetSigned: setSigned, onOpenLink, busy: s.busy !== null }) : null,
      authorPanel(post, author),
      thread.el,
      logPanel(log));
  }

  render();
  return {
    el,
    open,
    close,
    refresh,
    currentId: () => s.id,
    status: () => (s.data ? s.data.post.status : null),
    shortcut: (name) => { if (s.data && s.busy === null && actions[name]) actions[name](); },
    rerender: render,
    destroy() {
      close();
      for (const type of ['keydown', 'pointerdown', 'wheel']) document.removeEventListener(type, touch);
    },
  };
}
