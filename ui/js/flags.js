// Flags for a second look in the console: their bits (the core's FlagKind, pinned by a Rust test),
// the queue filter's options, and badges for rows and the detail pane (text nodes only, never markup).
import { h } from './dom.js';
import { t } from './i18n.js';

/** Flag kind → its bit in a post's `flag_mask` (src/flags/mod.rs, FlagKind::bit). */
export const FLAG_BITS = Object.freeze({
  stop_words: 1, links: 2, mentions: 4, phones: 8, forwarded: 16, duplicate: 32, new_author: 64, rejections: 128, not_checked: 256,
});

/** The order badges are shown in (as on the group card). */
export const FLAG_ORDER = Object.freeze(['not_checked', 'duplicate', 'stop_words', 'links', 'mentions', 'phones', 'forwarded', 'new_author', 'rejections']);

/** Every bit: "flagged at all". */
export const ANY_FLAG = Object.values(FLAG_BITS).reduce((a, b) => a | b, 0);

/** The Fluent key of a kind's short label. */
export const flagKey = (kind) => `ui-flag-${kind.replace(/_/g, '-')}`;

/** The kinds a mask raises, in badge order. */
export function kindsOf(mask) {
  const m = Number(mask) || 0;
  return FLAG_ORDER.filter((k) => (m & FLAG_BITS[k]) !== 0);
}

/** The queue filter's options: [value, label]; the value is the mask sent as `PostQuery.flags`. */
export function filterOptions() {
  return [['', t('ui-filter-flags-any')], [String(ANY_FLAG), t('ui-filter-flagged')],
    ...FLAG_ORDER.map((k) => [String(FLAG_BITS[k]), t(flagKey(k))])];
}

/** A row's flag badges. */
export function rowBadges(mask) {
  return kindsOf(mask).map((k) => h('span', { class: ['badge', 'badge-flag', `flag-${k}`], 'data-testid': `flag-${k}` }, t(flagKey(k))));
}

/** What one raised flag says in the detail pane (plain text). */
export function flagText(kind, flags) {
  const list = (items) => (items || []).join(', ');
  switch (kind) {
    case 'stop_words': return `${t(flagKey(kind))}: ${list(flags.stop_words)}`;
    case 'links': return `${t(flagKey(kind))} (${flags.links}): ${list(flags.domains)}`;
    case 'mentions': return `${t(flagKey(kind))}: ${list(flags.mentions)}`;
    case 'phones': return `${t(flagKey(kind))}: ${list(flags.phones)}`;
    case 'forwarded': return t('ui-flag-forwarded-from', { origin: flags.forwarded || '' });
    case 'rejections': return t('ui-flag-rejected-before', { count: flags.rejections });
    default: return t(flagKey(kind));
  }
}

/** The kinds a stored flag set raises (the same rules as PostFlags::has). */
export function kindsOfFlags(flags) {
  if (!flags) return [];
  const raised = {
    not_checked: !flags.checked,
    duplicate: !!flags.duplicate,
    stop_words: (flags.stop_words || []).length > 0,
    links: (flags.links || 0) > 0,
    mentions: (flags.mentions || []).length > 0,
    phones: (flags.phones || []).length > 0,
    forwarded: !!flags.forwarded,
    new_author: !!flags.new_author,
    rejections: (flags.rejections || 0) > 0,
  };
  return FLAG_ORDER.filter((k) => raised[k]);
}

/** The detail pane's flag panel; "looks like #N" opens post N through `onOpenPost(id)`. */
export function flagPanel(flags, { onOpenPost }) {
  const kinds = kindsOfFlags(flags);
  if (!kinds.length) return null;
  const items = kinds.map((k) => {
    if (k === 'duplicate') {
      const d = flags.duplicate;
      return h('li', { class: `flag-${k}` }, h('button', {
        class: 'btn btn-link', type: 'button', 'data-testid': 'flag-duplicate-link', onClick: () => onOpenPost(d.post_id),
      }, t('ui-flag-looks-like', { id: d.post_id, percent: d.percent })));
    }
    return h('li', { class: `flag-${k}`, 'data-testid': `detail-flag-${k}`, dir: 'auto' }, flagText(k, flags));
  });
  return h('section', { class: 'panel flags-panel', 'data-testid': 'detail-flags', 'aria-label': t('ui-flags-title') },
    h('h3', { class: 'panel-title' }, t('ui-flags-title')), h('ul', { class: 'flag-list' }, items));
}
