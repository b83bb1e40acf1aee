// Keyboard shortcuts: j/k a e r b / ? and Esc; never while the moderator is typing or a dialog is open.
import { h } from './dom.js';
import { t } from './i18n.js';
import { isTyping } from './dom.js';
import { modalOpen, closeModal, openModal } from './dialogs.js';

/** The shortcut list shown by `?` (key, message key). */
export const SHORTCUTS = [
  ['j', 'ui-key-next'], ['k', 'ui-key-prev'], ['a', 'ui-key-approve'], ['e', 'ui-key-edit'],
  ['r', 'ui-key-reject'], ['b', 'ui-key-ban'], ['/', 'ui-key-search'], ['?', 'ui-key-help'], ['Esc', 'ui-key-escape'],
];

/** The `?` overlay. */
export function openShortcuts() {
  openModal({
    title: t('ui-shortcuts-title'),
    testid: 'shortcuts',
    body: h('dl', { class: 'shortcuts' }, SHORTCUTS.map(([key, text]) => h('div', { class: 'shortcut' },
      h('dt', {}, h('kbd', { class: 'kbd' }, key)), h('dd', {}, t(text))))),
    actions: [h('button', { class: 'btn btn-primary', type: 'button', onClick: () => closeModal() }, t('ui-close'))],
  });
}

/** The key as on a Latin layout, so shortcuts work with the Russian layout switched on too. */
function latinKey(e) {
  if (/^[a-z/?]$/.test(e.key)) return e.key;
  const m = /^Key([A-Z])$/.exec(e.code || '');
  if (m) return e.shiftKey ? '' : m[1].toLowerCase();
  if (e.code === 'Slash') return e.shiftKey ? '?' : '/';
  return '';
}

/**
 * Installs the handler. `handlers` maps action names (next, prev, approve, edit, reject, ban,
 * search, escape) to functions of the current view; missing ones are ignored.
 */
export function installKeys(getHandlers) {
  const map = { j: 'next', k: 'prev', a: 'approve', e: 'edit', r: 'reject', b: 'ban', '/': 'search' };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (modalOpen()) { e.preventDefault(); closeModal(); return; }
      const handlers = getHandlers();
      if (!isTyping(e.target) && handlers.escape) handlers.escape();
      return;
    }
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (isTyping(e.target) || modalOpen()) return;
    const key = latinKey(e);
    if (key === '?') { e.preventDefault(); openShortcuts(); return; }
    const action = map[key];
    if (!action) return;
    const handler = getHandlers()[action];
    if (!handler) return;
    e.preventDefault();
    handler();
  });
}
