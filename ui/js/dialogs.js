// Modal dialogs: a focus-trapping modal helper, and the reject, edit-and-approve, ban, confirm and bulk-result dialogs.
import { h } from './dom.js';
import { MAX_TEXT, measure } from './textlimits.js';
import { t, rejectTemplates, label } from './i18n.js';
import { errorText } from './toast.js';

let current = null;
let seq = 0;

/** Whether a modal is open (shortcuts other than Esc are off then). */
export function modalOpen() {
  return current !== null;
}

/** Closes the open modal (only if it is `panel`, when given) and gives focus back to where it was. */
export function closeModal(panel) {
  if (!current || (panel && current.panel !== panel)) return;
  const { backdrop, prevFocus, onClose } = current;
  current = null;
  backdrop.remove();
  if (onClose) onClose();
  if (prevFocus && typeof prevFocus.focus === 'function' && document.contains(prevFocus)) prevFocus.focus();
}

const FOCUSABLE = 'button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), a[href], [tabindex="0"]';

/** Opens a modal: `{ title, body, actions, testid, onClose, focus, wide }`. */
export function openModal({ title, body, actions = [], testid, onClose, focus, wide }) {
  closeModal();
  seq += 1;
  const titleId = `modal-title-${seq}`;
  const panel = h('div', {
    class: ['modal', wide && 'modal-wide'], role: 'dialog', 'aria-modal': 'true',
    'aria-labelledby': titleId, 'data-testid': testid,
  },
  h('h2', { class: 'modal-title', id: titleId }, title),
  h('div', { class: 'modal-body' }, body),
  actions.length ? h('div', { class: 'modal-actions' }, actions) : null);
  const backdrop = h('div', {
    class: 'backdrop',
    onMousedown: (e) => { if (e.target === backdrop) closeModal(); },
  }, panel);
  panel.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const items = [...panel.querySelectorAll(FOCUSABLE)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
  current = { backdrop, panel, prevFocus: document.activeElement, onClose };
  document.body.appendChild(backdrop);
  const target = focus || panel.querySelector(FOCUSABLE);
  if (target) target.focus();
  return panel;
}

/**
 * Runs `work()` with `button` disabled and a busy state; shows an ApiError under the form
 * (in `errorEl`) instead of closing. Resolves to whether it succeeded.
 */
async function busy(button, errorEl, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  errorEl.textContent = '';
  try {
    await work();
    return true;
  } catch (err) {
    errorEl.textContent = errorText(err);
    return false;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/**
 * The reject dialog. `onConfirm(reason, banAuthor)` performs the request; the dialog closes when
 * it resolves and shows the error when it throws.
 */
export function openRejectDialog({ title, allowBan = true, onConfirm }) {
  const templates = rejectTemplates();
  let mode = null; // 'template' | 'custom'
  let chosen = null;
  const error = h('p', { class: 'form-error', role: 'alert' });
  const counter = h('span', { class: 'muted small' }, '0/500');
  const custom = h('textarea', {
    class: 'input', rows: '3', maxlength: '500', 'data-testid': 'reason-custom', id: 'reject-custom',
    placeholder: t('ui-reject-custom-placeholder'), 'aria-label': t('ui-reject-custom'),
  });
  const radios = templates.map((tpl) => h('input', {
    type: 'radio', name: 'reject-reason', value: tpl.name, 'data-testid': `reason-${tpl.name}`,
    id: `reason-${tpl.name}`,
  }));
  const ban = h('input', { type: 'checkbox', id: 'reject-ban' });
  const confirm = h('button', {
    class: 'btn btn-danger', type: 'button', 'data-testid': 'reject-confirm', disabled: true,
  }, t('ui-reject-confirm'));
  const update = () => {
    confirm.disabled = !(mode === 'template' ? chosen : custom.value.trim());
    counter.textContent = `${custom.value.length}/500`;
  };
  radios.forEach((r) => {
    r.addEventListener('change', () => {
      if (r.checked) { mode = 'template'; chosen = r.value; custom.value = ''; update(); }
    });
    // Keyboard flow: r, arrows/space to pick, Enter to reject.
    r.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      if (!r.checked) { r.checked = true; r.dispatchEvent(new Event('change')); }
      submit();
    });
  });
  custom.addEventListener('input', () => {
    if (custom.value.trim()) {
      mode = 'custom';
      radios.forEach((r) => { r.checked = false; });
      chosen = null;
    } else if (!chosen) {
      mode = null;
    }
    update();
  });
  const submit = async () => {
    if (confirm.disabled) return;
    const reason = mode === 'template'
      ? { kind: 'template', value: chosen }
      : { kind: 'custom', value: custom.value.trim() };
    const ok = await busy(confirm, error, () => onConfirm(reason, allowBan && ban.checked));
    if (ok) closeModal(panel);
  };
  confirm.addEventListener('click', submit);
  custom.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  const options = h('div', { class: 'reason-list', role: 'radiogroup', 'aria-label': t('ui-reject-reason') },
    templates.map((tpl, i) => h('label', { class: 'reason-option', for: `reason-${tpl.name}` },
      radios[i], h('span', { class: 'reason-label' }, tpl.label || label('reason', tpl.name)))));
  const panel = openModal({
    title,
    testid: 'reject-dialog',
    body: [
      templates.length ? options : h('p', { class: 'muted' }, t('ui-reject-no-templates')),
      h('label', { class: 'field-label', for: 'reject-custom' }, t('ui-reject-custom'), ' ', counter),
      custom,
      allowBan ? h('label', { class: 'check', for: 'reject-ban' }, ban, t('ui-reject-and-ban')) : null,
      error,
    ],
    actions: [
      h('button', { class: 'btn', type: 'button', onClick: () => closeModal() }, t('ui-cancel')),
      confirm,
    ],
    focus: radios[0] || custom,
  });
}

/** Edit & approve: the body in a textarea; `onConfirm(text)` approves with it. */
export function openEditDialog({ title, body, limit, onConfirm }) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const area = h('textarea', {
    class: 'input mono-ish', rows: '12', id: 'edit-body', 'data-testid': 'edit-body',
    'aria-label': t('ui-edit-body'), 'aria-describedby': 'edit-count',
  });
  area.value = body || '';
  const confirm = h('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'edit-confirm' },
    t('ui-edit-confirm'));
  // Telegram refuses a longer text when it publishes: say so while typing, not after approving.
  const count = h('p', { class: 'muted small', id: 'edit-count', 'data-testid': 'edit-count', 'aria-live': 'polite' });
  const recount = () => {
    const m = measure(area.value, limit || MAX_TEXT);
    count.textContent = m.over ? t('ui-edit-too-long', m) : t('ui-edit-count', m);
    count.classList.toggle('form-error', m.over);
    confirm.disabled = m.over;
  };
  area.addEventListener('input', recount);
  recount();
  const submit = async () => {
    if (confirm.disabled) return;
    const ok = await busy(confirm, error, () => onConfirm(area.value));
    if (ok) closeModal(panel);
  };
  confirm.addEventListener('click', submit);
  area.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); }
  });
  const panel = openModal({
    title,
    testid: 'edit-dialog',
    wide: true,
    body: [
      h('p', { class: 'muted small' }, t('ui-edit-hint')),
      area,
      count,
      error,
    ],
    actions: [h('button', { class: 'btn', type: 'button', onClick: () => closeModal() }, t('ui-cancel')), confirm],
    focus: area,
  });
}

/** Ban an author: a reason the log keeps; `onConfirm(reason)` bans. */
export function openBanDialog({ title, onConfirm }) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const input = h('input', {
    class: 'input', type: 'text', id: 'ban-reason', 'data-testid': 'ban-reason', maxlength: '500',
    placeholder: t('ui-ban-reason-placeholder'),
  });
  const confirm = h('button', { class: 'btn btn-danger', type: 'button', 'data-testid': 'ban-confirm', disabled: true },
    t('ui-ban-confirm'));
  input.addEventListener('input', () => { confirm.disabled = !input.value.trim(); });
  const submit = async () => {
    if (confirm.disabled) return;
    const ok = await busy(confirm, error, () => onConfirm(input.value.trim()));
    if (ok) closeModal(panel);
  };
  confirm.addEventListener('click', submit);
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); submit(); } });
  const panel = openModal({
    title,
    testid: 'ban-dialog',
    body: [h('label', { class: 'field-label', for: 'ban-reason' }, t('ui-ban-reason')), input, error],
    actions: [h('button', { class: 'btn', type: 'button', onClick: () => closeModal() }, t('ui-cancel')), confirm],
    focus: input,
  });
}

/** A yes/no question; `onConfirm()` does the work. */
export function openConfirm({ title, text, confirmLabel, danger, onConfirm }) {
  const error = h('p', { class: 'form-error', role: 'alert' });
  const confirm = h('button', { class: ['btn', danger ? 'btn-danger' : 'btn-primary'], type: 'button', 'data-testid': 'confirm' },
    confirmLabel);
  confirm.addEventListener('click', async () => {
    const ok = await busy(confirm, error, onConfirm);
    if (ok) closeModal(panel);
  });
  const panel = openModal({
    title,
    testid: 'confirm-dialog',
    body: [h('p', {}, text), error],
    actions: [h('button', { class: 'btn', type: 'button', onClick: () => closeModal() }, t('ui-cancel')), confirm],
    focus: confirm,
  });
}

/** Per-item outcomes of a bulk decision: `[{ id, text, ok }]`. */
export function openBulkResults({ title, items }) {
  const list = h('ul', { class: 'bulk-results', 'data-testid': 'bulk-results' },
    items.map((it) => h('li', { class: ['bulk-result', it.ok ? 'ok' : 'fail'], 'data-testid': `bulk-result-${it.id}` },
      h('span', { class: 'bulk-mark', 'aria-hidden': 'true' }, it.ok ? '✓' : '✕'),
      h('span', { class: 'mono' }, `#${it.id}`),
      h('span', {}, it.text))));
  openModal({
    title,
    testid: 'bulk-dialog',
    body: list,
    actions: [h('button', { class: 'btn btn-primary', type: 'button', onClick: () => closeModal() }, t('ui-close'))],
  });
}
