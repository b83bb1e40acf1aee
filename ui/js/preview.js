// The detail pane's "As published" panel: the post as the channel will show it — the text the
// core composed (signature and footer with their entities, `post_preview`), rendered as DOM
// text, over its media grid — and the signed/anonymous choice, changeable until publication.
// Nothing is composed here: the text comes from the same Rust function the publisher uses.
import { h } from './dom.js';
import { t, fmtNumber } from './i18n.js';
import { renderEntities } from './entities.js';

const GLYPH = { photo: '▣', video: '▶', animation: '↻', document: '▤', audio: '♪', voice: '◉' };

function tile(postId, m) {
  const glyph = h('span', { class: 'media-glyph' }, GLYPH[m.kind] || '▢');
  if (m.kind !== 'photo') return h('li', { class: 'preview-tile', dataset: { kind: m.kind } }, glyph);
  const img = h('img', {
    class: 'media-img', alt: '', loading: 'lazy',
    src: `postgate-media://localhost/${postId}/${m.position}`,
    onError: () => img.replaceWith(glyph),
  });
  return h('li', { class: 'preview-tile', dataset: { kind: m.kind } }, img);
}

/** What the composition left out to stay within Telegram's limit, one note each. */
export function leftOutNotes(composed) {
  return (composed.left_out || []).map((what) => t(`ui-preview-left-out-${what}`));
}

/**
 * The panel for `preview` (`post_preview`'s answer). `onSetSigned(signed)` changes the choice;
 * `busy` disables the button; `onOpenLink(url)` as in the raw text.
 */
export function previewPanel(preview, { onSetSigned, onOpenLink, busy }) {
  const c = preview.composed;
  const body = h('div', { class: 'detail-body preview-body', 'data-testid': 'preview-body', dir: 'auto' });
  body.appendChild(renderEntities(c.text, c.entities, { onOpenLink }));
  const media = preview.media || [];
  const grid = media.length === 0 ? null
    : h('ul', { class: ['preview-grid', media.length > 1 && 'preview-album'], 'data-testid': 'preview-media' },
      media.map((m) => tile(preview.post_id, m)));
  const choice = h('span', { class: ['badge', c.signed ? 'badge-signed' : 'badge-anonymous'], 'data-testid': 'preview-signed' },
    t(c.signed ? 'ui-preview-signed' : 'ui-preview-anonymous'));
  const toggle = preview.open ? h('button', {
    class: 'btn btn-sm', type: 'button', 'data-testid': 'toggle-signed', disabled: Boolean(busy),
    onClick: () => onSetSigned(!c.signed),
  }, t(c.signed ? 'ui-preview-make-anonymous' : 'ui-preview-make-signed')) : null;
  const length = t('ui-preview-length', {
    length: fmtNumber(c.length), limit: fmtNumber(c.limit), slot: t(`ui-preview-slot-${c.slot}`),
  });
  return h('section', { class: 'panel preview', 'data-testid': 'preview' },
    h('h3', { class: 'panel-title' }, t('ui-preview-title')),
    h('div', { class: 'preview-options' },
      choice,
      preview.chosen === null || preview.chosen === undefined ? h('span', { class: 'muted small' }, t('ui-preview-default')) : null,
      toggle,
      preview.open ? null : h('span', { class: 'muted small' }, t('ui-preview-too-late'))),
    h('div', { class: 'preview-message' }, grid, c.text ? body : null),
    leftOutNotes(c).map((note) => h('div', { class: ['banner', 'banner-warn'], role: 'note', 'data-testid': 'preview-left-out' }, note)),
    h('p', { class: 'muted small', 'data-testid': 'preview-length' }, length));
}
