// First-run setup screen: token → moderation group (/setup CODE) → channel → done. Each step is
// checked by the app against Telegram (setup_* commands); progress arrives as postgate://setup events.
import { h, replace } from '../dom.js';
import { api, listen, EVENT_SETUP } from '../api.js';
import { t, has, locale, loadTexts, LOCALES } from '../i18n.js';

/** The UI's text for a setup error (`reason` from the command), the app's own words below it. */
function errorLines(err) {
  const key = err && err.reason ? `ui-setup-err-${err.reason.replace(/_/g, '-')}` : '';
  const head = key && has(key) ? t(key) : null;
  const detail = err && err.message ? err.message : String(err);
  return head ? [h('strong', {}, head), h('br'), h('span', { class: 'muted small' }, detail)] : [detail];
}

/** A notice from the setup bot in the moderator's words. */
export function noticeText(n) {
  const key = `ui-setup-notice-${String(n.kind).replace(/_/g, '-')}`;
  const args = { chat: n.chat || '', from: n.from, to: n.to, error: n.error || '' };
  return has(key) ? t(key, args) : String(n.kind);
}

/**
 * The setup screen. `again`: run from Settings on a configured console (shows Cancel).
 * `onDone()` after the settings were saved and the console started; `onCancel()` for Cancel.
 */
export function createSetupView({ again = false, onDone, onCancel, onLocale }) {
  const state = { progress: null, channel: null, busy: false, unlisten: null, timer: null };

  // Step 1: the token.
  const tokenInput = h('input', {
    class: 'input mono', id: 'setup-token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    'data-testid': 'setup-token', placeholder: '123456789:AAE…',
  });
  const tokenError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'setup-token-error' });
  const tokenButton = h('button', { class: 'btn btn-primary', type: 'submit', 'data-testid': 'setup-token-check' }, t('ui-setup-token-check'));
  const botLine = h('p', { class: 'setup-ok', 'data-testid': 'setup-bot', hidden: true });
  const tokenForm = h('form', { class: 'setup-row', novalidate: true, onSubmit: (e) => { e.preventDefault(); checkToken(); } },
    tokenInput, tokenButton);

  // Step 2: the group.
  const codeLine = h('p', { class: 'setup-code-line' });
  const expiry = h('p', { class: 'muted small', 'data-testid': 'setup-code-expiry' });
  const newCode = h('button', { class: 'btn', type: 'button', 'data-testid': 'setup-new-code', onClick: () => run(async () => render(await api.setupNewCode())) }, t('ui-setup-new-code'));
  const groupLine = h('p', { class: 'setup-ok', 'data-testid': 'setup-group', hidden: true });
  const moderatorBox = h('input', { type: 'checkbox', id: 'setup-moderator', checked: true, 'data-testid': 'setup-moderator' });
  const moderatorLabel = h('label', { for: 'setup-moderator' });
  const moderatorRow = h('p', { class: 'setup-check', hidden: true }, moderatorBox, ' ', moderatorLabel);
  const notices = h('ul', { class: 'setup-notices', 'aria-live': 'polite', 'data-testid': 'setup-notices' });

  // Step 3: the channel.
  const channelIntro = h('p', {});
  const channelList = h('div', { class: 'setup-channels', role: 'radiogroup', 'data-testid': 'setup-channels' });
  const channelInput = h('input', { class: 'input mono', type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '@channel', 'data-testid': 'setup-channel-input' });
  const channelButton = h('button', { class: 'btn', type: 'submit', 'data-testid': 'setup-channel-check' }, t('ui-setup-channel-check'));
  const channelForm = h('form', { class: 'setup-row', novalidate: true, onSubmit: (e) => { e.preventDefault(); checkChannel(channelInput.value); } },
    channelInput, channelButton);
  const channelResult = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'setup-channel-error' });
  const channelOk = h('p', { class: 'setup-ok', 'data-testid': 'setup-channel-ok', hidden: true });

  // Step 4: done.
  const finishError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'setup-finish-error' });
  const finish = h('button', { class: 'btn btn-primary', type: 'button', disabled: true, 'data-testid': 'setup-finish', onClick: finishSetup }, t('ui-setup-finish'));

  const step = (n, title, ...body) => h('li', { class: 'setup-step', 'data-step': String(n), 'data-testid': `setup-step-${n}` },
    h('h2', {}, h('span', { class: 'setup-num' }, String(n)), ' ', title), ...body);
  const steps = [
    step(1, t('ui-setup-step-token'), h('p', {}, t('ui-setup-token-help')), tokenForm, tokenError, botLine),
    step(2, t('ui-setup-step-group'), codeLine, expiry, newCode, groupLine, moderatorRow, notices),
    step(3, t('ui-setup-step-channel'), channelIntro, channelList, h('p', { class: 'muted small' }, t('ui-setup-channel-or')), channelForm, channelResult, channelOk),
    step(4, t('ui-setup-step-done'), h('p', {}, t('ui-setup-done-help')), finish, finishError),
  ];
  const localeSelect = h('select', { class: 'input', 'aria-label': t('ui-setup-language'), 'data-testid': 'setup-locale',
    onChange: async (e) => { await loadTexts(e.target.value); if (onLocale) onLocale(); } },
  LOCALES.map((l) => h('option', { value: l, selected: l === locale() }, t(`ui-lang-${l}`))));
  const cancel = again ? h('button', { class: 'btn', type: 'button', 'data-testid': 'setup-cancel', onClick: cancelSetup }, t('ui-setup-cancel')) : null;
  const el = h('section', { class: 'setup', 'data-testid': 'setup', 'aria-label': t('ui-setup-title') },
    h('header', { class: 'setup-head' }, h('h1', {}, t('ui-setup-title')), h('div', { class: 'setup-tools' }, localeSelect, cancel)),
    h('p', { class: 'muted' }, t(again ? 'ui-setup-intro-again' : 'ui-setup-intro')),
    h('ol', { class: 'setup-steps' }, steps));

  async function run(fn) {
    if (state.busy) return;
    state.busy = true;
    try { await fn(); } finally { state.busy = false; }
  }

  function checkToken() {
    run(async () => {
      tokenError.textContent = '';
      tokenButton.disabled = true;
      try {
        render(await api.setupToken(tokenInput.value));
        tokenInput.value = '';
      } catch (err) {
        replace(tokenError, ...errorLines(err));
      } finally {
        tokenButton.disabled = false;
      }
    });
  }

  function checkChannel(raw) {
    run(async () => {
      channelResult.textContent = '';
      channelOk.hidden = true;
      state.channel = null;
      try {
        const channel = await api.setupChannel(String(raw).trim());
        state.channel = channel;
        channelOk.textContent = t('ui-setup-channel-ready', { title: channel.title });
        channelOk.hidden = false;
      } catch (err) {
        replace(channelResult, ...errorLines(err));
      }
      render(state.progress);
    });
  }

  function finishSetup() {
    run(async () => {
      finishError.textContent = '';
      finish.disabled = true;
      try {
        await api.setupFinish(state.channel.username ? `@${state.channel.username}` : String(state.channel.id), moderatorBox.checked);
        if (onDone) onDone();
      } catch (err) {
        replace(finishError, ...errorLines(err));
        finish.disabled = false;
      }
    });
  }

  function cancelSetup() {
    run(async () => {
      try { await api.setupCancel(); } catch { /* back to the console anyway */ }
      if (onCancel) onCancel();
    });
  }

  function setStep(current) {
    steps.forEach((li, i) => {
      const n = i + 1;
      li.dataset.state = n < current ? 'done' : n === current ? 'current' : 'todo';
      if (n === current) li.setAttribute('aria-current', 'step'); else li.removeAttribute('aria-current');
    });
  }

  function render(progress) {
    state.progress = progress;
    if (!progress) { setStep(1); return; }
    const bot = progress.bot;
    botLine.textContent = t('ui-setup-bot', { name: bot.name, username: bot.username });
    botLine.hidden = false;
    replace(codeLine, t('ui-setup-code-help', { username: bot.username }), ' ',
      h('code', { class: 'setup-code', 'data-testid': 'setup-code' }, `/setup ${progress.code}`));
    expiry.textContent = t('ui-setup-code-expiry', { minutes: Math.max(1, Math.ceil(progress.code_expires_in_secs / 60)) });
    const group = progress.group;
    groupLine.hidden = !group;
    moderatorRow.hidden = !(group && group.moderator);
    if (group) {
      groupLine.textContent = t('ui-setup-group', { title: group.title, id: group.id });
      if (group.moderator) moderatorLabel.textContent = t('ui-setup-moderator', { name: group.moderator.name, id: group.moderator.id });
    }
    replace(notices, ...progress.notices.slice(-5).reverse().map((n) => h('li', { class: `setup-notice setup-notice-${n.kind}` }, noticeText(n))));
    if (progress.polling_error) notices.prepend(h('li', { class: 'setup-notice setup-notice-polling' }, t('ui-setup-notice-polling', { error: progress.polling_error })));
    channelIntro.textContent = t('ui-setup-channel-help', { username: bot.username });
    replace(channelList, ...(progress.channels.length === 0
      ? [h('p', { class: 'muted small', 'data-testid': 'setup-channels-empty' }, t('ui-setup-channels-none'))]
      : progress.channels.map((c) => h('button', {
        type: 'button', role: 'radio', class: ['setup-channel', state.channel && state.channel.id === c.id && 'selected'],
        'aria-checked': String(Boolean(state.channel && state.channel.id === c.id)),
        'data-testid': `setup-channel-${c.id}`, onClick: () => checkChannel(String(c.id)),
      }, h('span', {}, c.title), c.username ? h('span', { class: 'muted small' }, ` @${c.username}`) : null,
      h('span', { class: ['badge', c.can_post ? 'badge-ok' : 'badge-warn'] }, t(c.can_post ? 'ui-setup-can-post' : 'ui-setup-cannot-post'))))));
    finish.disabled = !(group && state.channel);
    setStep(!group ? 2 : !state.channel ? 3 : 4);
  }

  return {
    el,
    async mount() {
      setStep(1);
      try {
        state.unlisten = await listen(EVENT_SETUP, render);
      } catch { /* the status refresh below still follows */ }
      try {
        const status = await api.setupStatus();
        if (status && status.progress) render(status.progress);
      } catch { /* step 1 */ }
      // The countdown, and a fallback for a missed event.
      state.timer = setInterval(async () => {
        if (!state.progress) return;
        try { const s = await api.setupStatus(); if (s && s.progress) render(s.progress); } catch { /* next tick */ }
      }, 5000);
      tokenInput.focus();
    },
    unmount() {
      if (state.unlisten) state.unlisten();
      clearInterval(state.timer);
    },
  };
}
