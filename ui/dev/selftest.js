// Dev-only in-browser self-test against the mock (open /ui/dev/index.html?selftest=1); results land in #selftest and the title.
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => [...document.querySelectorAll(sel)];
const results = [];
const check = (name, ok, extra) => results.push(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || extra === undefined ? '' : ` — ${extra}`}`);
const key = (k, target = document.body) => target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
const selected = () => { const r = $('[aria-selected="true"][role="option"][data-testid^="row-"]'); return r ? r.dataset.testid : null; };
const lastToast = () => { const all = $$('[data-testid="toast"]'); return all.length ? all[all.length - 1].textContent : ''; };
async function until(fn, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (fn()) return true; await wait(50); }
  return false;
}

export async function run() {
  await until(() => $$('[role="option"][data-testid^="row-"]').length > 0);
  check('first page has 50 rows', $$('[role="option"][data-testid^="row-"]').length === 50, $$('[role="option"][data-testid^="row-"]').length);
  await until(() => $('[data-testid="count-pending"]').textContent === '65');
  check('pending count shown', $('[data-testid="count-pending"]').textContent === '65', $('[data-testid="count-pending"]').textContent);
  check('bot pill running', $('[data-testid="bot-state"]').dataset.state === 'running');
  check('no <img> from user content', document.querySelectorAll('img').length === 0);
  check('XSS excerpt literal', $('[data-testid="row-103"] [data-testid="row-excerpt"]').textContent === '<img src=x onerror=alert(1)>');

  key('j');
  check('j selects first row', selected() === 'row-101', selected());
  await until(() => ($('[data-testid="detail-body"]') || {}).textContent?.includes('Привет'));
  check('detail shows the body', ($('[data-testid="detail-body"]') || {}).textContent?.includes('Привет'));
  key('j');
  check('j moves down', selected() === 'row-102', selected());
  key('k');
  key('j');
  const search = $('[data-testid="search"]');
  key('j', search);
  check('j while typing in search does nothing', selected() === 'row-102', selected());
  key('/');
  check('/ focuses search', document.activeElement === search);
  search.value = 'concert';
  search.dispatchEvent(new Event('input', { bubbles: true }));
  await until(() => $$('[role="option"][data-testid^="row-"]').length === 1);
  check('search filters (debounced)', $$('[role="option"][data-testid^="row-"]').length === 1 && Boolean($('[data-testid="row-104"]')));
  search.value = '';
  search.dispatchEvent(new Event('input', { bubbles: true }));
  await until(() => $$('[role="option"][data-testid^="row-"]').length === 50);
  search.blur();

  $('[data-testid="row-102"]').click();
  await until(() => $('[data-testid="detail-body"]')?.textContent.includes('Закат'));
  key('a');
  await until(() => lastToast().includes('#102'));
  check('approve toasts', lastToast().includes('#102'), lastToast());
  await until(() => !$('[data-testid="row-102"]'));
  check('approved row leaves the queue', !$('[data-testid="row-102"]'));
  await until(() => selected() === 'row-103');
  check('selection advances to the next row', selected() === 'row-103', selected());
  await until(() => $('[data-testid="detail-body"]')?.textContent.includes('<img'));

  key('r');
  check('r opens reject dialog', Boolean($('[data-testid="reject-dialog"]')));
  key('Escape');
  check('Esc closes it', !$('[data-testid="reject-dialog"]'));
  key('r');
  check('reject confirm disabled without a reason', $('[data-testid="reject-confirm"]').disabled);
  $('[data-testid="reason-spam"]').click();
  $('[data-testid="reject-confirm"]').click();
  await until(() => !$('[data-testid="row-103"]'));
  check('reject with template removes row', !$('[data-testid="row-103"]'), lastToast());

  $('[data-testid="row-106"]').click();
  await until(() => Boolean($('[data-testid="claim-warning"]')));
  check('claim warning for a post held by another', Boolean($('[data-testid="claim-warning"]')));
  key('a');
  await until(() => lastToast().includes('2002'));
  check('claimed_by_other outcome is reported', lastToast().includes('2002'), lastToast());
  check('held row stays', Boolean($('[data-testid="row-106"]')));

  $('[data-testid="row-107"]').click();
  await until(() => $('[data-testid="detail-body"]')?.textContent.includes('followers'));
  window.__mock.failNext = { command: 'post_approve', error: JSON.stringify({ code: 'unavailable', message: 'database is down' }) };
  key('a');
  await until(() => lastToast().includes('database is down'));
  check('a failed request shows the error', lastToast().includes('database is down'), lastToast());
  await wait(400);
  check('nothing optimistic: the row stays', Boolean($('[data-testid="row-107"]')));
  check('buttons usable again', !$('[data-testid="approve"]').disabled);
  check('error toast kind', $$('[data-testid="toast"]').some((x) => x.dataset.kind === 'error'));

  $('[data-testid="row-104"]').click();
  await until(() => $('[data-testid="detail-body"]')?.textContent.includes('concert'));
  key('e');
  const area = $('[data-testid="edit-body"]');
  check('e opens the edit dialog prefilled', area && area.value.includes('concert'));
  area.value = 'Edited clip caption';
  $('[data-testid="edit-confirm"]').click();
  await until(() => !$('[data-testid="row-104"]'));
  check('edit & approve', !$('[data-testid="row-104"]') && !$('[data-testid="edit-dialog"]'), lastToast());

  $('[data-testid="row-105"]').click();
  await until(() => Boolean($('[data-testid="ban"]')) && $('[data-testid="detail-status"]') && selected() === 'row-105');
  await wait(300);
  key('b');
  const reason = $('[data-testid="ban-reason"]');
  check('b opens the ban dialog', Boolean(reason));
  reason.value = 'spam';
  reason.dispatchEvent(new Event('input', { bubbles: true }));
  $('[data-testid="ban-confirm"]').click();
  await until(() => Boolean($('[data-testid="author-banned"]')));
  check('ban shows the banned state', Boolean($('[data-testid="author-banned"]')), lastToast());

  const before = $('[data-testid="count-pending"]').textContent;
  window.__mock.posts.push({ id: 999, author: 12, body: 'Live one', entities: [], status: 'pending', media: [], created: 0 });
  window.__mock.emit('postgate://changed', { event: 'post_created', post_id: 999 });
  await until(() => $('[data-testid="count-pending"]').textContent !== before);
  check('live post_created updates counts', $('[data-testid="count-pending"]').textContent === String(Number(before) + 1), `${before} → ${$('[data-testid="count-pending"]').textContent}`);
  window.__mock.emit('postgate://bot', { state: 'error', message: 'boom', at: new Date().toISOString() });
  check('bot event updates the pill', $('[data-testid="bot-state"]').dataset.state === 'error');

  key('?');
  check('? opens shortcuts', Boolean($('[data-testid="shortcuts"]')));
  key('Escape');
  check('Esc closes shortcuts', !$('[data-testid="shortcuts"]'));
  check('exactly one selected row', $$('[aria-selected="true"]').length <= 1);
  check('no inline style attributes', $$('[style]').length === 0, $$('[style]').map((e) => e.tagName).join(','));

  $('[data-testid="nav-history"]').click();
  await until(() => Boolean($('[data-testid="row-90"]')));
  check('history lists published posts', Boolean($('[data-testid="row-90"]')));
  $('[data-testid="open-failed"]').click();
  await until(() => Boolean($('[data-testid="row-91"]')));
  check('the failed count opens History on publish_failed', Boolean($('[data-testid="row-91"]')) && !$('[data-testid="row-90"]'));
  $('[data-testid="row-91"]').click();
  await until(() => Boolean($('[data-testid="retry"]')));
  check('publish error shown', Boolean($('[data-testid="publish-error"]')));
  $('[data-testid="retry"]').click();
  await until(() => lastToast().includes('#91'));
  check('retry publish', lastToast().includes('#91'), lastToast());
  $('[data-testid="nav-audit"]').click();
  await until(() => $$('[data-testid="audit"] tbody tr').length >= 7);
  check('audit lists the new actions', $$('[data-testid="audit"] tbody tr').length >= 7, $$('[data-testid="audit"] tbody tr').length);
  $('[data-testid="nav-bot"]').click();
  await until(() => $('[data-testid="bot-backlog"]')?.textContent === '3');
  check('bot panel shows the backlog', $('[data-testid="bot-backlog"]')?.textContent === '3');
  $('[data-testid="nav-settings"]').click();
  await until(() => Boolean($('[data-testid="setting-bot_token"]')?.value));
  check('settings form loaded', Boolean($('[data-testid="setting-bot_token"]')) && $('[data-testid="setting-bot_token"]').value === '123456:***');
  const group = $('[data-testid="setting-moderation_group_id"]');
  group.value = '42';
  $('[data-testid="settings-save"]').click();
  await wait(100);
  check('client-side validation beside the field', $('[data-testid="setting-moderation_group_id-error"]').textContent.length > 0);
  const locale = $('[data-testid="locale"]');
  locale.value = 'en';
  locale.dispatchEvent(new Event('change', { bubbles: true }));
  await until(() => $('[data-testid="nav-queue"]')?.textContent.startsWith('Queue'));
  check('language switch to English', $('[data-testid="nav-queue"]').textContent.startsWith('Queue'), $('[data-testid="nav-queue"]').textContent);
  check('view kept after language switch', Boolean($('[data-testid="settings"]')) || Boolean($('[data-testid="setting-bot_token"]')) || location.hash === '#settings');

  const failed = results.filter((r) => r.startsWith('FAIL')).length;
  document.title = failed ? `SELFTEST FAIL ${failed}` : 'SELFTEST PASS';
  const pre = document.createElement('pre');
  pre.id = 'selftest';
  pre.textContent = results.join('\n');
  document.body.appendChild(pre);
}
