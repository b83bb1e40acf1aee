// Settings form: settings_get / settings_save / settings_test, with errors shown beside the field they name;
// the "Start at login" switch (autostart_get / autostart_set) applies at once, apart from the form.
import { h, replace } from '../dom.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { toast, errorText } from '../toast.js';
import { backupSummary } from '../backups.js';

/** Field, environment variable, input kind, client-side check (returns an error key or null). */
const FIELDS = [
  ['bot_token', 'BOT_TOKEN', 'secret', (v) => (!v || v.includes('*') || /^\d+:[\w-]{20,}$/.test(v) ? null : 'ui-settings-err-token')],
  ['moderation_group_id', 'MODERATION_GROUP_ID', 'text', (v) => (/^-\d+$/.test(v) ? null : 'ui-settings-err-group')],
  ['channel_id', 'CHANNEL_ID', 'text', (v) => (/^(-\d+|@\w{4,})$/.test(v) ? null : 'ui-settings-err-channel')],
  ['moderator_ids', 'MODERATOR_IDS', 'text', (v) => (/^\s*(\d+\s*(,\s*\d+\s*)*)?$/.test(v) ? null : 'ui-settings-err-ids')],
  ['console_moderator_id', 'CONSOLE_MODERATOR_ID', 'text', (v) => (/^\d*$/.test(v) ? null : 'ui-settings-err-id')],
  ['database_url', 'DATABASE_URL', 'secret', (v) => (/^postgres(ql)?:\/\//.test(v) ? null : 'ui-settings-err-database')],
  ['redis_url', 'REDIS_URL', 'secret', (v) => (/^rediss?:\/\//.test(v) ? null : 'ui-settings-err-redis')],
  ['default_locale', 'DEFAULT_LOCALE', 'locale', (v) => (['ru', 'en'].includes(v) ? null : 'ui-settings-err-locale')],
  ['backup_time', 'BACKUP_TIME', 'text', (v) => (/^(([01]\d|2[0-3]):[0-5]\d)?$/.test(v) ? null : 'ui-settings-err-backup-time')],
  ['backup_keep', 'BACKUP_KEEP', 'text', (v) => (v === '' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 365) ? null : 'ui-settings-err-backup-keep')],
  ['backup_dir', 'BACKUP_DIR', 'text', () => null],
  // The publishing plan: checked by the core (each fault names its field).
  ['publish_mode', 'PUBLISH_MODE', 'mode', () => null],
  ['publish_slots', 'PUBLISH_SLOTS', 'text', () => null],
  ['publish_interval_minutes', 'PUBLISH_INTERVAL_MINUTES', 'text', (v) => (/^\d*$/.test(v) ? null : 'ui-settings-err-publish-interval')],
  ['publish_quiet_hours', 'PUBLISH_QUIET_HOURS', 'text', () => null],
  ['publish_timezone', 'PUBLISH_TIMEZONE', 'text', () => null],
  ['publish_missed', 'PUBLISH_MISSED', 'missed', () => null],
  // Author options: checked by the core (an unknown placeholder is named).
  ['signature_default', 'SIGNATURE_DEFAULT', 'signed', () => null],
  ['signature_template', 'SIGNATURE_TEMPLATE', 'text', () => null],
  ['post_footer', 'POST_FOOTER', 'multiline', () => null],
  // The stale queue: empty or 0 is off (the core checks the ranges too, naming the field).
  ['stale_reminder_hours', 'STALE_REMINDER_HOURS', 'text', (v) => (/^\d*$/.test(v) && (v === '' || Number(v) <= 8760) ? null : 'ui-settings-err-stale-reminder-hours')],
  ['pending_expire_days', 'PENDING_EXPIRE_DAYS', 'text', (v) => (/^\d*$/.test(v) && (v === '' || Number(v) <= 365) ? null : 'ui-settings-err-pending-expire-days')],
  // Flags for a second look: the stop-word list is checked by the core (a bad regex names its line and column).
  ['flag_stop_words', 'FLAG_STOP_WORDS', 'list', () => null],
  ['flag_duplicate_days', 'FLAG_DUPLICATE_DAYS', 'text', (v) => (v === '' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 365) ? null : 'ui-settings-err-flag-days')],
  ['flag_duplicate_percent', 'FLAG_DUPLICATE_PERCENT', 'text', (v) => (v === '' || (/^\d+$/.test(v) && Number(v) >= 50 && Number(v) <= 100) ? null : 'ui-settings-err-flag-percent')],
];

export function createSettingsView({ onSaved, onSetupAgain }) {
  let original = null;
  const inputs = {};
  const errors = {};
  const formError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'settings-error' });
  const results = h('ul', { class: 'checks', 'data-testid': 'settings-checks' });
  const save = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'settings-save' }, t('ui-settings-save'));
  const test = h('button', { class: 'btn', type: 'button', 'data-testid': 'settings-test' }, t('ui-settings-test'));

  const rows = FIELDS.map(([name, env, kind]) => {
    const id = `setting-${name}`;
    const input = kind === 'locale'
      ? h('select', { class: 'input', id, name }, ['ru', 'en'].map((l) => h('option', { value: l }, t(`ui-lang-${l}`))))
      : kind === 'mode'
        ? h('select', { class: 'input', id, name }, ['immediate', 'slots', 'interval'].map((m) => h('option', { value: m }, t(`ui-settings-mode-${m}`))))
      : kind === 'missed'
        ? h('select', { class: 'input', id, name }, ['catch_up', 'next_slots'].map((m) => h('option', { value: m }, t(`ui-settings-missed-${m.replace(/_/g, '-')}`))))
        : kind === 'signed'
          ? h('select', { class: 'input', id, name }, ['anonymous', 'signed'].map((m) => h('option', { value: m }, t(`ui-settings-signed-${m}`))))
          : kind === 'multiline'
            ? h('textarea', { class: 'input', id, name, rows: '3', spellcheck: 'false' })
            : kind === 'list'
              ? h('textarea', { class: 'input mono', id, name, rows: 6, autocomplete: 'off', spellcheck: 'false' })
            : h('input', { class: ['input', kind === 'secret' && 'mono'], id, name, type: 'text', autocomplete: 'off', spellcheck: 'false' });
    input.setAttribute('data-testid', id);
    inputs[name] = input;
    errors[name] = h('p', { class: 'field-error', id: `${id}-error`, 'data-testid': `${id}-error` });
    input.setAttribute('aria-describedby', `${id}-hint ${id}-error`);
    input.addEventListener('input', () => setFieldError(name, ''));
    return h('div', { class: 'field' },
      h('label', { class: 'field-label', for: id }, t(`ui-settings-${name.replace(/_/g, '-')}`), ' ', h('code', { class: 'muted small' }, env)),
      input,
      h('p', { class: 'field-hint muted small', id: `${id}-hint` }, t(`ui-settings-${name.replace(/_/g, '-')}-hint`)),
      errors[name]);
  });

  const form = h('form', { class: 'settings-form', novalidate: true, 'data-testid': 'settings' },
    rows, formError,
    h('div', { class: 'actions' }, save, test,
      onSetupAgain ? h('button', { class: 'btn', type: 'button', 'data-testid': 'setup-again', onClick: onSetupAgain }, t('ui-setup-again')) : null),
    results);
  const body = h('div', { class: 'panel' }, h('p', { class: 'state' }, t('ui-loading')));
  const login = createLoginSwitch();
  const backups = createBackupLine();
  const el = h('section', { class: 'page', 'aria-label': t('ui-nav-settings') },
    h('header', { class: 'page-head' }, h('h2', {}, t('ui-nav-settings'))),
    login.el,
    backups.el,
    h('p', { class: 'muted small' }, t('ui-settings-intro')),
    body);

  function setFieldError(name, text) {
    errors[name].textContent = text;
    inputs[name].setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  /** The form's values, typed like what settings_get returned. */
  function values() {
    const out = { ...(original || {}) };
    for (const [name] of FIELDS) {
      const raw = inputs[name].value.trim();
      const before = original ? original[name] : undefined;
      if (typeof before === 'number') out[name] = raw === '' ? null : (Number.isFinite(Number(raw)) ? Number(raw) : raw);
      else if (before === null && raw === '') out[name] = null;
      else out[name] = raw;
    }
    return out;
  }

  function checkClient() {
    let ok = true;
    for (const [name, , , check] of FIELDS) {
      const key = check(inputs[name].value.trim());
      setFieldError(name, key ? t(key) : '');
      if (key) ok = false;
    }
    return ok;
  }

  /** Puts a server error beside the field it names, or under the form. */
  function showServerError(err) {
    const text = errorText(err);
    const msg = `${err.field || ''} ${err.message || ''}`;
    const hit = FIELDS.find(([name, env]) => err.field === name || msg.includes(env) || msg.includes(name));
    if (hit) setFieldError(hit[0], text); else formError.textContent = text;
  }

  async function withButton(button, work) {
    save.disabled = true;
    test.disabled = true;
    button.setAttribute('aria-busy', 'true');
    formError.textContent = '';
    try { await work(); } finally {
      save.disabled = false;
      test.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!checkClient()) return;
    withButton(save, async () => {
      try {
        const v = values();
        await api.settingsSave(v);
        toast(t('ui-settings-saved'), 'success');
        await load();
        if (onSaved) onSaved(v);
      } catch (err) {
        showServerError(err);
      }
    });
  });

  test.addEventListener('click', () => {
    if (!checkClient()) return;
    withButton(test, async () => {
      replace(results, h('li', { class: 'muted' }, t('ui-settings-testing')));
      try {
        const res = await api.settingsTest(values());
        replace(results, ['database', 'redis', 'telegram'].map((k) => {
          const c = (res && res[k]) || { ok: false, message: '' };
          return h('li', { class: ['check-result', c.ok ? 'ok' : 'fail'], 'data-testid': `check-${k}` },
            h('span', { class: 'bulk-mark', 'aria-hidden': 'true' }, c.ok ? '✓' : '✕'),
            h('strong', {}, t(`ui-settings-check-${k}`)),
            h('span', { class: 'muted' }, c.message || (c.ok ? t('ui-settings-check-ok') : '')));
        }));
      } catch (err) {
        replace(results);
        showServerError(err);
      }
    });
  });

  async function load() {
    try {
      original = await api.settingsGet();
      for (const [name] of FIELDS) {
        const v = original[name];
        inputs[name].value = v === null || v === undefined ? '' : String(v);
        setFieldError(name, '');
      }
      replace(body, form);
    } catch (err) {
      replace(body, h('div', { class: 'state state-error' }, h('p', {}, errorText(err)),
        h('button', { class: 'btn', type: 'button', onClick: load }, t('ui-retry'))));
    }
  }

  return {
    el,
    mount: () => { load(); login.load(); backups.load(); },
    unmount() {},
    onChanged() {},
    tick() {},
    keys: {},
  };
}

/** The scheduled backups: the last one's time and size, a failure, the next one (read-only;
 * `BACKUP_TIME`, `BACKUP_KEEP` and `BACKUP_DIR` are set in `.env` or the settings file). */
function createBackupLine() {
  const line = h('p', { 'data-testid': 'backup-status' }, '—');
  const where = h('p', { class: 'field-hint muted small' });
  const el = h('div', { class: 'field panel' }, h('span', { class: 'field-label' }, t('ui-backup-title')), line, where);
  return {
    el,
    async load() {
      try {
        const status = await api.backupStatus();
        line.textContent = backupSummary(status, t);
        where.textContent = status.scheduled
          ? t('ui-backup-where', { time: status.at, keep: status.keep, folder: status.folder })
          : t('ui-backup-how');
      } catch (err) {
        line.textContent = errorText(err);
      }
    },
  };
}

/** "Start at login": a switch that applies at once (not with Save). */
function createLoginSwitch() {
  const box = h('input', { type: 'checkbox', role: 'switch', id: 'setting-autostart', 'data-testid': 'setting-autostart', disabled: true });
  const hint = h('p', { class: 'field-hint muted small', id: 'setting-autostart-hint' }, t('ui-settings-autostart-hint'));
  const error = h('p', { class: 'field-error', 'data-testid': 'setting-autostart-error' });
  box.setAttribute('aria-describedby', 'setting-autostart-hint');
  const el = h('div', { class: 'field panel' },
    h('label', { class: 'field-label', for: 'setting-autostart' }, box, ' ', t('ui-settings-autostart')),
    hint, error);

  /** An error beside the switch; `unavailable` (no autostart plugin) keeps it off for good. */
  function unavailable(err) {
    const gone = Boolean(err && err.code === 'unavailable');
    box.disabled = gone;
    error.textContent = gone ? t('ui-settings-autostart-unavailable') : errorText(err);
  }

  box.addEventListener('change', async () => {
    const wanted = box.checked;
    box.disabled = true;
    error.textContent = '';
    try {
      box.checked = Boolean(await api.autostartSet(wanted));
      toast(t(box.checked ? 'ui-settings-autostart-on' : 'ui-settings-autostart-off'), 'success');
      box.disabled = false;
    } catch (err) {
      box.checked = !wanted;
      unavailable(err);
    }
  });

  return {
    el,
    async load() {
      error.textContent = '';
      try {
        box.checked = Boolean(await api.autostartGet());
        box.disabled = false;
      } catch (err) {
        unavailable(err);
      }
    },
  };
}
