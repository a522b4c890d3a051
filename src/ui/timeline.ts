import type { TaskKind } from '../plan/plan.js';
import { isTimed, runCriticalPath, waitMs, type BuildTimeline, type CriticalLink, type TimedTask, type TimelineTask } from '../plan/timeline.js';
import { formatDuration } from './reporter.js';

/*
 * The picture of one build run: a row per recipe, its tasks as bars over wall time, the wait
 * before each bar hatched, the run's critical path outlined and linked, and under the rows the
 * job slots the tasks held. Pure: a timeline in, a string out. Everything is in the one file
 * (no script, no font, no stylesheet to fetch), so it can be mailed or kept as a CI artifact.
 */

/** Readable on white, told apart by people with the common colour blindness (Tableau 10). */
const KIND_COLOURS: Record<TaskKind, string> = {
  fetch: '#4e79a7',
  unpack: '#76b7b2',
  patch: '#edc948',
  configure: '#f28e2b',
  build: '#59a14f',
  install: '#b07aa1',
  osabi: '#9c755f',
  package: '#ff9da7',
};
const DARK_KINDS: ReadonlySet<TaskKind> = new Set(['fetch', 'build', 'install', 'osabi']);
const FAILED = '#d62728';

const WIDTH = 1360;
const LABEL_WIDTH = 190;
const PLOT_X = LABEL_WIDTH + 10;
const PLOT_WIDTH = WIDTH - PLOT_X - 24;
const ROW_HEIGHT = 24;
const BAR_HEIGHT = 16;
const ROWS_Y = 96;
const STRIP_HEIGHT = 60;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);
const round = (value: number): string => String(Math.round(value * 10) / 10);

/** Tick steps a reader counts in without arithmetic, from a tenth of a second to two hours. */
const TICK_STEPS = [100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000];

function tickStep(totalMs: number): number {
  return TICK_STEPS.find((step) => totalMs / step <= 12) ?? TICK_STEPS.at(-1)!;
}

/** A point on the time axis: minutes and seconds (`12:30`), hours first past one (`1:05:00`), tenths when the ticks are that fine. */
export function clockLabel(ms: number, step = 1_000): string {
  const tenths = step < 1_000;
  const total = tenths ? Math.round(ms / 100) / 10 : Math.round(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const secondsText = tenths ? seconds.toFixed(1).padStart(4, '0') : String(Math.floor(seconds)).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${secondsText}` : `${minutes}:${secondsText}`;
}

interface Drawing {
  readonly timeline: BuildTimeline;
  readonly path: readonly CriticalLink[];
  readonly critical: ReadonlyMap<string, CriticalLink>;
  readonly rowOf: ReadonlyMap<string, number>;
  readonly x: (ms: number) => number;
  readonly totalMs: number;
}

function prepare(timeline: BuildTimeline, path: readonly CriticalLink[]): Drawing {
  const totalMs = Math.max(1, timeline.endMs, ...timeline.tasks.filter(isTimed).map((task) => task.endMs));
  return {
    timeline,
    path,
    critical: new Map(path.map((link) => [link.task.id, link])),
    rowOf: new Map(timeline.recipes.map((recipe, index) => [recipe, index])),
    x: (ms) => PLOT_X + (ms / totalMs) * PLOT_WIDTH,
    totalMs,
  };
}

const rowTop = (row: number): number => ROWS_Y + row * ROW_HEIGHT;
const barTop = (row: number): number => rowTop(row) + (ROW_HEIGHT - BAR_HEIGHT) / 2;
const rowMiddle = (row: number): number => rowTop(row) + ROW_HEIGHT / 2;

const STATUS_WORDS: Record<TimelineTask['status'], string> = {
  ran: 'ran',
  failed: 'failed',
  skipped: 'skipped (up to date)',
  restored: 'restored from the artifact cache',
  'left-out': 'left out (its recipe was already satisfied)',
  'not-started': 'not started',
};

/** Tenths of a second where a run is short enough for them to matter. */
const precisionOf = (timeline: Pick<BuildTimeline, 'endMs'>): number => (timeline.endMs < 60_000 ? 100 : 1_000);

/** The hover text of a bar: what the task did, when, and what it waited for. */
export function taskTitle(task: TimelineTask, link?: CriticalLink, precision = 100): string {
  const lines = [`${task.id}: ${STATUS_WORDS[task.status]}${link ? ', on the critical path' : ''}`];
  if (task.startMs !== undefined && task.endMs !== undefined) {
    const what = task.status === 'skipped' ? 'checked in' : task.status === 'restored' ? 'restored in' : 'took';
    lines.push(`${what} ${formatDuration(task.endMs - task.startMs)}, from ${clockLabel(task.startMs, precision)} to ${clockLabel(task.endMs, precision)}`);
  }
  const wait = waitMs(task);
  if (wait > 0 && task.readyMs !== undefined && task.startMs !== undefined) {
    const slot = task.askedMs === undefined ? 0 : Math.max(0, task.startMs - task.askedMs);
    const parts = task.weight > 0 ? ` (${formatDuration(wait - slot)} queued and checked, ${formatDuration(slot)} for a job slot)` : ' (queued: a download takes no job slot)';
    lines.push(`waited ${formatDuration(wait)} after it was ready at ${clockLabel(task.readyMs, precision)}${parts}`);
  }
  if (link?.via === 'slot') lines.push('held up by a job slot: the task before it on the path gave it back');
  if (link?.via === 'dep') lines.push('held up by its dependency, the task before it on the path');
  if (task.deps.length > 0) lines.push(`after ${task.deps.join(', ')}`);
  return lines.join('\n');
}

function defs(): string {
  return `<defs>
<pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a8a8a" stroke-width="2.2"/></pattern>
<pattern id="failed" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><line x1="0" y1="0" x2="0" y2="8" stroke="${FAILED}" stroke-width="3"/></pattern>
<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#111"/></marker>
</defs>`;
}

function legend(y: number): string {
  const items: string[] = [];
  let x = PLOT_X;
  const add = (swatch: string, label: string): void => {
    items.push(`<g transform="translate(${round(x)},${y})">${swatch}<text x="20" y="11" font-size="12">${escapeXml(label)}</text></g>`);
    x += 30 + label.length * 7;
  };
  for (const [kind, colour] of Object.entries(KIND_COLOURS)) add(`<rect width="14" height="14" rx="2" fill="${colour}"/>`, kind);
  add('<rect width="14" height="14" fill="url(#wait)"/>', 'waiting (queue, job slot)');
  add('<rect width="14" height="14" rx="2" fill="#ddd" stroke="#111" stroke-width="2.5"/>', 'critical path');
  add(`<rect width="14" height="14" rx="2" fill="#ddd"/><rect width="14" height="14" rx="2" fill="url(#failed)" stroke="${FAILED}" stroke-width="2"/>`, 'failed');
  add('<rect y="4" width="14" height="6" fill="#bdbdbd"/>', 'skipped');
  add('<rect width="14" height="14" rx="2" fill="#ddd" stroke="#555" stroke-dasharray="3 2"/>', 'restored');
  return `<g class="legend" ${FONT}>${items.join('')}</g>`;
}

function axis(d: Drawing, y: number, bottom: number, labels: 'above' | 'below'): string {
  const step = tickStep(d.totalMs);
  const parts: string[] = [];
  for (let ms = 0; ms <= d.totalMs; ms += step) {
    const x = round(d.x(ms));
    if (labels === 'above') parts.push(`<line x1="${x}" y1="${y + 4}" x2="${x}" y2="${bottom}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x}" y="${labels === 'above' ? y : y + 12}" font-size="11" fill="#555" text-anchor="middle">${clockLabel(ms, step)}</text>`);
  }
  return `<g class="axis" ${FONT}>${parts.join('')}</g>`;
}

function bar(d: Drawing, task: TimedTask): string {
  const row = d.rowOf.get(task.recipe);
  if (row === undefined) return '';
  const link = d.critical.get(task.id);
  const x0 = d.x(task.startMs);
  const width = Math.max(task.status === 'skipped' ? 2 : 1.5, d.x(task.endMs) - x0);
  const colour = KIND_COLOURS[task.kind];
  const parts: string[] = [];
  const wait = waitMs(task);
  if (wait > 0 && task.readyMs !== undefined) {
    const waitX = d.x(task.readyMs);
    const waitWidth = x0 - waitX;
    if (waitWidth >= 0.5) parts.push(`<rect class="wait" x="${round(waitX)}" y="${round(barTop(row) + 3)}" width="${round(waitWidth)}" height="${BAR_HEIGHT - 6}" fill="url(#wait)"${link ? ' stroke="#111" stroke-width="1" stroke-dasharray="2 2"' : ''}/>`);
  }
  const outline = link ? ' stroke="#111" stroke-width="2.5"' : '';
  if (task.status === 'skipped') {
    parts.push(`<rect class="bar" x="${round(x0)}" y="${round(rowMiddle(row) - 3)}" width="${round(width)}" height="6" fill="#bdbdbd"${outline}/>`);
  } else {
    const style =
      task.status === 'restored'
        ? `fill="${colour}" fill-opacity="0.45" stroke="${link ? '#111' : '#555'}" stroke-width="${link ? 2.5 : 1}" stroke-dasharray="4 2"`
        : task.status === 'failed'
          ? `fill="${colour}" stroke="${FAILED}" stroke-width="${link ? 3 : 2}"`
          : `fill="${colour}"${outline}`;
    parts.push(`<rect class="bar" x="${round(x0)}" y="${round(barTop(row))}" width="${round(width)}" height="${BAR_HEIGHT}" rx="2" ${style}/>`);
    if (task.status === 'failed') parts.push(`<rect x="${round(x0)}" y="${round(barTop(row))}" width="${round(width)}" height="${BAR_HEIGHT}" rx="2" fill="url(#failed)"/>`);
    // A name only where it fits: a sliver of a bar says enough through its colour and its title.
    if (width >= task.kind.length * 6.4 + 8) {
      const ink = DARK_KINDS.has(task.kind) && task.status !== 'restored' ? '#fff' : '#111';
      parts.push(`<text x="${round(x0 + 4)}" y="${round(barTop(row) + BAR_HEIGHT - 4)}" font-size="11" fill="${ink}" pointer-events="none">${task.kind}</text>`);
    }
  }
  const classes = `task ${task.status}${link ? ' critical' : ''}`;
  return `<g class="${classes}" data-task="${escapeXml(task.id)}"><title>${escapeXml(taskTitle(task, link, precisionOf(d.timeline)))}</title>${parts.join('')}</g>`;
}

/** Lines from each task of the critical path to the next: solid for a dependency, dashed for a job slot. */
function pathLinks(d: Drawing): string {
  const parts: string[] = [];
  for (let i = 1; i < d.path.length; i += 1) {
    const from = d.path[i - 1]!.task;
    const { task, via } = d.path[i]!;
    const fromRow = d.rowOf.get(from.recipe);
    const toRow = d.rowOf.get(task.recipe);
    if (fromRow === undefined || toRow === undefined || fromRow === toRow) continue;
    const x = round(d.x(from.endMs));
    const toX = round(Math.max(d.x(from.endMs), d.x(task.readyMs ?? task.startMs)));
    const y1 = round(rowMiddle(fromRow) + (toRow > fromRow ? BAR_HEIGHT / 2 : -BAR_HEIGHT / 2));
    const y2 = round(rowMiddle(toRow) + (toRow > fromRow ? -BAR_HEIGHT / 2 : BAR_HEIGHT / 2));
    const dash = via === 'slot' ? ' stroke-dasharray="4 3"' : '';
    parts.push(`<path d="M${x},${y1} L${x},${y2}${toX === x ? '' : ` L${toX},${y2}`}" fill="none" stroke="#111" stroke-width="1.3"${dash} marker-end="url(#arrow)"/>`);
  }
  return `<g class="critical-links">${parts.join('')}</g>`;
}

/** How many job slots the tasks held over time (their makes take more from the jobserver: not seen here), and how many tasks waited. */
function slotStrip(d: Drawing, y: number): string {
  const timed = d.timeline.tasks.filter(isTimed);
  const held = timed.filter((task) => task.weight > 0 && task.askedMs !== undefined && (task.status === 'ran' || task.status === 'failed'));
  const steps = (intervals: ReadonlyArray<readonly [number, number]>): Array<[number, number]> => {
    const changes = new Map<number, number>();
    for (const [from, to] of intervals) {
      if (to <= from) continue;
      changes.set(from, (changes.get(from) ?? 0) + 1);
      changes.set(to, (changes.get(to) ?? 0) - 1);
    }
    let level = 0;
    return [...changes.entries()].sort((a, b) => a[0] - b[0]).map(([at, change]) => [at, (level += change)]);
  };
  const holding = steps(held.map((task) => [task.startMs, task.endMs]));
  const waiting = steps(timed.filter((task) => waitMs(task) > 0).map((task) => [task.readyMs!, task.startMs]));
  const top = Math.max(d.timeline.jobs, ...holding.map(([, n]) => n), ...waiting.map(([, n]) => n), 1);
  const level = (n: number): number => y + STRIP_HEIGHT - (n / top) * (STRIP_HEIGHT - 6);
  const line = (points: ReadonlyArray<readonly [number, number]>): string => {
    let path = `M${round(d.x(0))},${round(level(0))}`;
    let last = 0;
    for (const [at, n] of points) {
      path += ` L${round(d.x(at))},${round(level(last))} L${round(d.x(at))},${round(level(n))}`;
      last = n;
    }
    return `${path} L${round(d.x(d.totalMs))},${round(level(last))}`;
  };
  
  const jobsY = round(level(d.timeline.jobs));
  return `<g class="slots" ${FONT}>
<text x="${LABEL_WIDTH}" y="${y + 16}" font-size="12" text-anchor="end">job slots held</text>
<text x="${LABEL_WIDTH}" y="${y + 31}" font-size="11" fill="#777" text-anchor="end">tasks waiting (dotted)</text>
<rect x="${PLOT_X}" y="${y}" width="${PLOT_WIDTH}" height="${STRIP_HEIGHT}" fill="#fafafa" stroke="#ddd"/>
<path d="${line(holding)} L${round(d.x(d.totalMs))},${round(level(0))} Z" fill="#9fb8d6"/>
<path d="${line(holding)}" fill="none" stroke="#4e79a7"/>
<path d="${line(waiting)}" fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="2 2"/>
<line x1="${PLOT_X}" y1="${jobsY}" x2="${PLOT_X + PLOT_WIDTH}" y2="${jobsY}" stroke="#111" stroke-dasharray="6 3"/>
<text x="${PLOT_X + PLOT_WIDTH - 4}" y="${Number(jobsY) - 3}" font-size="11" text-anchor="end">-j ${d.timeline.jobs}</text>
</g>`;
}

function summaryText(timeline: BuildTimeline): string {
  const counts = new Map<string, number>();
  for (const task of timeline.tasks) counts.set(task.status, (counts.get(task.status) ?? 0) + 1);
  const parts = (['ran', 'failed', 'skipped', 'restored', 'left-out', 'not-started'] as const).filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s.replace('-', ' ')}`);
  return `build ${timeline.outcome} in ${formatDuration(timeline.endMs)} with -j ${timeline.jobs}, started ${timeline.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}: ${parts.join(', ')}`;
}

/**
 * The chart alone, a whole SVG document (`timeline --format svg`, and the body of the HTML page,
 * which has the critical path already).
 */
export function renderTimelineSvg(timeline: BuildTimeline, path = runCriticalPath(timeline)): string {
  const d = prepare(timeline, path);
  const rowsBottom = rowTop(timeline.recipes.length);
  const stripY = rowsBottom + 14;
  const height = stripY + STRIP_HEIGHT + 26;
  const tasksOf = new Map<string, TimelineTask[]>();
  for (const task of timeline.tasks) {
    const tasks = tasksOf.get(task.recipe);
    if (tasks) tasks.push(task);
    else tasksOf.set(task.recipe, [task]);
  }
  const rows = timeline.recipes.map((recipe, row) => {
    const tasks = tasksOf.get(recipe) ?? [];
    const onPath = tasks.some((task) => d.critical.has(task.id));
    const unseen = tasks.filter((task) => !isTimed(task)).map((task) => `${task.kind} ${task.status.replace('-', ' ')}`);
    const timed = tasks.filter(isTimed);
    const span = timed.length === 0 ? '' : formatDuration(Math.max(...timed.map((t) => t.endMs)) - Math.min(...timed.map((t) => t.readyMs ?? t.startMs)));
    const title = `${recipe}${span ? `: ${span} from its first task ready to its last done` : ''}${unseen.length > 0 ? `\n${unseen.join(', ')}` : ''}`;
    return `<g class="row" data-recipe="${escapeXml(recipe)}">
<rect x="0" y="${rowTop(row)}" width="${WIDTH}" height="${ROW_HEIGHT}" fill="${row % 2 === 0 ? '#ffffff' : '#f6f7f9'}"/>
<text x="${LABEL_WIDTH}" y="${rowMiddle(row) + 4}" font-size="12.5" text-anchor="end"${onPath ? ' font-weight="bold"' : ''} ${FONT}><title>${escapeXml(title)}</title>${escapeXml(recipe)}${span ? `<tspan fill="#888" font-weight="normal" font-size="11"> ${span}</tspan>` : ''}</text>
</g>`;
  });
  const settle =
    d.x(timeline.scheduleMs) - PLOT_X >= 2
      ? `<g class="settle"><title>the artifact cache looked images up and restored them before the schedule began (${formatDuration(timeline.scheduleMs)})</title><rect x="${PLOT_X}" y="${ROWS_Y}" width="${round(d.x(timeline.scheduleMs) - PLOT_X)}" height="${rowsBottom - ROWS_Y}" fill="#4e79a7" fill-opacity="0.07"/></g>`
      : '';
  const bars = timeline.tasks.filter(isTimed).map((task) => bar(d, task));
  const end = round(d.x(timeline.endMs));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="build timeline">
<title>${escapeXml(summaryText(timeline))}</title>
${defs()}
<rect width="${WIDTH}" height="${height}" fill="#fff"/>
<text x="${PLOT_X}" y="20" font-size="14" font-weight="bold" ${FONT}>${escapeXml(summaryText(timeline))}</text>
${legend(34)}
<text x="${LABEL_WIDTH - 24}" y="${ROWS_Y - 10}" font-size="11" fill="#555" text-anchor="end" ${FONT}>since the start (m:ss)</text>
${rows.join('\n')}
${axis(d, ROWS_Y - 10, rowsBottom, 'above')}
${settle}
<line x1="${end}" y1="${ROWS_Y - 4}" x2="${end}" y2="${rowsBottom}" stroke="#111" stroke-width="1"/>
<g class="bars" ${FONT}>
${bars.join('\n')}
</g>
${pathLinks(d)}
${slotStrip(d, stripY)}
${axis(d, stripY + STRIP_HEIGHT + 2, 0, 'below')}
</svg>
`;
}

const VIA_WORDS: Record<CriticalLink['via'], string> = { start: 'first', dep: 'after its dependency', slot: 'after a job slot' };

/** A page with the chart, the critical path as a table and the longest waits: one file, nothing to fetch. */
export function renderTimelineHtml(timeline: BuildTimeline): string {
  const path = runCriticalPath(timeline);
  const row = (cells: readonly string[], numeric: ReadonlySet<number> = new Set()): string => `<tr>${cells.map((cell, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${escapeXml(cell)}</td>`).join('')}</tr>`;
  const pathWait = path.reduce((sum, link) => sum + waitMs(link.task), 0);
  const pathRun = path.reduce((sum, link) => sum + (link.task.endMs - link.task.startMs), 0);
  const pathRows = path.map((link, index) =>
    row([String(index + 1), link.task.id, link.task.status, VIA_WORDS[link.via], formatDuration(waitMs(link.task)), formatDuration(link.task.endMs - link.task.startMs), clockLabel(link.task.endMs, precisionOf(timeline))], new Set([0, 4, 5, 6])),
  );
  const waits = timeline.tasks
    .filter((task) => waitMs(task) > 0)
    .sort((a, b) => waitMs(b) - waitMs(a))
    .slice(0, 10)
    .map((task) => row([task.id, formatDuration(waitMs(task)), task.askedMs === undefined || task.startMs === undefined ? '-' : formatDuration(Math.max(0, task.startMs - task.askedMs)), clockLabel(task.readyMs ?? 0, precisionOf(timeline))], new Set([1, 2, 3])));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>build timeline: ${escapeXml(timeline.outcome)} in ${escapeXml(formatDuration(timeline.endMs))}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 16px 20px; color: #1a1a1a; background: #fff; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 22px 0 6px; }
p { margin: 4px 0; max-width: 72em; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; }
th, td { padding: 2px 10px 2px 0; text-align: left; border-bottom: 1px solid #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #666; }
</style>
</head>
<body>
<h1>hermit-toolchain build timeline</h1>
<p class="muted">One row per recipe, its tasks as bars over wall time; hatched: the time a task was ready but waited (in the queue, then for a job slot). Outlined and linked: the critical path. Hover a bar for its times.</p>
${renderTimelineSvg(timeline, path)}
<h2>Critical path: ${path.length} tasks, ${escapeXml(formatDuration(pathRun))} running and ${escapeXml(formatDuration(pathWait))} waiting</h2>
<p class="muted">The chain of tasks that decided when this run ended. It ends at the task that finished last; from each task it goes back to whatever its start waited for last: its dependency that finished last, or, when it waited for a job slot, the task that gave back the last slot before it started.</p>
<table>
<tr><th>#</th><th>task</th><th>status</th><th>held up</th><th>waited</th><th>took</th><th>ended at</th></tr>
${pathRows.join('\n')}
</table>
<h2>Longest waits</h2>
${waits.length === 0 ? '<p class="muted">No task waited once it was ready.</p>' : `<table>\n<tr><th>task</th><th>waited</th><th>of it for a job slot</th><th>ready at</th></tr>\n${waits.join('\n')}\n</table>`}
</body>
</html>
`;
}
