/**
 * Time-series charts drawn as SVG by hand: a few lines or stacked areas, a
 * time axis, gridlines and markers for events. Hand-drawn rather than a
 * library: a dozen small charts need ~250 lines, no vendored file, no
 * licence to ship, and markers that are real focusable elements; SVG takes
 * its colours from the page's CSS (dark and light), and nothing here needs
 * a style attribute, which the CSP refuses. Each chart is redrawn at its
 * width when that changes (phones and laptops get readable text).
 */
import { h, s } from "./dom.js";
import { clock } from "./format.js";

const HEIGHT = 170;
const PAD = { left: 62, right: 10, top: 16, bottom: 22 };
const TICKS = [10e3, 30e3, 60e3, 300e3, 600e3, 1800e3, 3600e3, 3 * 3600e3, 6 * 3600e3, 12 * 3600e3, 86400e3, 2 * 86400e3, 7 * 86400e3];

const resize = new ResizeObserver((entries) => {
  for (const e of entries) e.target.lookoutDraw?.();
});

function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Splits a series' points into runs with no gap wider than `gapMs`. */
function runs(points, gapMs) {
  const out = [];
  let cur = [];
  for (const p of points) {
    if (cur.length > 0 && p.t - cur[cur.length - 1].t > gapMs) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Stacks series on their common times (each point the sum of those below and itself). */
function stack(series) {
  const below = new Map();
  return series.map((se) => {
    const pts = se.points.map((p) => {
      const base = below.get(p.t) ?? 0;
      below.set(p.t, base + p.v);
      return { t: p.t, v: base + p.v, base, own: p.v };
    });
    return { ...se, points: pts };
  });
}

/**
 * A chart, as a <figure>:
 *   title, format (value → text), from/to (ms), stepMs,
 *   series: [{ name, points: [{ t, v }] }] (colour by index: .c0 … .c5),
 *   stacked, minMax (the y axis reaches at least this), maxCap (and at most
 *   this: 100 for a share of the host; a stack of rounded shares can pass it),
 *   markers: [{ id, at, cls, text }], selected (a marker id), onMarker(id).
 */
export function chart(opts) {
  const { title, format, from, to, stepMs, minMax = 1, markers = [], onMarker } = opts;
  const drawn = opts.stacked ? stack(opts.series) : opts.series;
  const readout = h("span", { class: "readout", "aria-live": "off" });
  const legend = h(
    "ul",
    { class: "legend" },
    drawn.map((se, i) => {
      const last = se.points[se.points.length - 1];
      return h("li", { class: `c${i % 6}` }, h("span", { class: "swatch", "aria-hidden": "true" }), `${se.name} `, h("b", { text: last ? format(last.own ?? last.v) : "–" }));
    }),
  );
  const plot = h("div", { class: "plot" });
  const empty = drawn.every((se) => se.points.length === 0);
  const fig = h(
    "figure",
    { class: `chart${empty ? " empty" : ""}`, "data-chart": opts.id ?? title },
    h("figcaption", {}, h("span", { class: "chart-title", text: title }), readout),
    legend,
    plot,
  );
  let max = minMax;
  for (const se of drawn) for (const p of se.points) if (p.v > max) max = p.v;
  max = opts.maxCap !== undefined ? Math.min(niceCeil(max), opts.maxCap) : niceCeil(max);
  const gap = Math.max(stepMs * 2.5, (to - from) / 150);

  plot.lookoutDraw = () => {
    const width = Math.max(260, Math.round(plot.clientWidth || 600));
    if (plot.lookoutWidth === width) return;
    plot.lookoutWidth = width;
    const iw = width - PAD.left - PAD.right;
    const ih = HEIGHT - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((t - from) / (to - from)) * iw;
    const y = (v) => PAD.top + ih - (Math.min(max, Math.max(0, v)) / max) * ih;
    const svg = s("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, role: "img", "aria-label": title, class: "chart-svg" });

    // Gridlines and the y axis: 0, half, max.
    for (const v of [0, max / 2, max]) {
      svg.append(s("line", { class: "grid", x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
      svg.append(s("text", { class: "axis", x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", text: format(v) }));
    }
    // The time axis: ticks at a round interval, about one per 110 px.
    const span = to - from;
    const tick = TICKS.find((d) => (span / d) * 110 <= iw) ?? TICKS[TICKS.length - 1];
    const tz = new Date().getTimezoneOffset() * 60_000;
    for (let t = Math.ceil((from - tz) / tick) * tick + tz; t < to; t += tick) {
      svg.append(s("line", { class: "grid vgrid", x1: x(t), x2: x(t), y1: PAD.top, y2: PAD.top + ih }));
      svg.append(s("text", { class: "axis", x: x(t), y: HEIGHT - 6, "text-anchor": "middle", text: clock(t, span) }));
    }
    if (empty) svg.append(s("text", { class: "axis nodata", x: PAD.left + iw / 2, y: PAD.top + ih / 2, "text-anchor": "middle", text: opts.noData }));

    // Areas (stacked, topmost drawn first so lower ones lie over it) or lines.
    const order = drawn.map((se, i) => [se, i]);
    if (opts.stacked) order.reverse();
    for (const [se, i] of order) {
      for (const run of runs(se.points, gap)) {
        const line = run.map((p, k) => `${k === 0 ? "M" : "L"}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join("");
        if (opts.stacked) {
          const back = run
            .slice()
            .reverse()
            .map((p) => `L${x(p.t).toFixed(1)},${y(p.base).toFixed(1)}`)
            .join("");
          svg.append(s("path", { class: `area c${i % 6}`, d: `${line}${back}Z` }));
        }
        if (run.length === 1) svg.append(s("circle", { class: `dot c${i % 6}`, cx: x(run[0].t), cy: y(run[0].v), r: 2 }));
        else svg.append(s("path", { class: `line c${i % 6}`, d: line }));
      }
    }

    // Markers: a line at the time, and a focusable flag at the top that says what happened.
    for (const m of markers) {
      if (m.at < from || m.at > to) continue;
      const mx = x(m.at);
      const g = s(
        "g",
        {
          class: `marker ${m.cls}${m.id === opts.selected ? " selected" : ""}`,
          tabindex: "0",
          role: "button",
          "aria-label": m.text,
          "data-marker": m.id,
          onclick: () => onMarker?.(m.id),
          onkeydown: (e) => {
            if (e.key === "Enter" || e.key === " ") {
              e.preventDefault();
              onMarker?.(m.id);
            }
          },
        },
        s("title", { text: m.text }),
        s("line", { x1: mx, x2: mx, y1: PAD.top - 6, y2: PAD.top + ih }),
        s("path", { d: `M${mx - 5},${PAD.top - 12}h10l-5,7z` }),
      );
      svg.append(g);
    }

    // The value under the pointer, in the caption.
    const cross = s("line", { class: "cross", x1: 0, x2: 0, y1: PAD.top, y2: PAD.top + ih, visibility: "hidden" });
    svg.append(cross);
    svg.addEventListener("pointermove", (e) => {
      const r = svg.getBoundingClientRect();
      const t = from + ((e.clientX - r.left - PAD.left) / iw) * (to - from);
      if (t < from || t > to) return;
      const parts = [];
      for (const se of drawn) {
        let best = null;
        for (const p of se.points) if (!best || Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
        if (best && Math.abs(best.t - t) <= gap) parts.push(`${se.name} ${format(best.own ?? best.v)}`);
      }
      cross.setAttribute("x1", String(x(t)));
      cross.setAttribute("x2", String(x(t)));
      cross.setAttribute("visibility", "visible");
      readout.textContent = `${clock(t, span)} · ${parts.join(" · ")}`;
    });
    svg.addEventListener("pointerleave", () => {
      cross.setAttribute("visibility", "hidden");
      readout.textContent = "";
    });
    plot.replaceChildren(svg);
  };
  resize.observe(plot);
  return fig;
}

/** A small line of recent values for a table cell. */
export function sparkline(points, label) {
  const W = 100;
  const H = 24;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "spark", role: "img", "aria-label": label });
  if (points.length < 2) return svg;
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const max = niceCeil(Math.max(1, ...points.map((p) => p.v)));
  const d = points.map((p, k) => `${k === 0 ? "M" : "L"}${(((p.t - t0) / (t1 - t0 || 1)) * (W - 2) + 1).toFixed(1)},${(H - 1 - (p.v / max) * (H - 2)).toFixed(1)}`).join("");
  svg.append(s("path", { d, class: "line c0" }));
  return svg;
}
