// Statistics view: a range of days (7 / 30 / 90 / custom, in this computer's time zone), the charts of
// `stats_view` drawn with uPlot, and the same figures as tables (for screen readers, and on request).
// Test contract (src-tauri/tests/e2e_stats.rs): [data-testid="stats"], stats-range-7|30|90, stats-from,
// stats-to, stats-apply, stats-tables (the charts/tables switch), stats-caption (data-total: submissions
// in range), stats-chart-<name> (figures), stats-table-<name> (tables: submissions, approval, ...);
// stats-export-posts|log (CSV of the range through the save dialog), stats-export-status.
import { h, replace, debounce } from '../dom.js';
import { call, listen } from '../api.js';
import { t, fmtNumber, reasonLabel } from '../i18n.js';
import { errorText, toast, toastError } from '../toast.js';
import { color, fmtDay, fmtDuration, fmtPercent } from '../statfmt.js';
import { statTables, topAuthorTables } from '../stattables.js';

const PRESETS = [7, 30, 90];
/** The charts module (and uPlot with it), imported when the view first draws: the rest of the console
 * never waits for it, nor fails with it. */
let C = null;

/** This computer's IANA time zone (what the range's days are counted in). */
export function zone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch { return 'UTC'; }
}

/** `YYYY-MM-DD` of a Date in the local time zone. */
function isoDay(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function lastDays(n) {
  const to = new Date();
  const from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (n - 1));
  return { from: isoDay(from), to: isoDay(to) };
}

/** Outcome layers of the submissions chart, bottom first. */
function outcomeLayers(data) {
  const reasons = [...new Set(data.submissions.flatMap((d) => Object.keys(d.rejected)))].sort();
  const layer = (label, pick, css) => ({ label, values: data.submissions.map(pick), color: color(css) });
  return [
    layer(t('ui-stats-published'), (d) => d.published, '--chart-published'),
    layer(t('ui-stats-approved'), (d) => d.approved, '--chart-approved'),
    layer(t('ui-stats-failed'), (d) => d.publish_failed, '--chart-failed'),
    layer(t('ui-stats-pending'), (d) => d.pending, '--chart-pending'),
    ...reasons.map((r, i) => layer(
      `${t('ui-stats-rejected')}: ${r === 'custom' ? t('ui-stats-reason-custom') : reasonLabel({ kind: 'template', value: r })}`,
      (d) => d.rejected[r] || 0, `--chart-rejected-${(i % 3) + 1}`)),
  ];
}

export function createStatsView() {
  const s = { range: { ...lastDays(30), preset: 30 }, data: null, error: null, loading: false, tables: false };
  let token = 0;
  const plots = [];
  const presetButtons = PRESETS.map((n) => h('button', {
    class: 'btn btn-sm', type: 'button', 'data-testid': `stats-range-${n}`,
    onClick: () => { s.range = { ...lastDays(n), preset: n }; syncInputs(); load(); },
  }, t('ui-stats-last-days', { count: n })));
  const fromInput = h('input', { class: 'input', type: 'date', 'aria-label': t('ui-stats-from'), 'data-testid': 'stats-from' });
  const toInput = h('input', { class: 'input', type: 'date', 'aria-label': t('ui-stats-to'), 'data-testid': 'stats-to' });
  const apply = h('button', {
    class: 'btn btn-sm', type: 'button', 'data-testid': 'stats-apply',
    onClick: () => { s.range = { from: fromInput.value, to: toInput.value, preset: null }; load(); },
  }, t('ui-stats-apply'));
  const tablesToggle = h('button', {
    class: 'btn btn-sm', type: 'button', 'aria-pressed': 'false', 'data-testid': 'stats-tables',
    onClick: () => { s.tables = !s.tables; render(); },
  }, t('ui-stats-as-tables'));
  const exportStatus = h('span', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'stats-export-status' });
  const exportButtons = ['posts', 'log'].map((kind) => h('button', {
    class: 'btn btn-sm', type: 'button', title: t('ui-export-hint'), 'data-testid': `stats-export-${kind}`,
    onClick: () => exportCsv(kind),
  }, t(`ui-export-${kind}`)));
  const caption = h('p', { class: 'muted stats-caption', 'data-testid': 'stats-caption', 'aria-live': 'polite' });
  const body = h('div', { class: 'stats-body' });
  const el = h('section', { class: 'page stats', 'aria-label': t('ui-nav-stats'), 'data-testid': 'stats' },
    h('header', { class: 'page-head' }, h('h2', {}, t('ui-nav-stats')),
      h('div', { class: 'toolbar', role: 'group', 'aria-label': t('ui-stats-range') },
        presetButtons, fromInput, h('span', { class: 'muted' }, '–'), toInput, apply, tablesToggle),
      h('div', { class: 'toolbar', role: 'group', 'aria-label': t('ui-export-hint') }, exportButtons, exportStatus)),
    caption, body);

  /** Exports the range (its days in this computer's zone) as CSV to a file the system's save dialog asks for. */
  async function exportCsv(kind) {
    exportButtons.forEach((b) => { b.disabled = true; });
    let unlisten = null;
    try {
      unlisten = await listen('postgate://export', (p) => {
        if (p && p.kind === kind) exportStatus.textContent = t('ui-export-progress', { rows: fmtNumber(p.rows), total: fmtNumber(p.total) });
      });
      const report = await call('export_csv', { kind, from: s.range.from, to: s.range.to, tz: zone() });
      if (report) toast(t('ui-export-done', { rows: fmtNumber(report.rows), path: report.path }), 'success');
    } catch (err) {
      toastError(err);
    } finally {
      exportStatus.textContent = '';
      exportButtons.forEach((b) => { b.disabled = false; });
      if (unlisten) unlisten();
    }
  }

  function syncInputs() {
    fromInput.value = s.range.from;
    toInput.value = s.range.to;
    presetButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(s.range.preset === PRESETS[i])));
  }

  async function load() {
    const mine = ++token;
    s.loading = true;
    caption.textContent = t('ui-loading');
    try {
      const data = await call('stats_view', { from: s.range.from, to: s.range.to, tz: zone() });
      if (!C) C = await import('../statcharts.js');
      if (mine !== token) return;
      s.data = data;
      s.error = null;
    } catch (err) {
      if (mine === token) s.error = err;
    } finally {
      if (mine === token) { s.loading = false; render(); }
    }
  }

  function clearPlots() {
    while (plots.length) plots.pop().destroy();
  }

  function figure(name, title, draw) {
    const box = h('div', { class: 'stats-plot', 'aria-hidden': 'true' });
    const fig = h('figure', { class: 'stats-figure', 'data-testid': `stats-chart-${name}` }, box);
    return { fig, draw: (width) => { const p = draw(box, width, title); if (p) plots.push(p); } };
  }

  function charts(d) {
    const days = d.submissions.map((x) => x.day);
    const dayOf = (xs) => xs.map((x) => x.day);
    const mods = d.moderators;
    const figs = [
      figure('submissions', t('ui-stats-submissions'), (box, w, title) => C.stackedDays(box, w, title, days, outcomeLayers(d))),
      figure('approval', t('ui-stats-approval'), (box, w, title) => C.dayLines(box, w, title, dayOf(d.approval), [{
        label: t('ui-stats-approval-rate'), color: color('--chart-published'),
        values: d.approval.map((x) => (x.decided ? x.approved / x.decided : null)),
      }], (v) => fmtPercent(v, 1), [0, 1])),
      ...[['decision', d.decision_time], ['publication', d.publication_time]].map(([k, rows]) => figure(`${k}-time`, t(`ui-stats-${k}-time`),
        (box, w, title) => C.dayLines(box, w, title, dayOf(rows), [
          { label: t('ui-stats-median'), color: color('--chart-approved'), values: rows.map((x) => x.median_secs) },
          { label: t('ui-stats-p90'), color: color('--chart-failed'), values: rows.map((x) => x.p90_secs) },
        ], fmtDuration))),
      figure('moderators', t('ui-stats-moderators'), (box, w, title) => C.categoryBars(box, w, title,
        mods.map((m) => m.name || `#${m.moderator}`), t('ui-stats-decisions'), mods.map((m) => m.decisions), color('--chart-approved'))),
      figure('media', t('ui-stats-media'), (box, w, title) => C.categoryBars(box, w, title,
        d.media_mix.map((m) => t(`ui-stats-media-${m.kind}`)), t('ui-stats-posts'), d.media_mix.map((m) => m.posts), color('--chart-pending'))),
    ];
    return figs;
  }

  function render() {
    clearPlots();
    tablesToggle.setAttribute('aria-pressed', String(s.tables));
    tablesToggle.textContent = s.tables ? t('ui-stats-as-charts') : t('ui-stats-as-tables');
    if (s.error) {
      caption.textContent = '';
      replace(body, h('div', { class: 'state state-error', 'data-testid': 'stats-error', role: 'alert' },
        h('p', {}, errorText(s.error)), h('button', { class: 'btn', type: 'button', onClick: () => load() }, t('ui-retry'))));
      return;
    }
    const d = s.data;
    if (!d) { replace(body, h('p', { class: 'state' }, t('ui-loading'))); return; }
    const total = d.submissions.reduce((n, x) => n + x.published + x.approved + x.publish_failed + x.pending
      + Object.values(x.rejected).reduce((a, b) => a + b, 0), 0);
    caption.textContent = t('ui-stats-caption', { from: fmtDay(d.range.from), to: fmtDay(d.range.to), tz: d.range.tz, count: fmtNumber(total) });
    caption.dataset.total = String(total);
    // The tables are always there for screen readers; shown on request, else visually hidden.
    const tables = h('div', { class: ['stats-tables', s.tables ? null : 'visually-hidden'] }, statTables(d));
    if (s.tables) { replace(body, tables); return; }
    const figs = charts(d);
    const heat = h('figure', { class: 'stats-figure', 'data-testid': 'stats-chart-hours' },
      h('figcaption', { class: 'stats-title' }, t('ui-stats-hours')), C.heatMap(d.hours));
    const top = h('div', { class: 'stats-figure stats-top', 'aria-hidden': 'true' }, topAuthorTables(d, 'stats-chart'));
    const grid = h('div', { class: 'stats-grid', 'aria-hidden': 'true' }, figs.map((f) => f.fig), heat, top);
    replace(body, grid, tables);
    // As many columns as stats.css lays out (two from 1040 px), each figure padded 12 px and bordered 1 px.
    const cols = Math.max(1, getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length);
    const width = Math.max(280, Math.floor(((grid.clientWidth || 960) - 16 * (cols - 1)) / cols) - 26);
    figs.forEach((f) => f.draw(width));
  }

  const onResize = debounce(() => { if (s.data && !s.tables) render(); }, 200);
  const themeWatch = new MutationObserver(() => { if (s.data && !s.tables) render(); });
  const scheme = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

  return {
    el,
    mount() {
      syncInputs();
      window.addEventListener('resize', onResize);
      themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      if (scheme) scheme.addEventListener('change', onResize);
      load();
    },
    unmount() {
      window.removeEventListener('resize', onResize);
      themeWatch.disconnect();
      if (scheme) scheme.removeEventListener('change', onResize);
      clearPlots();
    },
    destroy() { clearPlots(); },
    onChanged: debounce(() => load(), 2000),
    tick() {},
    keys: {},
  };
}
