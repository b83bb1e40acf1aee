// The post list of the Queue and History views: filters, debounced search, paging, rows, selection, bulk checkboxes.
import { h, replace, debounce } from './dom.js';
import { api } from './api.js';
import { t, label, fmtNumber, fmtRelative, fmtDateTime, isFuture } from './i18n.js';
import { who, isMe } from './outcome.js';
import { errorText } from './toast.js';
import { filterOptions as flagOptions, rowBadges as flagBadges } from './flags.js';

const PAGE = 50;
const MAX_LIMIT = 200;
const MEDIA_KINDS = ['photo', 'video', 'animation', 'document', 'audio', 'voice'];
const QUEUE_STATUSES = ['pending', 'changes_requested', 'approved', 'published', 'publish_failed', 'rejected'];
const HISTORY_STATUSES = ['published', 'rejected', 'publish_failed', 'approved'];

/** Glyphs beside the media kind label (decoration only; the label says it in words). */
const MEDIA_GLYPH = { photo: '▣', video: '▶', animation: '↻', document: '▤', audio: '♪', voice: '◉' };

/**
 * A post list. `mode`: 'queue' (pending, oldest first, bulk) or 'history' (decided, newest first).
 * `onOpen(id)` fires when the selection changes to a post; `onBulk(ids)` gets the checked ids.
 */
export function createPostList({ mode, onOpen, bulkBar }) {
  const history = mode === 'history';
  const statuses = history ? HISTORY_STATUSES : QUEUE_STATUSES;
  const filters = { status: statuses[0], media_kind: '', edited: '', search: '', author: '', flags: '' };
  const s = { posts: [], total: 0, loading: false, error: null, loaded: false, selectedId: null, checked: new Set() };
  let token = 0;

  const totalEl = h('span', { class: 'total muted', 'data-testid': 'total' });
  const search = h('input', {
    class: 'input search', type: 'search', 'data-testid': 'search', placeholder: t('ui-search-placeholder'),
    'aria-label': t('ui-search'), autocomplete: 'off', spellcheck: 'false',
  });
  const select = (name, options, value) => {
    const el = h('select', { class: 'input select', 'aria-label': t(`ui-filter-${name}`), 'data-testid': `filter-${name}` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
    el.addEventListener('change', () => { filters[name === 'media' ? 'media_kind' : name] = el.value; reset(); });
    return el;
  };
  const statusSel = select('status', [
    ...statuses.map((st) => [st, label('status', st)]),
    ...(history ? [] : [['', t('ui-filter-any-status')]]),
  ], filters.status);
  const mediaSel = select('media', [['', t('ui-filter-any-media')], ...MEDIA_KINDS.map((k) => [k, label('media', k)])], '');
  // Author filter: a Telegram user id (digits only; anything else is ignored).
  const authorInput = h('input', {
    class: 'input author-filter', type: 'text', inputmode: 'numeric', 'data-testid': 'filter-author',
    placeholder: t('ui-filter-author'), 'aria-label': t('ui-filter-author'), autocomplete: 'off',
  });
  const runAuthor = debounce(() => {
    const v = authorInput.value.trim();
    filters.author = /^[1-9][0-9]{0,18}$/.test(v) ? v : '';
    reset();
  }, 300);
  authorInput.addEventListener('input', runAuthor);
  const editedSel = select('edited', [['', t('ui-filter-edited-any')], ['true', t('ui-filter-edited-yes')], ['false', t('ui-filter-edited-no')]], '');
  const flagsSel = select('flags', flagOptions(), '');
  const runSearch = debounce(() => { filters.search = search.value.trim(); reset(); }, 300);
  search.addEventListener('input', runSearch);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && search.value) { e.stopPropagation(); search.value = ''; runSearch(); }
    if (e.key === 'Enter') { runSearch.cancel(); filters.search = search.value.trim(); reset(); }
  });

  const selectAll = h('input', { type: 'checkbox', class: 'check', 'aria-label': t('ui-select-page'), 'data-testid': 'select-all' });
  selectAll.addEventListener('change', () => {
    if (selectAll.checked) s.posts.forEach((p) => s.checked.add(p.id));
    else s.checked.clear();
    renderRows();
  });

  const listEl = h('ul', {
    class: 'rows', role: 'listbox', 'data-testid': 'queue', 'aria-label': t(history ? 'ui-nav-history' : 'ui-nav-queue'),
    tabindex: '0',
  });
  const footer = h('div', { class: 'list-footer' });
  const toolbar = h('div', { class: 'toolbar toolbar-list' },
    h('div', { class: 'toolbar-row' }, search, totalEl),
    h('div', { class: 'toolbar-row' }, statusSel, mediaSel, editedSel, flagsSel, authorInput));
  const bulkRow = history ? null : h('div', { class: 'bulkbar' },
    h('label', { class: 'check' }, selectAll, t('ui-select-page')), bulkBar ? bulkBar.el : null);
  const el = h('section', { class: 'list-pane', 'aria-label': t('ui-list') }, toolbar, bulkRow, h('div', { class: 'rows-scroll' }, listEl, footer));

  function query(offset, limit) {
    const q = { newest_first: history, offset, limit };
    if (filters.status) q.status = filters.status;
    if (filters.media_kind) q.media_kind = filters.media_kind;
    if (filters.edited) q.edited = filters.edited === 'true';
    if (filters.search) q.search = filters.search;
    if (filters.author) q.author = Number(filters.author);
    if (filters.flags) q.flags = Number(filters.flags);
    return q;
  }

  /** Fetches `count` rows from the top, in pages the command accepts. */
  async function fetchTop(count) {
    const posts = [];
    let total = 0;
    do {
      const limit = Math.min(MAX_LIMIT, Math.max(PAGE, count - posts.length));
      const page = await api.queueList(query(posts.length, limit));
      total = Number(page.total) || 0;
      posts.push(...(page.posts || []));
      if (!page.posts || page.posts.length < limit) break;
    } while (posts.length < count);
    return { posts, total };
  }

  async function load(count) {
    const mine = ++token;
    s.loading = true;
    renderFooter();
    try {
      const { posts, total } = await fetchTop(count);
      if (mine !== token) return;
      s.posts = posts;
      s.total = total;
      s.error = null;
      const ids = new Set(posts.map((p) => p.id));
      for (const id of [...s.checked]) if (!ids.has(id)) s.checked.delete(id);
    } catch (err) {
      if (mine !== token) return;
      s.error = err;
    } finally {
      if (mine === token) {
        s.loading = false;
        s.loaded = true;
        render();
      }
    }
  }

  function reset() {
    s.checked.clear();
    listEl.scrollTop = 0;
    load(PAGE);
  }

  /** Re-reads what is shown (same filters, same number of rows). */
  const reload = () => load(Math.max(PAGE, s.posts.length));
  const reloadSoon = debounce(reload, 250);

  async function loadMore() {
    const mine = ++token;
    s.loading = true;
    renderFooter();
    try {
      const page = await api.queueList(query(s.posts.length, PAGE));
      if (mine !== token) return;
      const known = new Set(s.posts.map((p) => p.id));
      s.posts.push(...(page.posts || []).filter((p) => !known.has(p.id)));
      s.total = Number(page.total) || 0;
      s.error = null;
    } catch (err) {
      if (mine === token) s.error = err;
    } finally {
      if (mine === token) { s.loading = false; render(); }
    }
  }

  function badges(p) {
    const out = [];
    if (p.media_count > 0) {
      const kind = p.first_media_kind || 'document';
      out.push(h('span', { class: ['badge', 'badge-media'], title: label('media', kind) },
        h('span', { 'aria-hidden': 'true' }, MEDIA_GLYPH[kind] || '▢'), ' ', label('media', kind),
        p.media_count > 1 ? ` ×${p.media_count}` : ''));
    }
    if (p.edited_by_author) out.push(h('span', { class: ['badge', 'badge-edited'], 'data-testid': 'badge-edited' }, t('ui-badge-edited')));
    out.push(...flagBadges(p.flag_mask));
    if (p.claimed_by !== null && p.claimed_by !== undefined && isFuture(p.claim_expires_at)) {
      out.push(h('span', { class: ['badge', isMe(p.claimed_by) ? 'badge-mine' : 'badge-claimed'], 'data-testid': 'badge-claimed' },
        isMe(p.claimed_by) ? t('ui-badge-mine') : t('ui-badge-claimed', { moderator: who(p.claimed_by) })));
    }
    if (filters.status !== 'pending') {
      out.push(h('span', { class: ['badge', `status-${p.status}`] }, label('status', p.status)));
    }
    return out;
  }

  function row(p) {
    const selected = p.id === s.selectedId;
    const time = history && p.decided_at ? p.decided_at : p.created_at;
    const check = history ? null : h('input', {
      type: 'checkbox', class: 'check', checked: s.checked.has(p.id), 'aria-label': t('ui-select-row', { id: p.id }),
      'data-testid': `check-${p.id}`,
    });
    if (check) {
      check.addEventListener('click', (e) => e.stopPropagation());
      check.addEventListener('change', () => {
        if (check.checked) s.checked.add(p.id); else s.checked.delete(p.id);
        syncBulk();
      });
    }
    return h('li', {
      class: ['row', selected && 'selected'], role: 'option', 'aria-selected': selected ? 'true' : 'false',
      'data-testid': `row-${p.id}`, dataset: { id: p.id },
      onClick: () => selectId(p.id),
    },
    check,
    h('div', { class: 'row-main' },
      h('div', { class: 'row-top' },
        h('span', { class: 'row-id mono' }, `#${p.id}`),
        h('span', { class: 'row-author' }, p.author_name || t('ui-author-unknown')),
        h('span', { class: 'row-badges' }, badges(p)),
        h('time', { class: 'row-time muted', datetime: time, title: fmtDateTime(time), dataset: { ts: time } }, fmtRelative(time))),
      h('div', { class: ['row-excerpt', !p.excerpt && 'muted'], 'data-testid': 'row-excerpt' },
        p.excerpt || (p.media_count > 0 ? t('ui-no-caption') : t('ui-no-text')))));
  }

  function renderRows() {
    if (!s.loaded) {
      replace(listEl, h('li', { class: 'state' }, t('ui-loading')));
    } else if (s.error && s.posts.length === 0) {
      replace(listEl, h('li', { class: 'state state-error' },
        h('p', {}, errorText(s.error)),
        h('button', { class: 'btn', type: 'button', onClick: reload }, t('ui-retry'))));
    } else if (s.posts.length === 0) {
      const filtered = filters.search || filters.media_kind || filters.edited || filters.author || filters.flags;
      replace(listEl, h('li', { class: 'state' },
        h('p', { class: 'state-title' }, t(filtered ? 'ui-empty-filtered' : (filters.status === 'pending' ? 'ui-empty-queue' : 'ui-empty-list'))),
        filtered ? h('p', { class: 'muted' }, t('ui-empty-filtered-hint')) : null));
    } else {
      replace(listEl, s.posts.map(row));
    }
    syncBulk();
  }

  function renderFooter() {
    const shown = s.posts.length;
    replace(footer,
      s.error && shown > 0 ? h('p', { class: 'form-error' }, errorText(s.error)) : null,
      shown < s.total
        ? h('button', { class: 'btn btn-block', type: 'button', disabled: s.loading, 'data-testid': 'load-more', onClick: loadMore },
          s.loading ? t('ui-loading') : `${t('ui-load-more')} · ${fmtNumber(shown)} / ${fmtNumber(s.total)}`)
        : (s.loading && s.loaded ? h('p', { class: 'muted small' }, t('ui-loading')) : null));
  }

  function render() {
    totalEl.textContent = t('ui-total', { count: fmtNumber(s.total) });
    renderRows();
    renderFooter();
  }

  function syncBulk() {
    if (history) return;
    const n = s.checked.size;
    selectAll.checked = n > 0 && n === s.posts.length;
    selectAll.indeterminate = n > 0 && n < s.posts.length;
    if (bulkBar) bulkBar.update([...s.checked]);
  }

  function selectId(id, { open = true } = {}) {
    s.selectedId = id;
    for (const li of listEl.children) {
      const on = li.dataset && Number(li.dataset.id) === id;
      li.classList.toggle('selected', on);
      if (li.getAttribute('role') === 'option') li.setAttribute('aria-selected', on ? 'true' : 'false');
      if (on) li.scrollIntoView({ block: 'nearest' });
    }
    if (open && onOpen) onOpen(id);
  }

  /** Moves the selection by `delta` rows (j/k). */
  function move(delta) {
    if (s.posts.length === 0) return;
    const i = s.posts.findIndex((p) => p.id === s.selectedId);
    const next = i < 0 ? (delta > 0 ? 0 : s.posts.length - 1) : Math.min(s.posts.length - 1, Math.max(0, i + delta));
    if (s.posts[next].id !== s.selectedId) selectId(s.posts[next].id);
    if (next === s.posts.length - 1 && s.posts.length < s.total && !s.loading) loadMore();
  }

  /** The id after `id` in the current order (or before it, at the end), for auto-advance. */
  function neighbour(id) {
    const i = s.posts.findIndex((p) => p.id === id);
    if (i < 0) return null;
    const n = s.posts[i + 1] || s.posts[i - 1];
    return n ? n.id : null;
  }

  function rerenderTimes() {
    for (const time of listEl.querySelectorAll('time[data-ts]')) time.textContent = fmtRelative(time.dataset.ts);
  }

  return {
    el,
    start: () => load(PAGE),
    reload,
    reloadSoon,
    refreshClaims: () => renderRows(),
    rerenderTimes,
    move,
    neighbour,
    select: selectId,
    selectedId: () => s.selectedId,
    has: (id) => s.posts.some((p) => p.id === id),
    checked: () => [...s.checked],
    clearChecked: () => { s.checked.clear(); renderRows(); },
    focusSearch: () => { search.focus(); search.select(); },
    focusList: () => listEl.focus(),
    filters: () => ({ ...filters }),
    /** Shows one status (e.g. the header's "failed" count opens History on publish_failed). */
    setStatus(status) {
      if (filters.status === status) return;
      filters.status = status;
      statusSel.value = status;
      reset();
    },
  };
}
