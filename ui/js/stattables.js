// Statistics as tables: every chart's figures (the same `stats_view` data) in a captioned table, for
// screen readers and for whoever prefers numbers. Text only (no markup from data).
import { h } from './dom.js';
import { t, fmtNumber, reasonLabel } from './i18n.js';
import { fmtDay, fmtDuration, fmtPercent } from './statfmt.js';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function table(name, captionKey, heads, rows, prefix = 'stats-table') {
  return h('table', { class: 'table stats-table', 'data-testid': `${prefix}-${name}` },
    h('caption', {}, t(captionKey)),
    h('thead', {}, h('tr', {}, heads.map((k) => h('th', { scope: 'col' }, k.startsWith('ui-') ? t(k) : k)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c)))))));
}

function reasonName(r) {
  return r === 'custom' ? t('ui-stats-reason-custom') : reasonLabel({ kind: 'template', value: r });
}

/** The two top-author lists (shown beside the charts too: they are ranked lists, not plots). */
export function topAuthorTables(d, prefix = 'stats-table') {
  return [
    authors('top-submissions', 'ui-stats-top-submissions', d.top_authors.by_submissions, prefix),
    authors('top-approval', 'ui-stats-top-approval', d.top_authors.by_approval, prefix),
  ];
}

function authors(name, captionKey, list, prefix = 'stats-table') {
  return table(name, captionKey, ['ui-stats-author', 'ui-stats-submitted', 'ui-stats-decided', 'ui-stats-approval-rate'],
    list.map((a) => [a.username ? `${a.name} (@${a.username})` : (a.name || `#${a.author}`),
      fmtNumber(a.submissions), fmtNumber(a.decided), fmtPercent(a.approved, a.decided)]), prefix);
}

/** One table per chart. */
export function statTables(d) {
  const rejected = (x) => Object.values(x.rejected).reduce((a, b) => a + b, 0);
  const reasons = (x) => Object.entries(x.rejected).map(([r, n]) => `${reasonName(r)}: ${fmtNumber(n)}`).join(', ');
  const times = (name, key, rows) => table(name, key, ['ui-stats-day', 'ui-stats-count', 'ui-stats-median', 'ui-stats-p90'],
    rows.map((x) => [fmtDay(x.day), fmtNumber(x.count), fmtDuration(x.median_secs), fmtDuration(x.p90_secs)]));
  return [
    table('submissions', 'ui-stats-submissions',
      ['ui-stats-day', 'ui-stats-published', 'ui-stats-approved', 'ui-stats-failed', 'ui-stats-pending', 'ui-stats-rejected', 'ui-stats-reasons'],
      d.submissions.map((x) => [fmtDay(x.day), fmtNumber(x.published), fmtNumber(x.approved), fmtNumber(x.publish_failed),
        fmtNumber(x.pending), fmtNumber(rejected(x)), reasons(x)])),
    table('approval', 'ui-stats-approval', ['ui-stats-day', 'ui-stats-decided', 'ui-stats-approved', 'ui-stats-approval-rate'],
      d.approval.map((x) => [fmtDay(x.day), fmtNumber(x.decided), fmtNumber(x.approved), fmtPercent(x.approved, x.decided)])),
    times('decision-time', 'ui-stats-decision-time', d.decision_time),
    times('publication-time', 'ui-stats-publication-time', d.publication_time),
    table('moderators', 'ui-stats-moderators', ['ui-stats-moderator', 'ui-stats-decisions', 'ui-stats-approved', 'ui-stats-median'],
      d.moderators.map((m) => [m.name || `#${m.moderator}`, fmtNumber(m.decisions), fmtNumber(m.approved), fmtDuration(m.median_secs)])),
    table('media', 'ui-stats-media', ['ui-stats-kind', 'ui-stats-posts'],
      d.media_mix.map((m) => [t(`ui-stats-media-${m.kind}`), fmtNumber(m.posts)])),
    table('hours', 'ui-stats-hours', ['ui-stats-weekday', ...Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'))],
      d.hours.map((row, w) => [t(`ui-stats-day-${WEEKDAYS[w]}`), ...row.map((n) => fmtNumber(n))])),
    ...topAuthorTables(d),
  ];
}
