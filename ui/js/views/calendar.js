// Calendar view: the coming week's publication slots (in the channel's time zone) with the posts
// scheduled in them, and the parked posts waiting for a time. A post is moved by dragging it onto
// another cell (onto a taken one: the two swap), or by selecting it and choosing a cell (keyboard);
// each post can be published now, unscheduled, sent back to the queue or opened. Every change goes
// through `schedule_move`; another console's change arrives live (`post_scheduled`).
import { h, replace, debounce } from '../dom.js';
import { api } from '../api.js';
import { t, locale, label } from '../i18n.js';
import { toast, toastError } from '../toast.js';

const DAYS = 7;
/** Pixels the pointer travels before a press becomes a drag. */
const DRAG_SLOP = 5;

/** `YYYY-MM-DD` of a date `days` after `date` (both `YYYY-MM-DD`). */
function addDays(date, days) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function dayHeading(date) {
  const d = new Date(`${date}T12:00:00Z`);
  return new Intl.DateTimeFormat(locale(), { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
}

export function createCalendarView({ onOpenPost }) {
  const s = { start: null, data: null, error: null, selected: null, busy: false };
  let token = 0;
  let drag = null;

  const title = h('h2', {}, t('ui-nav-calendar'));
  const zone = h('span', { class: 'muted cal-zone', 'data-testid': 'cal-zone' });
  const prev = h('button', { class: 'btn btn-sm', type: 'button', 'aria-label': t('ui-cal-prev'), onClick: () => go(-DAYS) }, '‹');
  const today = h('button', { class: 'btn btn-sm', type: 'button', onClick: () => { s.start = null; load(); } }, t('ui-cal-today'));
  const next = h('button', { class: 'btn btn-sm', type: 'button', 'aria-label': t('ui-cal-next'), onClick: () => go(DAYS) }, '›');
  const hint = h('p', { class: 'muted cal-hint', 'data-testid': 'cal-hint' });
  const grid = h('div', { class: 'cal-grid', 'data-testid': 'calendar', role: 'grid', 'aria-label': t('ui-nav-calendar') });
  const parked = h('section', { class: 'cal-parked', 'data-testid': 'cal-parked', 'aria-label': t('ui-cal-parked') });
  const el = h('section', { class: 'page cal-page', 'aria-label': t('ui-nav-calendar') },
    h('header', { class: 'page-head' }, title, h('div', { class: 'toolbar' }, zone, prev, today, next)),
    hint, grid, parked);

  function go(days) {
    if (!s.data || !s.data.days.length) return;
    s.start = addDays(s.data.days[0].date, days);
    load();
  }

  async function load() {
    const mine = ++token;
    try {
      const data = await api.scheduleCalendar(s.start, DAYS);
      if (mine !== token) return;
      s.data = data;
      s.error = null;
    } catch (err) {
      if (mine === token) s.error = err;
    }
    if (mine === token) render();
  }
  const reload = debounce(load, 200);

  /** Applies a move and says how it went; the calendar is read again either way. */
  async function move(post, to) {
    if (s.busy) return;
    s.busy = true;
    try {
      const outcome = await api.scheduleMove(post.id, post.scheduled_at || null, to);
      const kind = outcome && outcome.outcome;
      if (kind === 'changed') toast(t(`ui-cal-done-${to.to.replace(/_/g, '-')}`, { id: post.id }), 'success');
      else toast(t(`ui-cal-outcome-${String(kind).replace(/_/g, '-')}`, { id: post.id }), 'warn');
    } catch (err) {
      toastError(err);
    } finally {
      s.busy = false;
      s.selected = null;
      load();
    }
  }

  function moveTo(post, cell) {
    if (post.scheduled_at === cell.at) return;
    move(post, { to: 'at', at: cell.at, swap: Boolean(cell.post) });
  }

  function postCard(post) {
    const badge = post.media_count > 0
      ? h('span', { class: 'badge cal-media' }, `${label('media', post.first_media_kind || 'media')}${post.media_count > 1 ? ` ×${post.media_count}` : ''}`)
      : null;
    const act = (key, testid, fn) => h('button', {
      class: 'btn btn-xs', type: 'button', title: t(key), 'aria-label': `${t(key)} #${post.id}`, 'data-testid': `${testid}-${post.id}`,
      onClick: (e) => { e.stopPropagation(); fn(); },
    }, t(`${key}-short`));
    const card = h('div', {
      class: ['cal-post', s.selected && s.selected.id === post.id ? 'selected' : ''], tabIndex: 0, role: 'button',
      'aria-pressed': s.selected && s.selected.id === post.id ? 'true' : 'false', 'data-testid': `cal-post-${post.id}`,
      dataset: { id: post.id },
    },
    h('div', { class: 'cal-post-head' }, h('span', { class: 'mono' }, `#${post.id}`), badge, h('span', { class: 'muted cal-author' }, post.author_name)),
    h('div', { class: 'cal-excerpt' }, post.excerpt || t('ui-cal-no-text')),
    h('div', { class: 'cal-actions' },
      act('ui-cal-now', 'cal-now', () => move(post, { to: 'now' })),
      post.scheduled_at ? act('ui-cal-park', 'cal-park', () => move(post, { to: 'park' })) : null,
      act('ui-cal-queue', 'cal-queue', () => move(post, { to: 'to_queue' })),
      act('ui-cal-open', 'cal-open', () => onOpenPost(post.id))));
    card.addEventListener('click', () => { s.selected = s.selected && s.selected.id === post.id ? null : post; render(); });
    card.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); card.click(); } });
    card.addEventListener('mousedown', (e) => startDrag(e, post, card));
    return card;
  }

  function cellEl(cell) {
    const target = s.selected && (!cell.post || cell.post.id !== s.selected.id);
    const node = h('div', {
      class: ['cal-cell', cell.post ? 'taken' : 'free', cell.slot ? '' : 'off-plan', target ? 'target' : ''],
      role: 'gridcell', 'data-testid': `cell-${Date.parse(cell.at) / 1000}`, dataset: { at: cell.at },
    },
    h('time', { class: 'cal-time', datetime: cell.at }, cell.time),
    cell.post ? postCard(cell.post) : null,
    target ? h('button', { class: 'btn btn-xs cal-here', type: 'button', onClick: () => moveTo(s.selected, cell) }, t('ui-cal-move-here')) : null);
    node.calCell = cell;
    return node;
  }

  // Dragging with the mouse: the card follows nothing; the cell under the pointer is marked,
  // and releasing over it moves the post there.
  function startDrag(e, post, card) {
    if (e.button !== 0 || e.target.closest('button')) return;
    e.preventDefault(); // no text selection while dragging
    drag = { post, card, x: e.clientX, y: e.clientY, active: false, over: null };
  }
  function cellAt(x, y) {
    const found = document.elementFromPoint(x, y);
    return found && found.closest ? found.closest('.cal-cell') : null;
  }
  function onMove(e) {
    if (!drag) return;
    if (!drag.active && Math.hypot(e.clientX - drag.x, e.clientY - drag.y) < DRAG_SLOP) return;
    drag.active = true;
    drag.card.classList.add('dragging');
    const over = cellAt(e.clientX, e.clientY);
    if (over !== drag.over) {
      if (drag.over) drag.over.classList.remove('drop');
      drag.over = over;
      if (over) over.classList.add('drop');
    }
  }
  function onUp(e) {
    if (!drag) return;
    const { post, card, active } = drag;
    const over = active ? cellAt(e.clientX, e.clientY) : null;
    if (drag.over) drag.over.classList.remove('drop');
    card.classList.remove('dragging');
    drag = null;
    if (active) {
      e.preventDefault();
      suppressClick();
      if (over && over.calCell) moveTo(post, over.calCell);
    }
  }
  /** The click that ends a drag must not also select the card. */
  function suppressClick() {
    const stop = (ev) => { ev.stopPropagation(); ev.preventDefault(); };
    window.addEventListener('click', stop, { capture: true, once: true });
    setTimeout(() => window.removeEventListener('click', stop, { capture: true }), 0);
  }

  function render() {
    if (s.error) {
      replace(grid, h('div', { class: 'state state-error' }, h('p', {}, String(s.error.message || s.error)),
        h('button', { class: 'btn', type: 'button', onClick: () => load() }, t('ui-retry'))));
      return;
    }
    if (!s.data) { replace(grid, h('p', { class: 'state' }, t('ui-loading'))); return; }
    zone.textContent = `${t('ui-cal-zone')}: ${s.data.zone}`;
    hint.textContent = s.selected ? t('ui-cal-hint-selected', { id: s.selected.id }) : t(`ui-cal-hint-${s.data.mode}`);
    replace(grid, s.data.days.map((day) => h('div', { class: 'cal-day', role: 'row', 'data-testid': `day-${day.date}` },
      h('h3', { class: 'cal-day-head' }, dayHeading(day.date)),
      day.cells.length ? day.cells.map(cellEl) : h('p', { class: 'muted cal-empty' }, t('ui-cal-no-slots')))));
    replace(parked, h('h3', {}, t('ui-cal-parked')),
      s.data.parked.length
        ? h('div', { class: 'cal-parked-list' }, s.data.parked.map(postCard))
        : h('p', { class: 'muted' }, t('ui-cal-parked-empty')));
  }

  return {
    el,
    mount() {
      window.addEventListener('mousemove', onMove);
      window.addEventListener('mouseup', onUp);
      load();
    },
    unmount() {
      window.removeEventListener('mousemove', onMove);
      window.removeEventListener('mouseup', onUp);
      drag = null;
    },
    onChanged: (evt) => { if (!evt || evt.event !== 'post_claimed') reload(); },
    tick() { load(); },
    keys: {},
  };
}
