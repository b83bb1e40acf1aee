// Toasts: short, non-blocking outcome messages (data-testid="toast"), plus the message for an ApiError.
import { h } from './dom.js';
import { t } from './i18n.js';

let region = null;

/** Mounts the live region once. */
export function mountToasts(parent) {
  region = h('div', { class: 'toasts', 'aria-live': 'polite', 'aria-atomic': 'false' });
  parent.appendChild(region);
}

/**
 * Shows a message. `kind`: info | success | warn | error. Errors stay longer; a click dismisses.
 * `action` ({ label, onClick, testid }) adds a button and keeps the toast for `action.ms` (10 s).
 */
export function toast(message, kind = 'info', action = null) {
  if (!region) return;
  const el = h('div', {
    class: ['toast', `toast-${kind}`],
    'data-testid': 'toast',
    dataset: { kind },
    role: kind === 'error' ? 'alert' : 'status',
    onClick: () => el.remove(),
  }, message, action ? h('button', {
    class: 'btn btn-sm toast-action', type: 'button', 'data-testid': action.testid || 'toast-action',
    onClick: (e) => { e.stopPropagation(); el.remove(); action.onClick(); },
  }, action.label) : null);
  region.appendChild(el);
  while (region.children.length > 4) region.firstChild.remove();
  setTimeout(() => el.remove(), action ? (action.ms || 10000) : (kind === 'error' || kind === 'warn' ? 9000 : 5000));
}

/** A moderator-readable sentence for an ApiError (code-specific prefix + the server's message). */
export function errorText(err) {
  const code = err && err.code ? err.code : 'internal';
  const prefix = t(`ui-error-${code.replace(/_/g, '-')}`);
  const detail = err && err.message && err.message !== code ? err.message : '';
  return detail ? `${prefix}: ${detail}` : prefix;
}

/** Shows an ApiError as an error toast. */
export function toastError(err) {
  toast(errorText(err), 'error');
}
