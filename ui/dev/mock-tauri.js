// Dev-only stand-in for window.__TAURI__ with canned data, so the UI runs in a plain browser. Never shipped.
(function () {
  'use strict';
  const ME = 1001;
  const OTHER = 2002;
  const now = Date.now();
  const ago = (min) => new Date(now - min * 60000).toISOString();
  const later = (min) => new Date(Date.now() + min * 60000).toISOString();
  const params = new URLSearchParams(location.search);

  const authors = {
    11: { profile: { id: 11, username: 'anna_k', first_name: 'Анна', last_name: 'Ковалёва', language_code: 'ru' }, locale_override: null, approved: 12, rejected: 1, pending: 2, banned: false, created_at: ago(60 * 24 * 90) },
    12: { profile: { id: 12, username: null, first_name: 'Pavel', last_name: null, language_code: 'en' }, locale_override: null, approved: 0, rejected: 4, pending: 1, banned: false, created_at: ago(60 * 24 * 3) },
    13: { profile: { id: 13, username: 'xss_tester', first_name: '<b>Mallory</b>', last_name: null, language_code: 'de' }, locale_override: null, approved: 0, rejected: 7, pending: 1, banned: true, created_at: ago(60 * 24) },
    14: { profile: { id: 14, username: 'photo_max', first_name: 'Максим', last_name: null, language_code: 'ru' }, locale_override: null, approved: 31, rejected: 2, pending: 3, banned: false, created_at: ago(60 * 24 * 400) },
  };
  const media = (kind, n, extra) => Array.from({ length: n }, (_, i) => ({
    position: i, kind, file_id: `F${kind}${i}`, file_unique_id: `U${kind}${i}`, file_name: null, mime_type: null, file_size: 150000 + i * 90000, ...(extra || {}),
  }));
  const richText = 'Привет! 👋 Это **жирный**, курсив, ссылка на сайт и спойлер. Код: let x = 1;\nВторая строка с #хэштегом.';
  const idx = (s) => richText.indexOf(s);
  let posts = [
    { id: 101, author: 11, body: richText, entities: [
      { type: 'bold', offset: idx('**жирный**'), length: 10 },
      { type: 'italic', offset: idx('курсив'), length: 6 },
      { type: 'text_link', offset: idx('ссылка на сайт'), length: 14, url: 'https://example.org/news?id=7' },
      { type: 'spoiler', offset: idx('спойлер'), length: 7 },
      { type: 'code', offset: idx('let x = 1;'), length: 10 },
      { type: 'hashtag', offset: idx('#хэштегом'), length: 9 },
    ], status: 'pending', media: [], created: 95 },
    { id: 102, author: 14, body: 'Закат над заливом — три кадра с прогулки.', entities: [], status: 'pending', media: media('photo', 3), group: 'album-1', created: 80 },
    { id: 103, author: 13, body: '<img src=x onerror=alert(1)>', entities: [{ type: 'bold', offset: 0, length: 5 }, { type: 'text_link', offset: 5, length: 10, url: 'javascript:alert(2)' }], status: 'pending', media: [], created: 64 },
    { id: 104, author: 12, body: 'Short clip from the concert last night', entities: [], status: 'pending', media: media('video', 1, { mime_type: 'video/mp4', file_size: 18400000 }), created: 50, edited: true },
    { id: 105, author: 11, body: '', entities: [], status: 'pending', media: media('voice', 1, { mime_type: 'audio/ogg', file_size: 48000 }), created: 41 },
    { id: 106, author: 14, body: 'Расписание электричек на декабрь (PDF)', entities: [], status: 'pending', media: media('document', 1, { file_name: 'raspisanie_dekabr_2026.pdf', mime_type: 'application/pdf', file_size: 734003 }), created: 33, claimed_by: OTHER, claim_min: 4 },
    { id: 107, author: 12, body: 'Buy cheap followers!!! t.me/spam_spam', entities: [{ type: 'url', offset: 23, length: 14 }], status: 'pending', media: [], created: 20 },
    { id: 108, author: 14, body: 'Кот учится открывать холодильник', entities: [], status: 'pending', media: media('animation', 1), created: 7 },
    { id: 90, author: 11, body: 'Новогодняя ярмарка открывается в субботу', entities: [], status: 'published', media: media('photo', 1), created: 600, decided: 590, decided_by: ME },
    { id: 91, author: 14, body: 'Фото с выставки', entities: [], status: 'publish_failed', media: media('photo', 2), created: 500, decided: 480, decided_by: OTHER, publish_error: 'Bad Request: wrong file identifier/HTTP URL specified' },
    { id: 92, author: 12, body: 'Reposting the same meme again', entities: [], status: 'rejected', media: [], created: 400, decided: 395, decided_by: OTHER, reason: { kind: 'template', value: 'duplicate' } },
  ];
  for (let i = 0; i < 57; i += 1) {
    posts.push({ id: 200 + i, author: [11, 12, 14][i % 3], body: `Обычная заявка номер ${i + 1}: немного текста, чтобы заполнить строку списка и проверить обрезку длинных строк в очереди.`, entities: [], status: 'pending', media: i % 4 === 0 ? media('photo', 1) : [], created: 5 - i * 0.05 });
  }
  const log = [
    { id: 3, post_id: 92, target_user_id: 12, moderator_id: OTHER, action: 'reject', source: 'telegram', reason: 'duplicate', details: {}, created_at: ago(395) },
    { id: 2, post_id: 91, target_user_id: 14, moderator_id: null, action: 'publish_failed', source: 'system', reason: null, details: {}, created_at: ago(470) },
    { id: 1, post_id: 90, target_user_id: 11, moderator_id: ME, action: 'approve', source: 'console', reason: null, details: {}, created_at: ago(590) },
  ];
  let logSeq = 10;
  let bot = { state: 'running', since: ago(180) };
  // ?scenario=outage: the database has been unreachable for 42 s.
  const database = new URLSearchParams(location.search).get('scenario') === 'outage'
    ? { state: 'unreachable', since: ago(42 / 60), error: 'database unavailable: connection refused' }
    : { state: 'reachable' };
  let settings = { bot_token: '123456:***', moderation_group_id: -1001234567890, channel_id: '@postgate_demo', moderator_ids: '2002, 3003', console_moderator_id: ME, database_url: 'postgres://postgres@127.0.0.1:5432/postgate', redis_url: 'redis://127.0.0.1:6379/0', default_locale: 'ru' };

  const record = (p) => ({
    id: p.id, author: authors[p.author].profile, source_chat_id: p.author, source_message_id: p.id * 10, media_group_id: p.group || null,
    body: p.body, entities: p.entities, status: p.status, edited_by_author: Boolean(p.edited), edited_by_moderator: Boolean(p.mod_edit),
    reject_reason: p.reason || null, decided_by: p.decided_by || null, decided_at: p.decided !== undefined ? ago(p.decided) : null,
    publish_error: p.publish_error || null, published_at: null, channel_message_id: null, moderation_message_id: null,
    claimed_by: p.claimed_by || null, claim_expires_at: p.claim_until || (p.claim_min ? later(p.claim_min) : null),
    created_at: ago(p.created), updated_at: ago(p.created), media: p.media,
  });
  const summary = (p) => {
    const r = record(p);
    return { id: p.id, author_id: p.author, author_name: [r.author.first_name, r.author.last_name].filter(Boolean).join(' '), status: p.status,
      excerpt: p.body.replace(/\s+/g, ' ').slice(0, 140), media_count: p.media.length, first_media_kind: p.media[0] ? p.media[0].kind : null,
      edited_by_author: Boolean(p.edited), claimed_by: r.claimed_by, claim_expires_at: r.claim_expires_at, created_at: r.created_at, decided_at: r.decided_at };
  };
  const find = (id) => posts.find((p) => p.id === id);
  const claimedByOther = (p) => p.claimed_by && p.claimed_by !== ME && new Date(record(p).claim_expires_at).getTime() > Date.now();

  const listeners = {};
  function emit(event, payload) {
    for (const fn of listeners[event] || []) fn({ event, id: 0, payload });
  }
  const changed = (event, id) => setTimeout(() => emit('postgate://changed', { event, post_id: id }), 50);

  function addLog(p, action, reason) {
    logSeq += 1;
    log.unshift({ id: logSeq, post_id: p ? p.id : null, target_user_id: p ? p.author : null, moderator_id: ME, action, source: 'console', reason: reason || null, details: {}, created_at: new Date().toISOString() });
  }

  function decide(id, fn) {
    const p = find(id);
    if (!p) return { outcome: 'not_found' };
    if (claimedByOther(p)) return { outcome: 'claimed_by_other', by: p.claimed_by, until: record(p).claim_expires_at };
    return fn(p);
  }
  function finish(p, status, action, reason) {
    p.status = status;
    p.decided = 0;
    p.decided_by = ME;
    p.claimed_by = null;
    p.claim_until = null;
    addLog(p, action, reason);
    changed('post_decided', p.id);
    if (status === 'approved') {
      setTimeout(() => { p.status = 'published'; changed('post_published_state', p.id); }, 3000);
    }
    return { outcome: 'decided', post: record(p) };
  }

  let texts = {};
  async function loadFtl(locale) {
    if (texts[locale]) return texts[locale];
    const messages = {};
    for (const file of ['ui.ftl', 'bot.ftl']) {
      const res = await fetch(`../../locales/${locale}/${file}`);
      const src = await res.text();
      for (const line of src.split('\n')) {
        const m = /^([a-z][a-z0-9-]*) = (.*)$/.exec(line);
        if (m) messages[m[1]] = m[2];
      }
    }
    texts[locale] = messages;
    return messages;
  }

  /** A stand-in for the server's content version: changes whenever the text does. */
  const versionOf = (p) => Array.from(`${p.body}|${JSON.stringify(p.entities || [])}`)
    .reduce((h, c) => (h * 31 + c.codePointAt(0)) >>> 0, 7).toString(16).padStart(16, '0');

  const commands = {
    async ui_texts({ locale }) {
      const loc = locale === 'en' ? 'en' : 'ru';
      const messages = await loadFtl(loc);
      const names = ['spam', 'off-topic', 'duplicate', 'rules', 'low-quality', 'expired'];
      return { locale: loc, messages, reject_templates: names.map((name) => ({ name, label: messages[`reject-reason-${name}`] || name })) };
    },
    queue_list({ query }) {
      const q = query || {};
      let list = posts.filter((p) => (!q.status || p.status === q.status)
        && (!q.media_kind || (p.media[0] && p.media[0].kind === q.media_kind))
        && (q.edited === undefined || Boolean(p.edited) === q.edited)
        && (!q.search || p.body.toLowerCase().includes(q.search.toLowerCase())));
      list.sort((a, b) => (q.newest_first ? a.created - b.created : b.created - a.created));
      const limit = q.limit ? Math.min(200, q.limit) : 50;
      return { posts: list.slice(q.offset || 0, (q.offset || 0) + limit).map(summary), total: list.length };
    },
    queue_stats() {
      const c = (s) => posts.filter((p) => p.status === s).length;
      return { pending: c('pending'), approved: c('approved'), published: c('published') + 1240, publish_failed: c('publish_failed'), rejected: c('rejected') + 310, edited_pending: posts.filter((p) => p.status === 'pending' && p.edited).length };
    },
    post_detail({ id }) {
      const p = find(id);
      if (!p) throw { code: 'not_found', message: `post ${id}` };
      return { post: record(p), version: versionOf(p), author: authors[p.author], log: log.filter((e) => e.post_id === id) };
    },
    post_claim({ id }) {
      const p = find(id);
      if (!p) return { outcome: 'not_found' };
      if (p.status !== 'pending') return { outcome: 'not_pending' };
      if (claimedByOther(p)) return { outcome: 'held_by_other', by: p.claimed_by, until: record(p).claim_expires_at };
      p.claimed_by = ME;
      p.claim_until = later(5);
      changed('post_claimed', id);
      return { outcome: 'claimed', until: p.claim_until };
    },
    post_release({ id }) {
      const p = find(id);
      if (p && p.claimed_by === ME) { p.claimed_by = null; p.claim_until = null; changed('post_released', id); }
      return null;
    },
    post_approve({ id, version, editedBody }) {
      return decide(id, (p) => {
        if (p.status !== 'pending') return { outcome: 'already_decided', status: p.status, by: p.decided_by || null };
        // As the server: an approval names the version it saw (bulk: only never-edited posts).
        const now = versionOf(p);
        if (version === undefined ? p.edited : version !== now) return { outcome: 'changed', version: now };
        if (editedBody !== undefined) { p.body = editedBody; p.entities = []; p.mod_edit = true; }
        return finish(p, 'approved', editedBody !== undefined ? 'edit_approve' : 'approve');
      });
    },
    post_reject({ id, reason, banAuthor }) {
      if (!reason || !reason.value) throw { code: 'invalid', message: 'the reason is empty' };
      return decide(id, (p) => {
        if (p.status !== 'pending') return { outcome: 'already_decided', status: p.status, by: p.decided_by || null };
        p.reason = reason;
        if (banAuthor) { authors[p.author].banned = true; addLog(p, 'ban', reason.value); }
        return finish(p, 'rejected', 'reject', reason.value);
      });
    },
    post_retry({ id }) {
      return decide(id, (p) => (p.status !== 'publish_failed' ? { outcome: 'already_decided', status: p.status, by: p.decided_by || null }
        : finish(p, 'approved', 'retry_publish')));
    },
    bulk_decide({ ids, action, reason }) {
      return { results: ids.map((id) => ({ id, outcome: action === 'approve' ? commands.post_approve({ id }) : commands.post_reject({ id, reason, banAuthor: false }) })) };
    },
    author_ban({ userId, reason }) {
      authors[userId].banned = true;
      addLog(posts.find((p) => p.author === userId), 'ban', reason);
      changed('author_banned', null);
      return null;
    },
    author_unban({ userId }) {
      const had = authors[userId].banned;
      authors[userId].banned = false;
      changed('author_unbanned', null);
      return had;
    },
    audit_log({ postId, limit }) {
      return log.filter((e) => postId === undefined || e.post_id === postId).slice(0, limit || 100);
    },
    bot_status() {
      const line = (min, level, message, extra) => JSON.stringify({ timestamp: ago(min), level, message, target: 'postgate', ...(extra || {}) });
      return { state: bot, outbox_backlog: 3, updates_handled: 42, log_tail: [
        line(9, 'INFO', 'bot started'),
        line(7, 'INFO', 'submission stored', { span: { name: 'submit', user_id: 11, post_id: 101 } }),
        line(5, 'WARN', 'card refused', { error: 'Bad Request: <b>chat</b> not found', span: { name: 'announce', post_id: 102 } }),
        'thread \'tokio-runtime-worker\' panicked at src/publisher/mod.rs:1:1',
        line(2, 'ERROR', 'publication failed', { spans: [{ name: 'decide', moderator_id: ME }, { name: 'publish', post_id: 101 }] }),
        line(1, 'DEBUG', 'poll', { count: 0 }),
      ] };
    },
    database_health() { return database; },
    bot_start() {
      bot = { state: 'starting' };
      emit('postgate://bot', bot);
      setTimeout(() => { bot = { state: 'running', since: new Date().toISOString() }; emit('postgate://bot', bot); }, 800);
      return bot;
    },
    bot_stop() { bot = { state: 'stopped' }; emit('postgate://bot', bot); return bot; },
    settings_get() { return { ...settings }; },
    settings_save({ settings: s }) {
      if (!/^-\d+$/.test(String(s.moderation_group_id))) throw { code: 'invalid', message: 'MODERATION_GROUP_ID must be a negative integer' };
      settings = { ...s, bot_token: '123456:***' };
      return null;
    },
    'plugin:opener|open_url'({ url }) {
      // The real app opens the system browser (http(s) only); the mock just says what it would do.
      console.info(`mock opener: would open ${url}`);
      return null;
    },
    settings_test() {
      return { database: { ok: true, message: 'PostgreSQL 15.10' }, redis: { ok: true, message: 'PONG' }, telegram: { ok: false, message: 'getMe: 401 Unauthorized' } };
    },
  };

  window.__TAURI__ = {
    core: {
      async invoke(cmd, args) {
        await new Promise((r) => setTimeout(r, 120));
        if (!commands[cmd]) throw { code: 'internal', message: `mock has no command ${cmd}` };
        if (window.__mock.failNext && window.__mock.failNext.command === cmd) {
          const { error } = window.__mock.failNext;
          window.__mock.failNext = null;
          throw error;
        }
        return commands[cmd](args || {});
      },
    },
    event: {
      async listen(event, handler) {
        (listeners[event] = listeners[event] || []).push(handler);
        return () => { listeners[event] = listeners[event].filter((h) => h !== handler); };
      },
    },
  };
  // For poking at it from the console: __mock.emit('postgate://changed', { event: 'resync', post_id: null }).
  window.__mock = { emit, posts, authors, failNext: null };

  if (params.get('theme')) localStorage.setItem('postgate.theme', params.get('theme'));
  if (params.get('locale')) localStorage.setItem('postgate.locale', params.get('locale'));
  // Scripted screens for headless screenshots: ?scenario=detail|reject|edit|shortcuts|bulk|history|audit|settings|bot
  // (?scenario=outage: a detail with the header saying the database is unreachable).
  if (params.get('selftest')) {
    window.addEventListener('load', () => { setTimeout(() => import('./selftest.js').then((m) => m.run()), 300); });
  }
  const scenario = params.get('scenario');
  if (scenario) {
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const $ = (sel) => document.querySelector(sel);
    const click = (sel) => { const el = $(sel); if (el) el.click(); return el; };
    window.addEventListener('load', async () => {
      await wait(900);
      if (['history', 'audit', 'settings', 'bot'].includes(scenario)) {
        click(`[data-testid="nav-${scenario}"]`);
        await wait(700);
        if (scenario === 'history') { click('[data-testid="row-91"]'); await wait(700); }
        if (scenario === 'settings') { click('[data-testid="settings-test"]'); await wait(500); }
        return;
      }
      click(`[data-testid="row-${params.get('id') || 101}"]`);
      await wait(800);
      if (scenario === 'reject') { click('[data-testid="reject"]'); await wait(200); click('[data-testid="reason-spam"]'); }
      if (scenario === 'edit') click('[data-testid="edit"]');
      if (scenario === 'shortcuts') document.dispatchEvent(new KeyboardEvent('keydown', { key: '?', bubbles: true }));
      if (scenario === 'bulk') { click('[data-testid="check-102"]'); click('[data-testid="check-104"]'); click('[data-testid="check-106"]'); await wait(100); click('[data-testid="bulk-approve"]'); await wait(200); click('[data-testid="confirm"]'); }
      if (scenario === 'approve') { click('[data-testid="approve"]'); }
    });
  }
}());
