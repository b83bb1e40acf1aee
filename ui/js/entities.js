// Telegram MessageEntity formatting rendered safely: a tree of text nodes and fixed elements, never HTML.
//
// Offsets and lengths are UTF-16 code units, which is exactly what JS string indices are.
// Overlapping entities (Telegram forbids them, but data is data) are split at the boundary.

/** Entity types we draw; everything else is shown as plain text. */
const KNOWN = new Set([
  'bold', 'italic', 'underline', 'strikethrough', 'code', 'pre', 'text_link', 'url', 'spoiler',
  'blockquote', 'expandable_blockquote', 'mention', 'hashtag', 'cashtag', 'bot_command', 'email',
  'phone_number', 'text_mention', 'custom_emoji',
]);

/** Only these schemes are ever opened. */
export function safeUrl(raw) {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  let text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) text = `https://${text}`;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function cleanEntities(text, entities) {
  if (!Array.isArray(entities)) return [];
  const out = [];
  for (const e of entities) {
    if (!e || typeof e !== 'object' || !KNOWN.has(e.type)) continue;
    const offset = Math.max(0, Math.trunc(Number(e.offset)));
    const end = Math.min(text.length, offset + Math.trunc(Number(e.length)));
    if (!Number.isFinite(offset) || !Number.isFinite(end) || end <= offset) continue;
    out.push({ ...e, offset, length: end - offset });
  }
  return out.sort(byPosition);
}

function byPosition(a, b) {
  return a.offset - b.offset || b.length - a.length;
}

/**
 * Builds the nesting tree: `{ entity, children }` nodes and plain strings, covering `text`
 * exactly once from start to end. Pure; tested under node.
 */
export function entityTree(text, entities) {
  const body = typeof text === 'string' ? text : '';
  return build(body, 0, body.length, cleanEntities(body, entities));
}

function build(text, start, end, list) {
  const out = [];
  let pos = start;
  let ents = list;
  while (ents.length > 0) {
    const [e, ...others] = ents;
    const eEnd = e.offset + e.length;
    if (e.offset < pos) { // only possible after splitting; clip the overlap away
      ents = eEnd > pos ? [{ ...e, offset: pos, length: eEnd - pos }, ...others].sort(byPosition) : others;
      continue;
    }
    if (e.offset > pos) out.push(text.slice(pos, e.offset));
    const inner = [];
    const rest = [];
    for (const x of others) {
      if (x.offset >= eEnd) { rest.push(x); continue; }
      const xEnd = x.offset + x.length;
      inner.push({ ...x, length: Math.min(xEnd, eEnd) - x.offset });
      if (xEnd > eEnd) rest.push({ ...x, offset: eEnd, length: xEnd - eEnd });
    }
    out.push({ entity: e, children: build(text, e.offset, eEnd, inner.sort(byPosition)) });
    pos = eEnd;
    ents = rest.sort(byPosition);
  }
  if (pos < end) out.push(text.slice(pos, end));
  return out;
}

/** The plain text a subtree covers. */
function plain(nodes) {
  return nodes.map((n) => (typeof n === 'string' ? n : plain(n.children))).join('');
}

/**
 * Renders `text` with `entities` into a DocumentFragment. `opts.onOpenLink(url)` is called when
 * the moderator clicks a link whose URL is http/https; nothing opens by itself.
 */
export function renderEntities(text, entities, opts = {}, doc = globalThis.document) {
  const frag = doc.createDocumentFragment();
  for (const node of entityTree(text, entities)) frag.appendChild(renderNode(node, opts, doc));
  return frag;
}

function renderNode(node, opts, doc) {
  if (typeof node === 'string') return doc.createTextNode(node);
  const { entity, children } = node;
  const el = elementFor(entity, plain(children), opts, doc);
  const target = el.firstChild && el.tagName === 'PRE' ? el.firstChild : el;
  for (const child of children) target.appendChild(renderNode(child, opts, doc));
  if (entity.type === 'text_link') {
    // Show where a text link really goes: moderators must see a phishing URL for what it is.
    // An unsafe scheme (javascript:, tg:, …) is shown too, but never becomes a link.
    const wrap = doc.createElement('span');
    wrap.className = 'ent-linkwrap';
    const url = doc.createElement('span');
    url.className = 'ent-url';
    url.textContent = String(entity.url || '');
    wrap.appendChild(el);
    wrap.appendChild(url);
    return wrap;
  }
  return el;
}

const SIMPLE = {
  bold: 'strong', italic: 'em', underline: 'u', strikethrough: 's', code: 'code',
  blockquote: 'blockquote', expandable_blockquote: 'blockquote',
};

function elementFor(entity, coveredText, opts, doc) {
  const type = entity.type;
  if (SIMPLE[type]) {
    const el = doc.createElement(SIMPLE[type]);
    el.className = `ent-${type}`;
    return el;
  }
  if (type === 'pre') {
    const pre = doc.createElement('pre');
    pre.className = 'ent-pre';
    const code = doc.createElement('code');
    if (typeof entity.language === 'string' && entity.language) code.setAttribute('data-language', entity.language);
    pre.appendChild(code);
    return pre;
  }
  if (type === 'text_link' || type === 'url') {
    const href = safeUrl(type === 'url' ? coveredText : entity.url);
    if (!href) {
      const span = doc.createElement('span');
      span.className = 'ent-link ent-link-unsafe';
      return span;
    }
    const a = doc.createElement('a');
    a.className = 'ent-link';
    a.setAttribute('href', href);
    a.setAttribute('title', href);
    a.setAttribute('rel', 'noopener noreferrer');
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      if (opts.onOpenLink) opts.onOpenLink(href);
    });
    return a;
  }
  if (type === 'spoiler') {
    const span = doc.createElement('span');
    span.className = 'ent-spoiler';
    span.setAttribute('role', 'button');
    span.setAttribute('tabindex', '0');
    const toggle = (ev) => {
      if (ev.type === 'keydown' && ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      span.classList.toggle('revealed');
    };
    span.addEventListener('click', toggle);
    span.addEventListener('keydown', toggle);
    return span;
  }
  const span = doc.createElement('span');
  span.className = `ent-${type.replace(/_/g, '-')}`;
  if (type === 'text_mention' && entity.user && entity.user.id !== undefined) {
    span.setAttribute('title', `id ${entity.user.id}`);
  }
  return span;
}
