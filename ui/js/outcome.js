// Words for outcomes: who a moderator id is, and what a DecideOutcome / ClaimOutcome means to the moderator.
import { t, fmtTime, label } from './i18n.js';

let me = null;

/** Remembers the console moderator's id (from settings) so "you" can be said. */
export function setMe(id) {
  me = id === null || id === undefined || id === '' ? null : String(id);
}

export function isMe(id) {
  return me !== null && id !== null && id !== undefined && String(id) === me;
}

/** "you" or "moderator 123". */
export function who(id) {
  // 0: the system's own decisions (old pending posts expired), recorded under id 0.
  if (id === null || id === undefined || id === 0) return t('ui-moderator-system');
  return isMe(id) ? t('ui-moderator-you') : t('ui-moderator-id', { user_id: id });
}

/**
 * What a DecideOutcome means: `{ ok, kind, text }`; `ok` only for "decided".
 * `verb` is the success sentence ("Approved #12").
 */
export function describeDecide(outcome, id, successKey) {
  const o = outcome || {};
  switch (o.outcome) {
    case 'decided':
      return { ok: true, kind: 'success', text: t(successKey, { id }) };
    case 'already_decided':
      return {
        ok: false, kind: 'warn',
        text: t('ui-outcome-already-decided', { id, status: label('status', o.status), moderator: who(o.by) }),
      };
    case 'claimed_by_other':
      return {
        ok: false, kind: 'warn',
        text: t('ui-outcome-claimed-by-other', { id, moderator: who(o.by), time: fmtTime(o.until) }),
      };
    case 'changed':
      return { ok: false, kind: 'warn', text: t('ui-outcome-changed', { id }) };
    case 'not_found':
      return { ok: false, kind: 'error', text: t('ui-outcome-not-found', { id }) };
    default:
      return { ok: false, kind: 'error', text: t('ui-outcome-unknown', { id }) };
  }
}
