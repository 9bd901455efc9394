import type { Execution } from "@compliance/contract";
import { useMemo, useRef, useState } from "preact/hooks";
import { formatAxisTime, formatCount, formatPercent, formatTime, plural } from "../format.ts";
import { useWidth } from "../hooks.ts";

/**
 * The host's executions over time: process count, session count and CPU use as three
 * stacked step lines on one time axis (each value holds until the next check-in, which
 * is what "at a time" answers too), and a lane marking the check-ins that changed
 * something. Every execution is a column that can be picked with the pointer, or with
 * the keyboard: arrows move, Enter or Space picks, Home and End jump to the ends.
 */

interface Props {
  /** Oldest first. */
  executions: Execution[];
  /** Picked report ids (one: shown; two: compared). */
  selected: string[];
  /** The execution whose processes are shown below, when not picked here. */
  shown: string | null;
  /** The time asked for in "at a time", in ms. */
  marker: number | null;
  onPick: (reportId: string) => void;
}

type Metric = "process_count" | "session_count" | "cpu_usage_percent";
const PANELS: readonly { key: Metric; label: string; cls: string; fmt: (n: number) => string }[] = [
  { key: "process_count", label: "Processes", cls: "series-proc", fmt: formatCount },
  { key: "session_count", label: "Sessions", cls: "series-sess", fmt: formatCount },
  { key: "cpu_usage_percent", label: "CPU use %", cls: "series-cpu", fmt: (n) => `${n}` },
];

const PAD_L = 46;
const PAD_R = 14;
const PAD_T = 26;
const PANEL_H = 58;
const GAP = 22;
const LANE_H = 12;
const AXIS_H = 24;
/** Above this many executions, dots would merge into a smear: only picked ones get dots. */
const DOTS_UP_TO = 150;

/** Whether the execution knows the metric: an agent may have failed to read it. */
function knows(e: Execution, key: Metric): boolean {
  if (key === "cpu_usage_percent") return e.cpu_usage_known !== false;
  if (key === "process_count") return e.processes_known !== false;
  return e.sessions_known;
}

/**
 * A metric's step line and the area under it, broken where the metric is unknown: a value
 * holds until the next execution, an unknown one is a gap, never a zero.
 */
function stepPaths(
  executions: Execution[],
  key: Metric,
  xs: number[],
  y: (v: number) => number,
  base: number,
): { line: string; area: string } {
  let line = "";
  let area = "";
  let run = "";
  let runStart = "";
  const end = (x: string) => {
    if (run === "") return;
    line += `${run}H${x}`;
    area += `${run}H${x}V${base.toFixed(1)}H${runStart}Z`;
    run = "";
  };
  executions.forEach((e, j) => {
    const xj = xs[j]!.toFixed(1);
    if (!knows(e, key)) {
      end(xj);
      return;
    }
    const yj = y(e[key]).toFixed(1);
    if (run === "") {
      runStart = xj;
      run = `M${xj} ${yj}`;
    } else run += `H${xj}V${yj}`;
  });
  // The last known value is drawn up to its own execution, as before any gap.
  const last = executions.length - 1;
  if (last >= 0) end(xs[last]!.toFixed(1));
  return { line, area };
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

const changeTotal = (e: Execution) =>
  e.changes
    ? e.changes.processes_started +
      e.changes.processes_ended +
      e.changes.sessions_opened +
      e.changes.sessions_closed +
      e.changes.facts_changed +
      (e.changes.inventory_changed ?? 0)
    : 0;

export function describeExecution(e: Execution): string {
  const parts = [
    formatTime(e.collected_at),
    knows(e, "process_count")
      ? plural(e.process_count, "process", "processes")
      : "processes unknown",
    knows(e, "session_count") ? plural(e.session_count, "session") : "sessions unknown",
    knows(e, "cpu_usage_percent") ? `CPU ${formatPercent(e.cpu_usage_percent)}` : "CPU use unknown",
  ];
  if (!e.changes) parts.push("first execution");
  else if (changeTotal(e) === 0) parts.push("no changes");
  else {
    const c = e.changes;
    const bits: string[] = [];
    if (c.processes_started)
      bits.push(`${plural(c.processes_started, "process", "processes")} started`);
    if (c.processes_ended) bits.push(`${plural(c.processes_ended, "process", "processes")} ended`);
    if (c.sessions_opened) bits.push(`${plural(c.sessions_opened, "session")} opened`);
    if (c.sessions_closed) bits.push(`${plural(c.sessions_closed, "session")} closed`);
    if (c.facts_changed) bits.push(`${plural(c.facts_changed, "fact")} changed`);
    if (c.inventory_changed) bits.push(plural(c.inventory_changed, "inventory change"));
    parts.push(bits.join(", "));
  }
  return parts.join(" · ");
}

type Panel = (typeof PANELS)[number] & {
  top: number;
  max: number;
  y: (v: number) => number;
  line: string;
  area: string;
};

/** Where everything goes at a given width: the time scale, the three panels, the columns. */
function layout(executions: Execution[], width: number) {
  const n = executions.length;
  const times = executions.map((e) => Date.parse(e.collected_at));
  let t0 = times[0] ?? 0;
  let t1 = times[n - 1] ?? 1;
  if (t1 - t0 < 60_000) {
    // One execution, or several within a minute: give them room in the middle.
    t0 -= 30 * 60_000;
    t1 += 30 * 60_000;
  }
  const plotW = Math.max(40, width - PAD_L - PAD_R);
  const x = (t: number) => PAD_L + ((t - t0) / (t1 - t0)) * plotW;
  const xs = times.map(x);
  const panels: Panel[] = PANELS.map((panel, i) => {
    const top = PAD_T + i * (PANEL_H + GAP) + GAP;
    const known = executions.filter((e) => knows(e, panel.key));
    const raw = Math.max(0, ...known.map((e) => e[panel.key]));
    const max = panel.key === "cpu_usage_percent" ? Math.min(100, niceMax(raw)) : niceMax(raw);
    const y = (v: number) => top + PANEL_H - (Math.min(v, max) / max) * PANEL_H;
    const { line, area } = stepPaths(executions, panel.key, xs, y, top + PANEL_H);
    return { ...panel, top, max, y, line, area };
  });
  const laneTop = PAD_T + PANELS.length * (PANEL_H + GAP) + 6;
  const bottom = laneTop + LANE_H;
  const height = bottom + AXIS_H;
  // Each execution owns the strip between the midpoints to its neighbours.
  const edges = xs.map((xi, j) => {
    const left = j === 0 ? PAD_L : (xs[j - 1]! + xi) / 2;
    const right = j === n - 1 ? PAD_L + plotW : (xi + xs[j + 1]!) / 2;
    return { left, width: Math.max(1, right - left) };
  });
  // As many labels as fit side by side (a label is about TICK_SPACING wide), 2 to 5.
  const tickCount = Math.max(2, Math.min(5, Math.floor(plotW / TICK_SPACING) + 1));
  const ticks = Array.from({ length: tickCount }, (_, k) => t0 + ((t1 - t0) * k) / (tickCount - 1));
  return { t0, t1, x, xs, panels, laneTop, bottom, height, edges, ticks, plotW };
}
type Geometry = ReturnType<typeof layout>;
/** The width one axis label needs, with room around it: "2026-11-30 14:00" at the axis' size. */
const TICK_SPACING = 110;

export function TimelineChart({ executions, selected, shown, marker, onPick }: Props) {
  const [wrapRef, width] = useWidth<HTMLElement>(720);
  const n = executions.length;
  const indexOf = useMemo(() => new Map(executions.map((e, i) => [e.report_id, i])), [executions]);
  const shownIndex = shown !== null ? indexOf.get(shown) : undefined;
  const [active, setActive] = useState<number>(() => shownIndex ?? n - 1);
  const [hover, setHover] = useState<number | null>(null);
  const [focused, setFocused] = useState(false);
  const activeIndex = Math.min(Math.max(0, active), n - 1);
  const geometry = useMemo(() => layout(executions, width ?? 0), [executions, width]);

  if (n === 0) return null;
  if (width === null) {
    // Not measured yet (only before the first paint): hold the place, draw once measured.
    return (
      <figure class="timeline" ref={wrapRef} style={{ height: `${geometry.height + 24}px` }} />
    );
  }
  const inspect = hover ?? (focused ? activeIndex : (shownIndex ?? null));
  const inspected = inspect !== null ? executions[inspect] : undefined;

  return (
    <figure class="timeline" ref={wrapRef}>
      <figcaption class="sr-only">
        Timeline of {n} executions from {formatTime(executions[0]!.collected_at)} to{" "}
        {formatTime(executions[n - 1]!.collected_at)}: processes, sessions and CPU use.
      </figcaption>
      <p class="timeline-inspect" aria-hidden="true">
        {inspected ? describeExecution(inspected) : "Point at an execution to read it."}
      </p>
      <div class="timeline-stage" style={{ height: `${geometry.height}px` }}>
        <TimelineDrawing
          g={geometry}
          executions={executions}
          indexOf={indexOf}
          selected={selected}
          shownIndex={selected.length === 0 ? shownIndex : undefined}
          marker={marker}
          inspect={inspect}
        />
        <TimelineHits
          g={geometry}
          executions={executions}
          selected={selected}
          activeIndex={activeIndex}
          onActive={setActive}
          onHover={setHover}
          onFocused={setFocused}
          onPick={onPick}
        />
      </div>
    </figure>
  );
}

/** The drawing: hidden from assistive technology, which reads the options instead. */
function TimelineDrawing({
  g,
  executions,
  indexOf,
  selected,
  shownIndex,
  marker,
  inspect,
}: {
  g: Geometry;
  executions: Execution[];
  indexOf: Map<string, number>;
  selected: string[];
  shownIndex: number | undefined;
  marker: number | null;
  inspect: number | null;
}) {
  const { xs, bottom } = g;
  const ordered = [...selected].sort((a, b) => (indexOf.get(a) ?? 0) - (indexOf.get(b) ?? 0));
  const markX = marker !== null && marker >= g.t0 && marker <= g.t1 ? g.x(marker).toFixed(1) : null;
  const pin = (j: number, label: string, cls: string, key?: string) => (
    <Pin
      key={key}
      x={xs[j]!}
      label={label}
      cls={cls}
      bottom={bottom}
      panels={g.panels}
      e={executions[j]!}
    />
  );
  return (
    <svg width={g.plotW + PAD_L + PAD_R} height={g.height} class="timeline-svg" aria-hidden="true">
      {g.panels.map((p) => (
        <SeriesPanel key={p.key} panel={p} g={g} executions={executions} />
      ))}
      <ChangeLane g={g} executions={executions} />
      <TimeAxis g={g} />
      {markX !== null ? (
        <g class="marker">
          <line x1={markX} x2={markX} y1={PAD_T - 4} y2={bottom} />
          <text x={markX} y={PAD_T - 10} text-anchor="middle">
            at
          </text>
        </g>
      ) : null}
      {shownIndex !== undefined ? pin(shownIndex, "", "pin-shown") : null}
      {ordered.map((id, k) => {
        const j = indexOf.get(id);
        const label = ordered.length === 2 ? (k === 0 ? "A" : "B") : "";
        return j === undefined ? null : pin(j, label, "pin-selected", id);
      })}
      {inspect !== null && xs[inspect] !== undefined ? (
        <line x1={xs[inspect]} x2={xs[inspect]} y1={PAD_T} y2={bottom} class="guide" />
      ) : null}
    </svg>
  );
}

/** One metric as a step line over its area, with its scale and a dot per execution. */
function SeriesPanel({
  panel: p,
  g,
  executions,
}: {
  panel: Panel;
  g: Geometry;
  executions: Execution[];
}) {
  const { xs, plotW } = g;
  return (
    <g class={p.cls}>
      <text x={PAD_L} y={p.top - 7} class="panel-label">
        {p.label}
      </text>
      <line x1={PAD_L} x2={PAD_L + plotW} y1={p.top} y2={p.top} class="grid" />
      <line x1={PAD_L} x2={PAD_L + plotW} y1={p.top + PANEL_H} y2={p.top + PANEL_H} class="axis" />
      <text x={PAD_L - 6} y={p.top + 4} class="tick-label" text-anchor="end">
        {p.fmt(p.max)}
      </text>
      <text x={PAD_L - 6} y={p.top + PANEL_H} class="tick-label" text-anchor="end">
        0
      </text>
      <path d={p.area} class="area" />
      <path d={p.line} class="line" />
      {executions.length <= DOTS_UP_TO
        ? executions.map((e, j) =>
            !knows(e, p.key) ? (
              <circle key={e.report_id} cx={xs[j]} cy={p.y(0)} r={3} class="dot-unknown" />
            ) : (
              <circle key={e.report_id} cx={xs[j]} cy={p.y(e[p.key])} r={2.5} class="dot" />
            ),
          )
        : null}
    </g>
  );
}

/** The Δ line: a mark at each check-in that changed something. */
function ChangeLane({ g, executions }: { g: Geometry; executions: Execution[] }) {
  return (
    <g class="lane">
      <text x={PAD_L - 6} y={g.laneTop + LANE_H - 2} class="tick-label" text-anchor="end">
        Δ
      </text>
      {executions.map((e, j) =>
        changeTotal(e) > 0 ? (
          <rect
            key={e.report_id}
            x={g.xs[j]! - 1}
            y={g.laneTop}
            width={2}
            height={LANE_H}
            class="change-tick"
          />
        ) : null,
      )}
    </g>
  );
}

function TimeAxis({ g }: { g: Geometry }) {
  const { bottom, ticks, t0, t1 } = g;
  return (
    <g class="time-axis">
      <line x1={PAD_L} x2={PAD_L + g.plotW} y1={bottom} y2={bottom} class="axis" />
      {ticks.map((t, k) => (
        <text
          key={t}
          x={g.x(t)}
          y={bottom + 16}
          class="tick-label"
          text-anchor={k === 0 ? "start" : k === ticks.length - 1 ? "end" : "middle"}
        >
          {formatAxisTime(t, t1 - t0)}
        </text>
      ))}
    </g>
  );
}

const STEPS: Record<string, number> = {
  ArrowLeft: -1,
  ArrowDown: -1,
  ArrowRight: 1,
  ArrowUp: 1,
  PageDown: -10,
  PageUp: 10,
};

/** The points to pick, laid over the drawing: one column per execution. */
function TimelineHits({
  g,
  executions,
  selected,
  activeIndex,
  onActive,
  onHover,
  onFocused,
  onPick,
}: {
  g: Geometry;
  executions: Execution[];
  selected: string[];
  activeIndex: number;
  onActive: (i: number) => void;
  onHover: (i: number | null) => void;
  onFocused: (focused: boolean) => void;
  onPick: (reportId: string) => void;
}) {
  const svgRef = useRef<SVGSVGElement>(null);
  const n = executions.length;
  const { xs, edges, bottom } = g;

  const focusIndex = (i: number) => {
    const j = Math.min(Math.max(0, i), n - 1);
    onActive(j);
    svgRef.current?.querySelector<SVGRectElement>(`[data-i="${j}"]`)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key in STEPS) focusIndex(activeIndex + STEPS[event.key]!);
    else if (event.key === "Home") focusIndex(0);
    else if (event.key === "End") focusIndex(n - 1);
    else if (event.key === "Enter" || event.key === " ") {
      const e = executions[activeIndex];
      if (e) onPick(e.report_id);
    } else return;
    event.preventDefault();
  };

  const nearest = (clientX: number) => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect) return null;
    const px = clientX - rect.left;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((xs[mid] ?? 0) < px) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs((xs[lo - 1] ?? 0) - px) < Math.abs((xs[lo] ?? 0) - px)) lo -= 1;
    return lo;
  };

  return (
    <svg
      ref={svgRef}
      width={g.plotW + PAD_L + PAD_R}
      height={g.height}
      class="timeline-svg timeline-hits"
      onPointerMove={(e) => onHover(nearest(e.clientX))}
      onPointerLeave={() => onHover(null)}
    >
      <title>Executions to pick</title>
      <g
        role="listbox"
        aria-label="Executions: arrow keys move, Enter or Space picks; pick two to compare"
        aria-multiselectable="true"
        onKeyDown={onKeyDown}
      >
        {executions.map((e, j) => (
          <rect
            key={e.report_id}
            data-i={j}
            role="option"
            tabIndex={j === activeIndex ? 0 : -1}
            aria-selected={selected.includes(e.report_id)}
            aria-label={describeExecution(e)}
            x={edges[j]!.left}
            y={PAD_T}
            width={edges[j]!.width}
            height={bottom - PAD_T}
            class="hit"
            onClick={() => {
              onActive(j);
              onPick(e.report_id);
            }}
            onFocus={() => {
              onActive(j);
              onFocused(true);
            }}
            onBlur={() => onFocused(false)}
          />
        ))}
      </g>
    </svg>
  );
}

function Pin({
  x,
  label,
  cls,
  bottom,
  panels,
  e,
}: {
  x: number;
  label: string;
  cls: string;
  bottom: number;
  panels: Panel[];
  e: Execution;
}) {
  return (
    <g class={cls}>
      <line x1={x} x2={x} y1={PAD_T - 2} y2={bottom} />
      {panels.map((p) =>
        knows(e, p.key) ? (
          <circle key={p.key} cx={x} cy={p.y(e[p.key])} r={4} class={p.cls} />
        ) : null,
      )}
      {label ? (
        <>
          <rect x={x - 9} y={PAD_T - 20} width={18} height={16} rx={4} />
          <text x={x} y={PAD_T - 8} text-anchor="middle">
            {label}
          </text>
        </>
      ) : null}
    </g>
  );
}
