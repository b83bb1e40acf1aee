// The Queue and History views: post list on the left, detail pane on the right, live refresh and shortcuts.
import { h } from '../dom.js';
import { createPostList } from '../queue.js';
import { createDetail } from '../detail.js';
import { createBulkBar } from '../bulk.js';
import { t } from '../i18n.js';
import { toast } from '../toast.js';

/** `mode`: 'queue' | 'history'. `onOpenLink(url)` opens a link after the moderator asked to. */
export function createPostsView({ mode, onOpenLink, onCountsStale }) {
  let advanceFrom = null;
  const bulkBar = mode === 'queue' ? createBulkBar({ onDone: () => { list.clearChecked(); list.reload(); onCountsStale(); } }) : null;
  const detail = createDetail({
    onDecided: (id) => {
      // Move on to the next post, as moderators work down the queue.
      advanceFrom = list.neighbour(id);
      detail.refresh();
      list.reload().then(() => {
        const next = advanceFrom;
        advanceFrom = null;
        if (next !== null && list.has(next)) list.select(next);
        else if (!list.has(id)) detail.close();
      });
      onCountsStale();
    },
    onStale: () => { list.reloadSoon(); onCountsStale(); },
    onOpenLink,
  });
  const list = createPostList({ mode, bulkBar, onOpen: (id) => openSoon(id) });

  // j/j/j should not claim every post it passes: open after the selection settles.
  let openTimer = null;
  function openSoon(id) {
    clearTimeout(openTimer);
    openTimer = setTimeout(() => detail.open(id), 120);
  }

  const el = h('div', { class: 'split', dataset: { view: mode } }, list.el, detail.el);
  let started = false;

  return {
    el,
    mount() {
      if (!started) { started = true; list.start(); } else list.reload();
    },
    unmount() {
      clearTimeout(openTimer);
      detail.close();
      list.select(null, { open: false });
    },
    /** A `postgate://changed` payload. */
    onChanged(evt) {
      if (!evt || evt.event === 'resync') { list.reload(); detail.refresh(); return; }
      list.reloadSoon();
      const current = detail.currentId();
      if (current !== null && (evt.post_id === current || evt.post_id === null || evt.post_id === undefined)) {
        detail.refresh();
        if (evt.event === 'post_edited' && evt.post_id === current) toast(t('ui-edited-live', { id: current }), 'info');
      }
    },
    destroy: () => detail.destroy(),
    /** Opens post `id` in the detail pane, whether or not the list shows it (the bot panel's
     * post references). */
    openPost(id) { clearTimeout(openTimer); detail.open(id); },
    setStatus: (status) => list.setStatus(status),
    tick() {
      list.rerenderTimes();
      list.refreshClaims();
    },
    keys: {
      next: () => list.move(1),
      prev: () => list.move(-1),
      approve: () => detail.shortcut('approve'),
      edit: () => detail.shortcut('edit'),
      reject: () => detail.shortcut('reject'),
      ban: () => detail.shortcut('ban'),
      search: () => list.focusSearch(),
      escape: () => { if (detail.currentId() !== null) { clearTimeout(openTimer); detail.close(); list.select(null, { open: false }); } },
    },
  };
}
