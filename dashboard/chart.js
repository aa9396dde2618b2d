// Run history chart: duration and lateness of each run over its fire time, as inline SVG (no library).
// The run table next to it carries the same figures for screen readers; the chart has a summary label.

import { h, svg } from './dom.js';
import { formatDuration, formatInstant, OUTCOME_LABEL } from './format.js';

const W = 640;
const H = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const BAD = new Set(['failed', 'timed_out', 'lost', 'cancelled']);

/**
 * Renders `runs` (any order) into a <figure>; runs without timings are marked on the time axis. With
 * `onPick(scheduledAt)`, every point is a button (click, Enter or Space) that picks its run's fire time.
 */
export function runChart(runs, onPick) {
  const points = runs
    .map((run) => ({ run, t: Date.parse(run.scheduledAt) }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  const figure = h('figure', { class: 'chart' });
  if (points.length === 0) {
    figure.append(h('p', { class: 'muted', text: 'No runs yet.' }));
    return figure;
  }
  const timed = points.filter((p) => p.run.durationMs !== null || p.run.latenessMs !== null);
  // At least 10 ms, so that instant runs do not get a scale of fractions of a millisecond.
  const maxY = niceMax(Math.max(10, ...timed.flatMap((p) => [p.run.durationMs ?? 0, p.run.latenessMs ?? 0])));
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const x = (t) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v) => H - PAD.bottom - (v / maxY) * (H - PAD.top - PAD.bottom);

  const durations = timed.filter((p) => p.run.durationMs !== null);
  const lateness = timed.filter((p) => p.run.latenessMs !== null);
  const path = (list, key) => list.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.run[key]).toFixed(1)}`).join(' ');

  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart-svg',
      role: 'img',
      'aria-label': summary(points, durations, lateness),
    },
    // Grid and axes.
    [0, 0.5, 1].map((f) =>
      svg(
        'g',
        { class: 'grid' },
        svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(maxY * f), y2: y(maxY * f) }),
        svg('text', { x: PAD.left - 6, y: y(maxY * f) + 4, 'text-anchor': 'end' }, formatDuration(maxY * f)),
      ),
    ),
    svg('text', { class: 'axis', x: PAD.left, y: H - 8 }, formatInstant(points[0].run.scheduledAt)),
    svg('text', { class: 'axis', x: W - PAD.right, y: H - 8, 'text-anchor': 'end' }, formatInstant(points[points.length - 1].run.scheduledAt)),
    lateness.length > 1 ? svg('path', { class: 'line lateness', d: path(lateness, 'latenessMs') }) : null,
    durations.length > 1 ? svg('path', { class: 'line duration', d: path(durations, 'durationMs') }) : null,
    durations.map((p) =>
      svg(
        'circle',
        {
          class: `dot ${BAD.has(p.run.outcome) ? 'dot-bad' : 'dot-ok'}`,
          cx: x(p.t),
          cy: y(p.run.durationMs),
          r: 3.5,
          ...pickable(p.run, onPick),
        },
        svg(
          'title',
          {},
          `${formatInstant(p.run.scheduledAt)}: ${OUTCOME_LABEL[p.run.outcome] ?? p.run.outcome}, ${formatDuration(p.run.durationMs)}, late ${formatDuration(p.run.latenessMs)}`,
        ),
      ),
    ),
    // Runs that never started (missed, skipped) have no timings: a tick on the time axis.
    points
      .filter((p) => p.run.durationMs === null && p.run.outcome !== 'running')
      .map((p) =>
        svg(
          'path',
          {
            class: 'tick-missed',
            d: `M${x(p.t).toFixed(1)},${H - PAD.bottom - 6} v12`,
            ...pickable(p.run, onPick),
          },
          svg('title', {}, `${formatInstant(p.run.scheduledAt)}: ${OUTCOME_LABEL[p.run.outcome] ?? p.run.outcome}`),
        ),
      ),
  );

  if (onPick !== undefined) {
    const pick = (event) => {
      const at = event.target.closest?.('[data-scheduled-at]')?.getAttribute('data-scheduled-at');
      if (at === undefined || at === null) return;
      if (event.type === 'keydown') {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
      }
      onPick(at);
    };
    chart.addEventListener('click', pick);
    chart.addEventListener('keydown', pick);
  }
  figure.append(
    chart,
    h(
      'figcaption',
      { class: 'legend' },
      h('span', { class: 'key key-duration', text: 'duration' }),
      h('span', { class: 'key key-lateness', text: 'lateness' }),
      h('span', { class: 'key key-bad', text: 'failed' }),
      h('span', { class: 'key key-missed', text: 'missed or skipped' }),
    ),
  );
  return figure;
}

/** The attributes that make a point a button picking its run's fire time (none without `onPick`). */
function pickable(run, onPick) {
  if (onPick === undefined) return {};
  return {
    tabindex: 0,
    role: 'button',
    'aria-label': `Explain the fire of ${formatInstant(run.scheduledAt)} (${OUTCOME_LABEL[run.outcome] ?? run.outcome})`,
    'data-scheduled-at': run.scheduledAt,
  };
}

function summary(points, durations, lateness) {
  const max = (list, key) => Math.max(...list.map((p) => p.run[key]));
  const parts = [`${points.length} runs from ${formatInstant(points[0].run.scheduledAt)} to ${formatInstant(points[points.length - 1].run.scheduledAt)}`];
  if (durations.length > 0) parts.push(`longest duration ${formatDuration(max(durations, 'durationMs'))}`);
  if (lateness.length > 0) parts.push(`greatest lateness ${formatDuration(max(lateness, 'latenessMs'))}`);
  return `Run history chart: ${parts.join(', ')}.`;
}

/** 1, 2 or 5 times a power of ten, at least `v`. */
function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
