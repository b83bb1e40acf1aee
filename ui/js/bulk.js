// Bulk decisions on the checked rows: Approve / Reject (one reason for all) via bulk_decide, with per-item outcomes.
import { h } from './dom.js';
import { api } from './api.js';
import { t, fmtNumber } from './i18n.js';
import { describeDecide } from './outcome.js';
import { toast } from './toast.js';
import { openRejectDialog, openConfirm, openBulkResults } from './dialogs.js';

/** `onDone()` runs after a bulk request (the view clears the checks and reloads). */
export function createBulkBar({ onDone }) {
  let ids = [];
  let busy = false;
  const count = h('span', { class: 'muted small', 'data-testid': 'bulk-count' });
  const approve = h('button', { class: 'btn btn-primary btn-sm', type: 'button', 'data-testid': 'bulk-approve', disabled: true },
    t('ui-bulk-approve'));
  const reject = h('button', { class: 'btn btn-danger-soft btn-sm', type: 'button', 'data-testid': 'bulk-reject', disabled: true },
    t('ui-bulk-reject'));
  const el = h('div', { class: 'bulk-actions' }, count, approve, reject);

  function sync() {
    count.textContent = ids.length ? t('ui-bulk-selected', { count: fmtNumber(ids.length) }) : '';
    approve.disabled = busy || ids.length === 0;
    reject.disabled = busy || ids.length === 0;
  }

  async function run(action, reason) {
    const chosen = [...ids];
    busy = true;
    sync();
    try {
      const res = await api.bulkDecide(chosen, action, reason);
      const results = (res && res.results) || [];
      const success = action === 'approve' ? 'ui-outcome-approved' : 'ui-outcome-rejected';
      const items = results.map((r) => ({ id: r.id, ...describeDecide(r.outcome, r.id, success) }));
      const ok = items.filter((i) => i.ok).length;
      toast(t('ui-bulk-done', { approved: fmtNumber(ok), count: fmtNumber(items.length) }), ok === items.length ? 'success' : 'warn');
      if (ok !== items.length) openBulkResults({ title: t('ui-bulk-results-title'), items });
    } finally {
      busy = false;
      sync();
      onDone();
    }
  }

  approve.addEventListener('click', () => {
    if (ids.length === 0) return;
    openConfirm({
      title: t('ui-bulk-approve-title', { count: fmtNumber(ids.length) }),
      text: t('ui-bulk-approve-text', { count: fmtNumber(ids.length) }),
      confirmLabel: t('ui-bulk-approve'),
      onConfirm: () => run('approve'),
    });
  });
  reject.addEventListener('click', () => {
    if (ids.length === 0) return;
    openRejectDialog({
      title: t('ui-bulk-reject-title', { count: fmtNumber(ids.length) }),
      allowBan: false,
      onConfirm: (reason) => run('reject', reason),
    });
  });

  return {
    el,
    update(next) { ids = next; sync(); },
  };
}
