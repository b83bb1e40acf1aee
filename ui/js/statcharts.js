// Statistics charts: uPlot (ui/vendor/uplot, a local ES module) for the day series and the bar charts,
// a grid of cells for the hours of the week. Colours come from the theme's CSS variables (ui/stats.css),
// numbers show on hover (uPlot's live legend; cell titles on the heat map).
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { h } from './dom.js';
import { t, fmtNumber } from './i18n.js';
import { color, fmtDay } from './statfmt.js';

const HEIGHT = 220;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Unix seconds of a `YYYY-MM-DD` day at UTC midnight (charts show days in UTC, so no DST shift). */
function ts(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

function axes(yValues) {
  const stroke = color('--muted');
  const grid = { stroke: color('--border'), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    { stroke, grid, ticks: grid, values: yValues, size: 64 },
  ];
}

function base(width, title, yValues, extra) {
  return {
    width,
    height: HEIGHT,
    title,
    tzDate: (secs) => uPlot.tzDate(new Date(secs * 1000), 'Etc/UTC'),
    cursor: { points: { size: 6 } },
    legend: { live: true },
    axes: axes(yValues),
    ...extra,
  };
}

const dayX = () => ({ label: t('ui-stats-day'), value: (u, v) => (v === null || v === undefined ? '—' : fmtDay(new Date(v * 1000).toISOString().slice(0, 10))) });
const bars = () => uPlot.paths.bars({ size: [0.7, 48] });

/** Stacked bars per day: `layers` [{ label, values, color }] bottom first; hover shows each layer's own value. */
export function stackedDays(el, width, title, days, layers) {
  const xs = days.map(ts);
  const stacks = [];
  let acc = xs.map(() => 0);
  for (const layer of layers) {
    acc = acc.map((a, i) => a + (layer.values[i] || 0));
    stacks.push(acc);
  }
  // Drawn top first, so each lower stack paints over the one above it.
  const order = layers.map((_, i) => i).reverse();
  const series = [dayX(), ...order.map((i) => ({
    label: layers[i].label,
    fill: layers[i].color,
    stroke: layers[i].color,
    paths: bars(),
    points: { show: false },
    value: (u, v, si, idx) => (idx === null || idx === undefined ? '—' : fmtNumber(layers[i].values[idx] || 0)),
  }))];
  const opts = base(width, title, (u, vals) => vals.map((v) => fmtNumber(v)), { series, scales: { x: { time: true } } });
  return new uPlot(opts, [xs, ...order.map((i) => stacks[i])], el);
}

/** Lines per day: `lines` [{ label, values (null: no value that day), color, fmt }]. */
export function dayLines(el, width, title, days, lines, yFmt, yRange) {
  const series = [dayX(), ...lines.map((l) => ({
    label: l.label,
    stroke: l.color,
    width: 2,
    spanGaps: false,
    points: { show: true, size: 5, fill: l.color },
    value: (u, v) => (v === null || v === undefined ? '—' : yFmt(v)),
  }))];
  const scales = { x: { time: true } };
  if (yRange) scales.y = { range: yRange };
  const opts = base(width, title, (u, vals) => vals.map((v) => yFmt(v)), { series, scales });
  return new uPlot(opts, [days.map(ts), ...lines.map((l) => l.values)], el);
}

/** Bars by category: `names` on the x axis, one series of `values`. */
export function categoryBars(el, width, title, names, label, values, fill, fmt = fmtNumber) {
  const xs = names.map((_, i) => i);
  const opts = {
    width,
    height: HEIGHT,
    title,
    legend: { live: true },
    cursor: { points: { show: false } },
    scales: { x: { time: false, range: [-0.5, Math.max(names.length, 1) - 0.5] } },
    axes: [
      { ...axes()[0], values: (u, vals) => vals.map((v) => (Number.isInteger(v) ? names[v] || '' : '')), splits: () => xs },
      axes((u, vals) => vals.map((v) => fmt(v)))[1],
    ],
    series: [
      { label: '', value: (u, v) => (v === null || v === undefined ? '—' : names[v] || '') },
      { label, fill, stroke: fill, paths: bars(), points: { show: false }, value: (u, v) => (v === null || v === undefined ? '—' : fmt(v)) },
    ],
  };
  return new uPlot(opts, [xs, values], el);
}

/** The hours of the week as a 7×24 grid of cells shaded in six steps; each cell's number on hover (title). */
export function heatMap(hours) {
  const max = Math.max(1, ...hours.flat());
  const head = h('div', { class: 'heat-row heat-head', 'aria-hidden': 'true' }, h('span', { class: 'heat-label' }),
    Array.from({ length: 24 }, (_, hour) => h('span', { class: 'heat-hour' }, hour % 3 === 0 ? String(hour) : '')));
  const rows = hours.map((row, weekday) => h('div', { class: 'heat-row' },
    h('span', { class: 'heat-label' }, t(`ui-stats-day-${WEEKDAYS[weekday]}`)),
    row.map((n, hour) => {
      const text = t('ui-stats-heat-cell', { day: t(`ui-stats-day-${WEEKDAYS[weekday]}`), hour: String(hour).padStart(2, '0'), count: fmtNumber(n) });
      return h('span', {
        class: ['heat-cell', `heat-${n === 0 ? 0 : Math.min(5, 1 + Math.floor((n / max) * 4.999))}`],
        title: text,
        'data-count': String(n),
      });
    })));
  return h('div', { class: 'heat', role: 'img', 'aria-label': t('ui-stats-hours') }, head, rows);
}
