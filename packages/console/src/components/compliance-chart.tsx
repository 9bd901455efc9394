import type { PolicyHistory } from "@compliance/contract";
import { useState } from "preact/hooks";
import { formatAxisTime, formatCount, formatTime } from "../format.ts";
import { useWidth } from "../hooks.ts";

/**
 * A policy's hosts by status over time, as the API samples them: one stacked bar per
 * sample, failing at the bottom where the eye lands, then unknown, passing, and the hosts
 * the policy does not decide (not applicable, not evaluated yet). Bars, not lines: the
 * counts are known at those times only, not in between.
 */

export type HistoryPoint = PolicyHistory["points"][number];

const SERIES = [
  { id: "fail", label: "Failing", value: (p: HistoryPoint) => p.fail },
  { id: "unknown", label: "Unknown", value: (p: HistoryPoint) => p.unknown },
  { id: "pass", label: "Passing", value: (p: HistoryPoint) => p.pass },
  {
    id: "other",
    label: "Not applicable or not evaluated",
    value: (p: HistoryPoint) => p.not_applicable + p.unevaluated,
  },
] as const;

const totalOf = (p: HistoryPoint) => SERIES.reduce((sum, s) => sum + s.value(p), 0);

/** One path per series, a rectangle per sample: a few elements whatever the samples. */
function barPaths(
  points: readonly HistoryPoint[],
  box: { left: number; top: number; width: number; height: number },
  max: number,
  gap: number,
): string[] {
  const n = points.length;
  const step = box.width / Math.max(1, n);
  const w = Math.max(0.5, step - gap).toFixed(2);
  const scale = box.height / Math.max(1, max);
  const paths = SERIES.map(() => "");
  points.forEach((p, i) => {
    const x = (box.left + i * step).toFixed(2);
    let base = box.top + box.height;
    SERIES.forEach((s, k) => {
      const h = s.value(p) * scale;
      if (h <= 0) return;
      base -= h;
      paths[k] += `M${x} ${base.toFixed(2)}h${w}v${h.toFixed(2)}h-${w}Z`;
    });
  });
  return paths;
}

/** The chart in words, for those who cannot see it and as its tooltip. */
export function describeHistory(points: readonly HistoryPoint[]): string {
  const last = points[points.length - 1];
  if (!last) return "No hosts in this period";
  const peak = Math.max(...points.map((p) => p.fail));
  return (
    `Now ${formatCount(last.fail)} failing, ${formatCount(last.unknown)} unknown, ` +
    `${formatCount(last.pass)} passing; at most ${formatCount(peak)} failing since ` +
    formatTime(points[0]!.at)
  );
}

/** A small chart for a row of a table: no axes, its summary as its accessible name. */
export function ComplianceSparkline({ points }: { points: readonly HistoryPoint[] }) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...points.map(totalOf));
  const paths = barPaths(points, { left: 0, top: 1, width, height: height - 1 }, max, 0);
  const description = describeHistory(points);
  return (
    <svg
      class="cc spark"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={description}
    >
      <title>{description}</title>
      {SERIES.map((s, k) =>
        paths[k] ? <path key={s.id} class={`cc-${s.id}`} d={paths[k]} /> : null,
      )}
    </svg>
  );
}

const PAD_L = 36;
const PAD_R = 8;
const PAD_T = 8;
const PLOT_H = 140;
const AXIS_H = 22;

function niceMax(v: number): number {
  if (v <= 4) return Math.max(1, v);
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * mag) return m * mag;
  return 10 * mag;
}

/**
 * The chart of a policy's page: a time axis, a host axis, a legend, the counts of the
 * sample under the pointer (the latest otherwise), and every sample as a table on demand.
 */
export function ComplianceChart({ points }: { points: readonly HistoryPoint[] }) {
  const [ref, measured] = useWidth<HTMLDivElement>(640);
  const [hover, setHover] = useState<number | null>(null);
  const width = measured ?? 640;
  const n = points.length;
  const max = niceMax(Math.max(0, ...points.map(totalOf)));
  const box = {
    left: PAD_L,
    top: PAD_T,
    width: Math.max(40, width - PAD_L - PAD_R),
    height: PLOT_H,
  };
  const paths = barPaths(points, box, max, n > 60 ? 0 : 1);
  const t0 = n ? Date.parse(points[0]!.at) : 0;
  const t1 = n ? Date.parse(points[n - 1]!.at) : 0;
  const ticks = n > 1 ? [0, 1, 2, 3].map((k) => Math.round(((n - 1) * k) / 3)) : [0];
  const shown = points[hover ?? n - 1];
  const step = box.width / Math.max(1, n);
  const onMove = (e: PointerEvent) => {
    const rect = (e.currentTarget as SVGElement).getBoundingClientRect();
    const i = Math.floor((e.clientX - rect.left - PAD_L) / step);
    setHover(i >= 0 && i < n ? i : null);
  };
  const present = SERIES.filter((s) => points.some((p) => s.value(p) > 0));
  return (
    <figure class="cc-figure" ref={ref}>
      <p class="cc-readout" aria-hidden="true">
        {shown ? (
          <>
            {formatTime(shown.at)} ·{" "}
            {SERIES.map((s) => `${formatCount(s.value(shown))} ${s.label.toLowerCase()}`)
              .slice(0, 3)
              .join(", ")}
          </>
        ) : (
          " "
        )}
      </p>
      {measured ? (
        <svg
          class="cc"
          width={width}
          height={PAD_T + PLOT_H + AXIS_H}
          role="img"
          aria-label={describeHistory(points)}
          onPointerMove={onMove}
          onPointerLeave={() => setHover(null)}
        >
          {[0, max / 2, max].map((v) => {
            const y = PAD_T + PLOT_H - (v / max) * PLOT_H;
            return (
              <g key={v}>
                <line class="cc-grid" x1={PAD_L} x2={PAD_L + box.width} y1={y} y2={y} />
                <text x={PAD_L - 6} y={y + 4} text-anchor="end">
                  {Number.isInteger(v) ? formatCount(v) : ""}
                </text>
              </g>
            );
          })}
          {SERIES.map((s, k) =>
            paths[k] ? <path key={s.id} class={`cc-${s.id}`} d={paths[k]} /> : null,
          )}
          {hover !== null ? (
            <rect
              class="cc-hover"
              x={PAD_L + hover * step}
              y={PAD_T}
              width={Math.max(1, step)}
              height={PLOT_H}
            />
          ) : null}
          {ticks.map((i, k) => (
            <text
              key={i}
              x={PAD_L + (i + 0.5) * step}
              y={PAD_T + PLOT_H + 16}
              text-anchor={k === 0 ? "start" : k === ticks.length - 1 ? "end" : "middle"}
            >
              {formatAxisTime(Date.parse(points[i]!.at), t1 - t0)}
            </text>
          ))}
        </svg>
      ) : (
        <div style={{ height: `${PAD_T + PLOT_H + AXIS_H}px` }} />
      )}
      <figcaption>
        <ul class="cc-legend" aria-label="Legend">
          {present.map((s) => (
            <li key={s.id}>
              <span class={`cc-swatch cc-${s.id}`} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      </figcaption>
      <HistoryTable points={points} />
    </figure>
  );
}

function HistoryTable({ points }: { points: readonly HistoryPoint[] }) {
  return (
    <details class="more cc-table">
      <summary>The counts as a table</summary>
      <div class="table-wrap">
        <table class="table table-compact">
          <caption class="sr-only">Hosts by status at each sampled time</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {SERIES.map((s) => (
                <th key={s.id} scope="col" class="num">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {points.map((p) => (
              <tr key={p.at}>
                <td>{formatTime(p.at)}</td>
                {SERIES.map((s) => (
                  <td key={s.id} class="num">
                    {formatCount(s.value(p))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
