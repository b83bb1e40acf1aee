// The bot panel's log lines in words: a JSON tracing line (src/telemetry.rs: `timestamp`,
// `level`, `message`, the event's fields flattened, `span` and `spans` with their fields) becomes
// its time, level, message and the post / user / moderator it concerns. A line that is not such
// JSON is kept as it is: never dropped. Pure: no DOM, no texts (the view translates).

/** Levels, most severe first. */
export const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];

/** The level filter's choices: everything, or at least this severe. */
export const LEVEL_FILTERS = ['all', 'info', 'warn', 'error'];

/** Keys of a tracing line that are not the event's own fields. */
const FRAME = new Set(['timestamp', 'level', 'message', 'target', 'span', 'spans', 'fields', 'threadName', 'threadId',
  'filename', 'line_number']);
/** Fields shown as references rather than as details. */
const REFS = new Set(['post_id', 'user_id', 'moderator_id']);

/** A Telegram or database id as a string of digits (a leading minus for chats), else null. */
function id(value) {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'string' && /^-?[0-9]{1,20}$/.test(value.trim())) return value.trim();
  return null;
}

/** A field's value as text: strings as they are, anything else as JSON. */
function text(value) {
  if (typeof value === 'string') return value;
  try { return JSON.stringify(value); } catch { return String(value); }
}

/** `name` from the event first, then the innermost span outwards. */
function lookup(obj, name) {
  if (obj[name] !== undefined) return obj[name];
  if (obj.fields && typeof obj.fields === 'object' && obj.fields[name] !== undefined) return obj.fields[name];
  const spans = Array.isArray(obj.spans) ? [...obj.spans].reverse() : [];
  if (obj.span && typeof obj.span === 'object') spans.unshift(obj.span);
  for (const span of spans) {
    if (span && typeof span === 'object' && span[name] !== undefined && span[name] !== null) return span[name];
  }
  return undefined;
}

/**
 * One line of the log. `parsed: false` when it is not a tracing JSON object: then `level` is
 * 'unknown' and `message` is the raw line. `details` are the event's other fields, in order.
 */
export function parseLine(raw) {
  const line = typeof raw === 'string' ? raw : String(raw ?? '');
  let obj = null;
  try { obj = JSON.parse(line); } catch { /* not JSON: shown raw */ }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    return { raw: line, parsed: false, time: null, level: 'unknown', message: line, target: null,
      postId: null, userId: null, moderatorId: null, details: [] };
  }
  const level = typeof obj.level === 'string' && LEVELS.includes(obj.level.toLowerCase()) ? obj.level.toLowerCase() : 'unknown';
  const message = lookup(obj, 'message');
  const own = obj.fields && typeof obj.fields === 'object' ? { ...obj.fields, ...obj } : obj;
  const details = Object.entries(own)
    .filter(([k, v]) => !FRAME.has(k) && !REFS.has(k) && !k.startsWith('log.') && v !== null && v !== undefined)
    .map(([k, v]) => [k, text(v)]);
  return {
    raw: line,
    parsed: true,
    time: typeof obj.timestamp === 'string' ? obj.timestamp : null,
    level,
    message: message === undefined || message === null ? '' : text(message),
    target: typeof obj.target === 'string' ? obj.target : null,
    postId: id(lookup(obj, 'post_id')),
    userId: id(lookup(obj, 'user_id')),
    moderatorId: id(lookup(obj, 'moderator_id')),
    details,
  };
}

/**
 * Whether `entry` passes `filter` ('all', or the least severe level shown). A line whose level
 * is not known (not JSON, or no level) always passes: it may be the one that matters.
 */
export function passes(entry, filter) {
  if (!filter || filter === 'all' || !LEVELS.includes(filter)) return true;
  if (!LEVELS.includes(entry.level)) return true;
  return LEVELS.indexOf(entry.level) <= LEVELS.indexOf(filter);
}

/** The lines (oldest first, as the tail gives them) parsed and filtered, newest first. */
export function logEntries(lines, filter) {
  return (Array.isArray(lines) ? lines : []).map(parseLine).filter((e) => passes(e, filter)).reverse();
}

/** `HH:MM:SS` of an RFC 3339 time in local time; the text itself when it is not a time. */
export function clockTime(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return iso ? String(iso) : '';
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
