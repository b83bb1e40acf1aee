// Tauri IPC: one wrapper per console command (docs/console-commands.md), errors normalised to ApiError.

/** An error from a command, always with a `code` from the contract. */
export class ApiError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.code = code || 'internal';
  }
}

const CODES = new Set(['not_found', 'conflict', 'invalid', 'unavailable', 'forbidden', 'internal']);

/** Turns whatever a rejected invoke gave us into an ApiError. */
export function normaliseError(err) {
  if (err instanceof ApiError) return err;
  if (typeof err === 'string') {
    try {
      const parsed = JSON.parse(err);
      if (parsed && typeof parsed === 'object') return normaliseError(parsed);
    } catch { /* plain text */ }
    return new ApiError('internal', err);
  }
  if (err && typeof err === 'object') {
    const code = CODES.has(err.code) ? err.code : 'internal';
    const message = typeof err.message === 'string' ? err.message : String(err.code || err);
    const out = new ApiError(code, message);
    if (err.field) out.field = String(err.field);
    if (err.reason) out.reason = String(err.reason);
    return out;
  }
  return new ApiError('internal', String(err));
}

function tauri() {
  const t = window.__TAURI__;
  if (!t || !t.core || !t.event) throw new ApiError('unavailable', 'window.__TAURI__ is missing');
  return t;
}

/** Calls a command; rejects with ApiError. */
export async function call(command, args) {
  try {
    return await tauri().core.invoke(command, args || {});
  } catch (err) {
    throw normaliseError(err);
  }
}

/** Subscribes to an event; the handler gets the payload. Returns an unlisten function (a promise of one). */
export function listen(event, handler) {
  return tauri().event.listen(event, (e) => handler(e && 'payload' in e ? e.payload : e));
}

export const EVENT_CHANGED = 'postgate://changed';
export const EVENT_BOT = 'postgate://bot';
export const EVENT_DATABASE = 'postgate://database';
export const EVENT_SETUP = 'postgate://setup';
/** The console asks the window to open a view (`"queue"`: a notification was clicked). */
export const EVENT_OPEN = 'postgate://open';

export const api = {
  queueList: (query) => call('queue_list', { query }),
  queueStats: () => call('queue_stats'),
  postDetail: (id) => call('post_detail', { id }),
  postClaim: (id) => call('post_claim', { id }),
  postRelease: (id) => call('post_release', { id }),
  postUndo: (id) => call('post_undo', { id }),
  // `version` is the open post's (`post_detail`): the server refuses it ("changed") once the
  // author edited the post since.
  postApprove: (id, version, editedBody, timing) => {
    const args = editedBody === undefined ? { id, version } : { id, version, editedBody };
    return call('post_approve', timing ? { ...args, timing } : args);
  },
  postReject: (id, reason, banAuthor) => call('post_reject', { id, reason, banAuthor: Boolean(banAuthor) }),
  postRetry: (id) => call('post_retry', { id }),
  postRetryCard: (id) => call('post_retry_card', { id }),
  bulkDecide: (ids, action, reason) =>
    call('bulk_decide', reason ? { ids, action, reason } : { ids, action }),
  authorBan: (userId, reason) => call('author_ban', { userId, reason }),
  authorUnban: (userId) => call('author_unban', { userId }),
  auditLog: (postId, limit) => {
    const args = {};
    if (postId !== undefined && postId !== null) args.postId = postId;
    if (limit) args.limit = limit;
    return call('audit_log', args);
  },
  botStatus: () => call('bot_status'),
  botStart: () => call('bot_start'),
  botStop: () => call('bot_stop'),
  databaseHealth: () => call('database_health'),
  backupStatus: () => call('backup_status'),
  uiTexts: (locale) => call('ui_texts', locale ? { locale } : {}),
  settingsGet: () => call('settings_get'),
  settingsSave: (settings) => call('settings_save', { settings }),
  settingsTest: (settings) => call('settings_test', { settings }),
  setupStatus: () => call('setup_status'),
  setupToken: (token) => call('setup_token', { token }),
  setupNewCode: () => call('setup_new_code'),
  setupChannel: (channel) => call('setup_channel', { channel }),
  setupFinish: (channel, moderator) => call('setup_finish', { channel, moderator: Boolean(moderator) }),
  setupCancel: () => call('setup_cancel'),
  autostartGet: () => call('autostart_get'),
  autostartSet: (enabled) => call('autostart_set', { enabled: Boolean(enabled) }),
  scheduleCalendar: (start, days) => call('schedule_calendar', start ? { start, days } : { days }),
  scheduleMove: (id, seen, to) => call('schedule_move', { id, seen, to }),
  postPreview: (id) => call('post_preview', { id }),
  postSetSigned: (id, signed) => call('post_set_signed', { id, signed }),
  // Conversation with the author (issue #17 part 1).
  postRequestChanges: (id, text) => call('post_request_changes', { id, text }),
  postMessageAuthor: (id, text) => call('post_message_author', { id, text }),
  postThread: (id) => call('post_thread', { id }),
};
