// Moderator actions on the open post: approve, edit & approve, reject, ban/unban, retry — never optimistic.
import { api } from './api.js';
import { t } from './i18n.js';
import { describeDecide } from './outcome.js';
import { toast, toastError } from './toast.js';
import { openRejectDialog, openEditDialog, openBanDialog, openConfirm } from './dialogs.js';
import { textLimit } from './textlimits.js';

/**
 * `current()` gives the open `{ post, version, author, log }` (an approval names `version`); `setBusy(name|null)` disables the buttons;
 * `onDecided(id)` after a decision went through; `onStale(id)` when the server said no;
 * `onChanged()` after a ban/unban; `timing()` when an approval is published (`undefined`: the plan's next slot).
 */
/** The decisions a toast can undo: the success message → the status the post must have. */
const UNDOABLE = {
  'ui-outcome-approved': 'approved',
  'ui-outcome-rejected': 'rejected',
  'ui-outcome-rejected-banned': 'rejected',
};

export function createActions({ current, setBusy, onDecided, onStale, onChanged, timing = () => undefined }) {
  /** Reports a DecideOutcome; the caller has already cleared busy. An approval's or a
   * rejection's toast offers Undo for 10 s (the rejection's notice waits that long): the post
   * goes back to the queue, an approval as long as nothing was published. */
  function report(id, outcome, successKey) {
    const d = describeDecide(outcome, id, successKey);
    const post = outcome && outcome.post;
    const undoable = d.ok && post && UNDOABLE[successKey] === post.status;
    toast(d.text, d.kind, undoable ? { label: t('ui-undo'), testid: 'undo', onClick: () => undo(post) } : null);
    if (d.ok) onDecided(id); else onStale(id);
    return d.ok;
  }

  async function undo(post) {
    try {
      const outcome = await api.postUndo(post.id);
      const kind = outcome && outcome.outcome;
      const key = kind === 'undone' ? 'ui-undone' : kind === 'not_yours' ? 'ui-undo-not-yours' : 'ui-undo-too-late';
      toast(t(key, { id: post.id }), kind === 'undone' ? 'success' : 'warn');
    } catch (err) {
      toastError(err);
    }
    onStale(post.id);
  }

  /** Runs a decision request with the buttons disabled; errors become toasts and a refresh. */
  async function decide(name, request, successKey) {
    const data = current();
    if (!data) return;
    const id = data.post.id;
    setBusy(name);
    let outcome;
    try {
      outcome = await request(id);
    } catch (err) {
      setBusy(null);
      toastError(err);
      onStale(id);
      return;
    }
    setBusy(null);
    report(id, outcome, successKey);
  }

  function pending() {
    const data = current();
    return data && data.post.status === 'pending' ? data : null;
  }

  const approve = () => {
    if (!pending()) return;
    const { version } = pending();
    decide('approve', (id) => api.postApprove(id, version, undefined, timing()), 'ui-outcome-approved');
  };

  const edit = () => {
    const data = pending();
    if (!data) return;
    const { id, body } = data.post;
    const { version } = data;
    openEditDialog({
      title: t('ui-edit-title', { id }),
      body,
      limit: textLimit(data.post),
      onConfirm: async (text) => {
        setBusy('edit');
        try {
          const outcome = await api.postApprove(id, version, text === body ? undefined : text, timing());
          setBusy(null);
          report(id, outcome, text === body ? 'ui-outcome-approved' : 'ui-outcome-edited');
        } catch (err) {
          setBusy(null);
          throw err; // shown inside the dialog; the moderator may fix and retry
        }
      },
    });
  };

  const reject = () => {
    const data = pending();
    if (!data) return;
    const { id } = data.post;
    openRejectDialog({
      title: t('ui-reject-title', { id }),
      allowBan: true,
      onConfirm: async (reason, ban) => {
        setBusy('reject');
        try {
          const outcome = await api.postReject(id, reason, ban);
          setBusy(null);
          report(id, outcome, ban ? 'ui-outcome-rejected-banned' : 'ui-outcome-rejected');
        } catch (err) {
          setBusy(null);
          throw err;
        }
      },
    });
  };

  const retry = () => {
    const data = current();
    if (!data || data.post.status !== 'publish_failed') return;
    decide('retry', (id) => api.postRetry(id), 'ui-outcome-retried');
  };

  /** Sends a card Telegram refused to the moderation group again. */
  const retryCard = async () => {
    const data = current();
    if (!data || !data.post.card_error) return;
    const id = data.post.id;
    setBusy('retry-card');
    try {
      const queued = await api.postRetryCard(id);
      setBusy(null);
      toast(t(queued ? 'ui-card-retried' : 'ui-card-not-failed', { id }), queued ? 'success' : 'info');
    } catch (err) {
      setBusy(null);
      toastError(err);
    }
    onStale(id);
  };

  const ban = () => {
    const data = current();
    if (!data) return;
    const profile = (data.author && data.author.profile) || data.post.author;
    const userId = profile.id;
    const name = [profile.first_name, profile.last_name].filter(Boolean).join(' ') || String(userId);
    if (data.author && data.author.banned) {
      openConfirm({
        title: t('ui-unban-title', { name }),
        text: t('ui-unban-text', { name }),
        confirmLabel: t('ui-unban'),
        onConfirm: async () => {
          const had = await api.authorUnban(userId);
          toast(had ? t('ui-unbanned', { name }) : t('ui-unban-none', { name }), had ? 'success' : 'info');
          onChanged();
        },
      });
      return;
    }
    openBanDialog({
      title: t('ui-ban-title', { name }),
      onConfirm: async (reason) => {
        await api.authorBan(userId, reason);
        toast(t('ui-banned', { name }), 'success');
        onChanged();
      },
    });
  };

  return { approve, edit, reject, retry, retryCard, ban };
}
