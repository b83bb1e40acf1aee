// Node tests for preview.js: the "As published" panel shows the text the core composed as text
// nodes (never HTML), the album as a grid of its previews, what was left out, and the toggle
// only while the choice can still change — pressing it asks for the other choice.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/** A tiny DOM: enough for dom.js's h() and entities.js; HTML parsing is refused outright. */
class El {
  constructor(tag, text) {
    this.nodeType = tag ? 1 : 3;
    this.tagName = tag ? tag.toUpperCase() : null;
    this.text = text;
    this.childNodes = [];
    this.attributes = {};
    this.dataset = {};
    this.className = '';
    this.listeners = {};
    this.classList = { toggle: () => {} };
  }
  get firstChild() { return this.childNodes[0] || null; }
  appendChild(n) {
    if (n.tagName === '#FRAGMENT') this.childNodes.push(...n.childNodes); else this.childNodes.push(n);
    return n;
  }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return this.attributes[k]; }
  addEventListener(type, fn) { this.listeners[type] = fn; }
  set innerHTML(_) { throw new Error('innerHTML used'); }
  set textContent(v) { this.childNodes = [new El(null, String(v))]; }
  get textContent() { return this.text !== undefined ? this.text : this.childNodes.map((c) => c.textContent).join(''); }
}
globalThis.document = {
  createElement: (tag) => new El(tag),
  createTextNode: (text) => new El(null, text),
  createDocumentFragment: () => new El('#fragment'),
};
globalThis.window = { __TAURI__: { core: { invoke: async () => ({}) }, event: {} } };

const { previewPanel, leftOutNotes } = await import('../js/preview.js');

/** Every element below `root` (root included) for which `pred` holds. */
function all(root, pred, out = []) {
  if (root.tagName && pred(root)) out.push(root);
  for (const c of root.childNodes) all(c, pred, out);
  return out;
}
const byTestId = (root, id) => all(root, (n) => n.attributes['data-testid'] === id)[0];

const composed = (over) => ({
  text: 'Привет 😀\n\n— Анна\n\n#канал', entities: [{ type: 'text_link', offset: 13, length: 4, url: 'tg://user?id=7' }],
  slot: 'message', limit: 4096, length: 27, signed: true, left_out: [], ...over,
});

test('the composed text is shown as text with its entities, the toggle asks for the other choice', () => {
  const asked = [];
  const panel = previewPanel({ post_id: 5, chosen: true, composed: composed(), media: [], open: true },
    { onSetSigned: (s) => asked.push(s), onOpenLink: () => {}, busy: false });
  const body = byTestId(panel, 'preview-body');
  assert.ok(body.textContent.startsWith('Привет 😀\n\n— Анна'), body.textContent);
  assert.ok(body.textContent.includes('#канал'));
  assert.equal(all(body, (n) => n.className.split(' ').includes('ent-link')).length, 1, 'the signature is a link (shown with its target)');
  byTestId(panel, 'toggle-signed').listeners.click();
  assert.deepEqual(asked, [false]);
  assert.equal(byTestId(panel, 'preview-media'), undefined, 'no media, no grid');
});

test('an album is a grid of its previews; what does not fit is said; no toggle once it is too late', () => {
  const media = [0, 1, 2].map((position) => ({ position, kind: 'photo' }));
  const panel = previewPanel({ post_id: 9, chosen: null, composed: composed({ slot: 'caption', limit: 1024, left_out: ['footer'], signed: false }), media, open: false },
    { onSetSigned: () => assert.fail('no toggle'), onOpenLink: () => {}, busy: false });
  const grid = byTestId(panel, 'preview-media');
  assert.ok(grid.className.includes('preview-album'));
  const srcs = all(grid, (n) => n.tagName === 'IMG').map((img) => img.attributes.src);
  assert.deepEqual(srcs, [0, 1, 2].map((p) => `postgate-media://localhost/9/${p}`));
  assert.equal(byTestId(panel, 'toggle-signed'), undefined);
  assert.equal(all(panel, (n) => n.attributes['data-testid'] === 'preview-left-out').length, 1);
  assert.deepEqual(leftOutNotes({ left_out: ['footer', 'signature'] }).length, 2);
});
