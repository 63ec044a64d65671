/**
 * The overview's two uPlot charts — tasks finished per minute by outcome, and runtime p50/p95 per task
 * name — and the small React wrapper that keeps a uPlot instance sized to its box and fed with data.
 * uPlot: canvas, ~50 KB, fast with live updates, and its legend reads the values under the cursor.
 */
import { useEffect, useRef } from "react";
import type React from "react";
import uPlot from "uplot";
import type { Overview } from "../api-types.js";
import { formatDuration } from "./format.js";

const OUTCOME_COLOURS = { succeeded: "#2e9d52", failed: "#d03b2f", retried: "#d69a00", revoked: "#7d5ba6" } as const;
const OUTCOMES = Object.keys(OUTCOME_COLOURS) as Array<keyof typeof OUTCOME_COLOURS>;
const P50_COLOUR = "#2456c9";
const P95_COLOUR = "#9db5ea";

interface ChartProps {
  /** The options for a chart `width` px wide (recreated when `shape` changes). */
  options: (width: number) => uPlot.Options;
  data: uPlot.AlignedData;
  height: number;
  /** What the options depend on besides the width: a change makes a new chart. */
  shape: string;
  "data-testid": string;
  label: string;
}

function Chart(props: ChartProps): React.JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | undefined>(undefined);
  const latest = useRef(props);
  latest.current = props;

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const width = Math.max(element.clientWidth, 200);
    const plot = new uPlot({ ...latest.current.options(width), width, height: latest.current.height }, latest.current.data, element);
    chart.current = plot;
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 200), height: latest.current.height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = undefined;
    };
  }, [props.shape]);

  useEffect(() => {
    chart.current?.setData(props.data);
  }, [props.data]);

  useEffect(() => {
    const element = box.current;
    if (element !== null) chart.current?.setSize({ width: Math.max(element.clientWidth, 200), height: props.height });
  }, [props.height]);

  return <div ref={box} className="chart" role="img" aria-label={props.label} data-testid={props["data-testid"]} />;
}

export function PerMinuteChart(props: { perMinute: Overview["perMinute"] }): React.JSX.Element {
  const { perMinute } = props;
  const data: uPlot.AlignedData = [
    perMinute.map((point) => Date.parse(point.minute) / 1_000),
    ...OUTCOMES.map((outcome) => perMinute.map((point) => point[outcome])),
  ];
  const options = (width: number): uPlot.Options => ({
    width,
    height: 240,
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.1))] } },
    axes: [{}, { label: "tasks / min", size: 50, values: (_u, splits) => splits.map((value) => (Number.isInteger(value) ? String(value) : "")) }],
    series: [
      { label: "minute" },
      ...OUTCOMES.map((outcome) => ({ label: outcome, stroke: OUTCOME_COLOURS[outcome], width: 2, points: { size: 4 } })),
    ],
  });
  return (
    <Chart
      options={options}
      data={data}
      height={240}
      shape="per-minute"
      data-testid="chart-per-minute"
      label="Tasks finished per minute over the last hour, by outcome"
    />
  );
}

export function RuntimeChart(props: { runtimes: Overview["runtimes"] }): React.JSX.Element {
  // Horizontal bars: task names are long, and a name reads best on its own line.
  const runtimes = props.runtimes.slice(0, 12);
  const names = runtimes.map((entry) => entry.name);
  const labels = names.map((name) => shortened(name, 30));
  const data: uPlot.AlignedData = [names.map((_name, index) => index), runtimes.map((entry) => entry.p95Ms), runtimes.map((entry) => entry.p50Ms)];
  const height = 60 + 30 * runtimes.length;
  const bars = (factor: number): uPlot.Series.PathBuilder => uPlot.paths.bars!({ size: [factor, 40] });
  const options = (width: number): uPlot.Options => ({
    width,
    height,
    // The page draws the legend; the values are in the table below the chart.
    legend: { show: false },
    cursor: { points: { show: false } },
    scales: {
      // Slowest (the first) on top.
      x: { time: false, ori: 1, dir: -1, range: [-0.5, names.length - 0.5] },
      y: { ori: 0, dir: 1, range: (_u, _min, max) => [0, Math.max(10, max * 1.05)] },
    },
    axes: [
      {
        side: 3,
        size: Math.max(80, ...labels.map((label) => label.length * 7 + 16)),
        splits: () => names.map((_name, index) => index),
        values: (_u, splits) => splits.map((index) => labels[index] ?? ""),
        gap: 6,
      },
      // `space`: a tick every 80 px at least; at uPlot's default (50 px) labels like "600 ms" ran into each other.
      { side: 2, space: 80, values: (_u, splits) => splits.map((ms) => formatDuration(ms)) },
    ],
    series: [
      {},
      { label: "p95", fill: P95_COLOUR, stroke: P95_COLOUR, paths: bars(0.75), points: { show: false } },
      { label: "p50", fill: P50_COLOUR, stroke: P50_COLOUR, paths: bars(0.4), points: { show: false } },
    ],
  });
  return (
    <Chart
      options={options}
      data={data}
      height={height}
      shape={names.join("\n")}
      data-testid="chart-runtimes"
      label="Runtime p50 and p95 per task name over the last hour"
    />
  );
}

/** "reports.gen…nthly_invoice_pdf": the start (the namespace) and the end (the task) of a long name. */
function shortened(name: string, max: number): string {
  if (name.length <= max) return name;
  const head = Math.floor((max - 1) / 3);
  return `${name.slice(0, head)}…${name.slice(name.length - (max - 1 - head))}`;
}
