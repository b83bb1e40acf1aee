// Node tests for entities.js: `node --experimental-default-type=module --test ui/test/` (node 20; plain `node --test` on 22+).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entityTree, renderEntities, safeUrl } from '../js/entities.js';

/** A tiny DOM: enough for renderEntities, and it refuses HTML parsing outright. */
class Node {
  constructor(tag, text) {
    this.tagName = tag ? tag.toUpperCase() : null;
    this.text = text;
    this.childNodes = [];
    this.attributes = {};
    this.className = '';
    this.listeners = {};
    this.classList = { toggle: (c) => { this.className = this.className.includes(c) ? this.className.replace(c, '').trim() : `${this.className} ${c}`.trim(); } };
  }
  get firstChild() { return this.childNodes[0] || null; }
  appendChild(n) {
    if (n.tagName === '#FRAGMENT') this.childNodes.push(...n.childNodes); else this.childNodes.push(n);
    return n;
  }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  addEventListener(type, fn) { this.listeners[type] = fn; }
  set innerHTML(_) { throw new Error('innerHTML used'); }
  set textContent(v) { this.childNodes = [new Node(null, String(v))]; }
  get textContent() { return this.text !== undefined ? this.text : this.childNodes.map((c) => c.textContent).join(''); }
}
const doc = {
  createElement: (tag) => new Node(tag),
  createTextNode: (text) => new Node(null, text),
  createDocumentFragment: () => new Node('#fragment'),
};
const render = (text, entities, opts) => renderEntities(text, entities, opts, doc);
const shape = (n) => (n.tagName === null ? n.text : { [n.tagName.toLowerCase()]: n.childNodes.map(shape) });

test('plain text without entities is one text node', () => {
  const out = render('hello', []);
  assert.deepEqual(out.childNodes.map(shape), ['hello']);
});

test('HTML in the body stays literal text', () => {
  const body = '<img src=x onerror=alert(1)>';
  const out = render(body, [{ type: 'bold', offset: 0, length: 4 }]);
  assert.equal(out.textContent, body);
  assert.deepEqual(out.childNodes.map(shape), [{ strong: ['<img'] }, ' src=x onerror=alert(1)>']);
});

test('offsets are UTF-16 code units (emoji count as two)', () => {
  const text = '👋 bold';
  const out = render(text, [{ type: 'bold', offset: 3, length: 4 }]);
  assert.deepEqual(out.childNodes.map(shape), ['👋 ', { strong: ['bold'] }]);
});

test('nested entities nest', () => {
  const tree = entityTree('abcdef', [{ type: 'bold', offset: 0, length: 6 }, { type: 'italic', offset: 2, length: 2 }]);
  assert.equal(tree.length, 1);
  assert.deepEqual(tree[0].children, ['ab', { entity: { type: 'italic', offset: 2, length: 2 }, children: ['cd'] }, 'ef']);
});

test('overlapping entities are split, text covered exactly once', () => {
  const text = 'abcdefgh';
  const out = render(text, [{ type: 'bold', offset: 0, length: 5 }, { type: 'italic', offset: 3, length: 5 }]);
  assert.equal(out.textContent, text);
  assert.deepEqual(out.childNodes.map(shape), [{ strong: ['abc', { em: ['de'] }] }, { em: ['fgh'] }]);
});

test('out-of-range and unknown entities are ignored or clamped', () => {
  const out = render('abc', [{ type: 'bold', offset: 1, length: 99 }, { type: 'weird', offset: 0, length: 1 }, { type: 'italic', offset: 5, length: 1 }, null]);
  assert.deepEqual(out.childNodes.map(shape), ['a', { strong: ['bc'] }]);
});

test('text_link: http(s) becomes a link that opens only on click, the URL is shown', () => {
  const opened = [];
  const out = render('see here', [{ type: 'text_link', offset: 4, length: 4, url: 'https://example.org/x' }], { onOpenLink: (u) => opened.push(u) });
  const wrap = out.childNodes[1];
  const a = wrap.childNodes[0];
  assert.equal(a.tagName, 'A');
  assert.equal(a.attributes.href, 'https://example.org/x');
  assert.equal(wrap.childNodes[1].textContent, 'https://example.org/x');
  assert.deepEqual(opened, []);
  let prevented = false;
  a.listeners.click({ preventDefault: () => { prevented = true; } });
  assert.ok(prevented);
  assert.deepEqual(opened, ['https://example.org/x']);
});

test('text_link with javascript: never becomes a link', () => {
  const out = render('click', [{ type: 'text_link', offset: 0, length: 5, url: 'javascript:alert(1)' }]);
  const wrap = out.childNodes[0];
  assert.equal(wrap.childNodes[0].tagName, 'SPAN');
  assert.equal(wrap.childNodes[0].attributes.href, undefined);
  assert.equal(wrap.childNodes[1].textContent, 'javascript:alert(1)');
});

test('safeUrl accepts only http and https', () => {
  assert.equal(safeUrl('https://a.b/c'), 'https://a.b/c');
  assert.equal(safeUrl('example.org'), 'https://example.org/');
  assert.equal(safeUrl('javascript:alert(1)'), null);
  assert.equal(safeUrl('data:text/html,x'), null);
  assert.equal(safeUrl('tg://resolve?domain=x'), null);
  assert.equal(safeUrl(''), null);
  assert.equal(safeUrl(undefined), null);
});

test('pre keeps its language as a data attribute, code and spoiler render', () => {
  const out = render('x = 1 secret', [
    { type: 'pre', offset: 0, length: 5, language: 'python' },
    { type: 'spoiler', offset: 6, length: 6 },
  ]);
  const pre = out.childNodes[0];
  assert.equal(pre.tagName, 'PRE');
  assert.equal(pre.childNodes[0].attributes['data-language'], 'python');
  assert.equal(pre.textContent, 'x = 1');
  const spoiler = out.childNodes[2];
  assert.match(spoiler.className, /ent-spoiler/);
  spoiler.listeners.click({ type: 'click', preventDefault() {} });
  assert.match(spoiler.className, /revealed/);
});
