/**
 * Lookout's dashboard: the views, drawn from the JSON API (docs/api.md).
 * No framework: each view fetches what it shows and builds its elements
 * (dom.js, text only). The hash says which view (route.js).
 */
import { ApiError, api } from "./api.js";
import { chart, sparkline } from "./chart.js";
import { clear, h } from "./dom.js";
import { ago, bytes, duration, number, parseDuration, percent, rate, valueWithUnit, when } from "./format.js";
import { locale, t } from "./i18n.js";
import { buildMarkers } from "./markers.js";
import { current, link, matchersOf, RANGES, range, withRange } from "./route.js";

const main = document.getElementById("main");
const REFRESH_MS = 30_000;
let renderId = 0;
let selectedMarker = null;

// ---------------------------------------------------------------- shared pieces

function errorBox(what, err) {
  return h("p", { class: "error", role: "alert" }, t("error.load", { what, why: err instanceof ApiError ? err.message : String(err?.message ?? err) }));
}

/** Runs `load`; on failure, a box saying what could not be loaded (a 401 has already left for the sign-in form). */
async function attempt(what, load) {
  try {
    return { ok: true, value: await load() };
  } catch (err) {
    return { ok: false, node: errorBox(what, err) };
  }
}

function section(title, ...children) {
  const id = `s-${title.replace(/\W+/g, "-").toLowerCase()}`;
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, text: title }), ...children);
}

function badge(text, cls) {
  return h("span", { class: `badge ${cls}`, text });
}

function labelsText(labels) {
  return Object.entries(labels ?? {})
    .filter(([k]) => k !== "alertname")
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

function setTitle(...parts) {
  document.title = [...parts, t("app.title")].filter(Boolean).join(" · ");
}

/** The history of `metric` over the range, as chart series [{ name, labels, points: [{ t, v }] }]. */
async function history(metric, r, labels) {
  const answer = await api.history({ metric, from: r.from, to: r.to, labels });
  return {
    stepMs: answer.step_ms ?? (r.to - r.from) / 300,
    unit: answer.unit,
    series: (answer.series ?? []).map((se) => ({ labels: se.labels ?? {}, points: (se.points ?? []).map((p) => ({ t: p.t, v: p.avg })) })),
  };
}

/** A counter's points as a rate per second (a drop, the counter starting over, is skipped). */
function perSecond(points) {
  const out = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (b.v >= a.v && b.t > a.t) out.push({ t: b.t, v: ((b.v - a.v) / (b.t - a.t)) * 1000 });
  }
  return out;
}

/** The list of events under the charts; a marker's click selects its line. */
function markerList(markers) {
  if (markers.length === 0) return h("p", { class: "muted", text: t("markers.none") });
  return h(
    "ol",
    { class: "events" },
    markers
      .slice()
      .reverse()
      .map((m) =>
        h(
          "li",
          { id: m.id, class: `${m.cls}${m.id === selectedMarker ? " selected" : ""}`, tabindex: "-1" },
          h("time", { datetime: new Date(m.at).toISOString(), text: when(m.at) }),
          " ",
          h("span", { class: "what", text: m.title }),
          h(
            "ul",
            { class: "sent" },
            m.sent.map((s) => h("li", { class: `d-${s.state}`, text: s.text })),
          ),
        ),
      ),
  );
}

function selectMarker(id) {
  selectedMarker = id;
  for (const el of document.querySelectorAll(".selected")) el.classList.remove("selected");
  for (const el of document.querySelectorAll(`[data-marker="${CSS.escape(id)}"]`)) el.classList.add("selected");
  const li = document.getElementById(id);
  if (li) {
    li.classList.add("selected");
    li.scrollIntoView({ block: "nearest" });
    li.focus({ preventScroll: true });
  }
}

function rangeBar(r) {
  return h(
    "nav",
    { class: "ranges", "aria-label": t("range.label") },
    Object.keys(RANGES).map((key) => h("a", { href: withRange(key), class: "range", "aria-current": r.key === key ? "true" : undefined, text: t(`range.${key}`) })),
    r.key === null ? h("span", { class: "range custom", "aria-current": "true", text: t("range.custom", { from: when(r.from), to: when(r.to) }) }) : null,
  );
}

// ---------------------------------------------------------------- overview

const HOST_CHARTS = [
  {
    id: "cpu",
    title: "chart.cpu",
    stacked: true,
    unit: "%",
    minMax: 10,
    metrics: [
      ["host_cpu_user", "series.user"],
      ["host_cpu_system", "series.system"],
      ["host_cpu_iowait", "series.iowait"],
      ["host_cpu_steal", "series.steal"],
    ],
  },
  {
    id: "memory",
    title: "chart.memory",
    unit: "%",
    minMax: 10,
    metrics: [
      ["host_memory", "series.memory"],
      ["host_swap", "series.swap"],
    ],
  },
  { id: "disk", title: "chart.disk", unit: "%", minMax: 10, metrics: [["host_disk", "mount"]] },
  { id: "inodes", title: "chart.inodes", unit: "%", minMax: 10, metrics: [["host_inodes", "mount"]] },
  {
    id: "load",
    title: "chart.load",
    unit: "",
    minMax: 1,
    metrics: [
      ["host_load1", "series.load1"],
      ["host_load5", "series.load5"],
      ["host_load15", "series.load15"],
    ],
  },
  // One line per interface or disk and direction: "eth0 received", "sda written".
  {
    id: "network",
    title: "chart.network",
    unit: "bytes/s",
    minMax: 1024,
    metrics: [
      ["host_network_receive", "series.receive", "device"],
      ["host_network_transmit", "series.transmit", "device"],
    ],
  },
  {
    id: "disk-io",
    title: "chart.disk_io",
    unit: "bytes/s",
    minMax: 1024,
    metrics: [
      ["host_disk_read", "series.read", "device"],
      ["host_disk_write", "series.write", "device"],
    ],
  },
  { id: "disk-busy", title: "chart.disk_busy", unit: "%", minMax: 10, metrics: [["host_disk_utilization", "device"]] },
];

/** A host chart's series name: a label's value ("mount", "device"), or the words of `name`, after the device when there is one. */
function hostSeriesName(name, labelKey, labels) {
  if (name === "mount" || name === "device") return labels[name] ?? "?";
  return labelKey ? `${labels[labelKey] ?? "?"} ${t(name)}` : t(name);
}

function hostCards(st) {
  const host = st.host ?? {};
  const cards = [
    [t("host.cpu"), percent(host.cpu_percent), ""],
    [t("host.memory"), percent(host.memory_percent), `${bytes(host.memory_used_bytes)} / ${bytes(host.memory_total_bytes)}`],
    [t("host.swap"), host.swap_total_bytes ? percent(host.swap_percent) : t("host.no_swap"), host.swap_total_bytes ? bytes(host.swap_total_bytes) : ""],
    [t("host.load"), number(host.load1), t("host.load_detail", { l1: number(host.load1), l5: number(host.load5), l15: number(host.load15), cores: host.cores ?? "?" })],
    ...(host.disks ?? []).map((d) => [
      t("host.disk", { mount: d.mount }),
      percent(d.used_percent),
      t("host.disk_detail", { free: bytes(d.free_bytes), size: bytes(d.size_bytes), inodes: percent(d.inodes_percent) }),
    ]),
    [t("host.containers"), String(st.containers?.total ?? "–"), st.containers ? t("host.containers_detail", st.containers) : ""],
    [t("host.alerts"), String(st.alerts?.firing ?? "–"), st.alerts ? t("host.alerts_detail", st.alerts) : ""],
  ];
  return h(
    "ul",
    { class: "tiles" },
    cards.map(([label, value, detail]) =>
      h(
        "li",
        { class: "tile" },
        h("span", { class: "tile-label", text: label }),
        h("span", { class: "tile-value", text: value }),
        h("span", { class: "tile-detail", text: detail }),
      ),
    ),
  );
}

async function overview(id) {
  const { params } = current();
  const r = range(params);
  setTitle(t("nav.overview"));
  const [st, evs, notes, ...charts] = await Promise.all([
    attempt("status", api.status),
    attempt("events", () => api.events({ from: r.from, to: r.to, limit: 1000 })),
    attempt("notifications", () => api.notifications({ from: r.from, to: r.to })),
    ...HOST_CHARTS.map((c) => attempt(t(c.title), () => Promise.all(c.metrics.map(([m]) => history(m, r))))),
  ]);
  if (id !== renderId) return;
  const markers = evs.ok ? buildMarkers(evs.value.events ?? [], notes.ok ? notes.value.notifications : []) : [];
  const out = [];
  if (st.ok) {
    const s = st.value;
    setTitle(s.hostname, t("nav.overview"));
    out.push(
      h(
        "header",
        { class: "host" },
        h("h1", {}, h("span", { class: `dot st-${s.status}`, "aria-hidden": "true" }), `${s.hostname} `, badge(t(`status.${s.status}`) ?? s.status, `st-${s.status}`)),
        h(
          "p",
          { class: "muted" },
          t("host.subtitle", { version: s.version, interval: duration(s.interval_ms), ago: s.last_cycle_at ? ago(s.last_cycle_at) : t("host.no_check") }),
          " · ",
          t("host.uptime", { uptime: duration((s.host?.uptime_s ?? 0) * 1000) }),
        ),
        s.docker?.reachable === false ? h("p", { class: "error", role: "alert", text: t("host.docker_down", { error: s.docker.error ?? "?" }) }) : null,
        (s.collector_errors ?? []).length > 0
          ? h(
              "ul",
              { class: "error", "aria-label": t("host.collector_errors") },
              s.collector_errors.map((e) => h("li", { text: typeof e === "string" ? e : JSON.stringify(e) })),
            )
          : null,
      ),
      hostCards(s),
    );
  } else out.push(st.node);
  out.push(rangeBar(r));
  const grid = h("div", { class: "charts" });
  HOST_CHARTS.forEach((c, i) => {
    const res = charts[i];
    if (!res.ok) {
      grid.append(h("figure", { class: "chart" }, h("figcaption", { text: t(c.title) }), res.node));
      return;
    }
    const series = [];
    c.metrics.forEach(([, name, labelKey], k) => {
      for (const se of res.value[k].series) series.push({ name: hostSeriesName(name, labelKey, se.labels), points: se.points });
    });
    const stepMs = Math.max(...res.value.map((a) => a.stepMs));
    const format = c.unit === "%" ? percent : c.unit === "bytes/s" ? rate : (v) => number(v);
    grid.append(
      chart({
        id: c.id,
        title: t(c.title),
        format,
        from: r.from,
        to: r.to,
        stepMs,
        series,
        stacked: c.stacked,
        minMax: c.minMax,
        maxCap: c.unit === "%" ? 100 : undefined,
        markers,
        selected: selectedMarker,
        onMarker: selectMarker,
        noData: t("chart.no_data"),
      }),
    );
  });
  out.push(grid);
  out.push(section(t("markers.title"), evs.ok ? markerList(markers) : evs.node));
  return out;
}

// ---------------------------------------------------------------- containers

const tableState = { sort: "problem", dir: 1, filter: "" };

/** Exit codes of a stop (SIGINT, SIGKILL, SIGTERM) rather than a crash. */
const STOP_CODES = new Set([130, 137, 143]);

/** Why a container comes first: crashed and OOM-killed (0), unhealthy and restarting (1), stopped with an error (2), the rest (3). */
function problemOf(c, alerts) {
  const mine = alerts.filter((a) => a.labels?.container === c.name && a.state === "firing");
  // The API says an OOM kill it holds (oom_killed), silenced or not; an older API only through the alert.
  if (c.oom_killed === true || mine.some((a) => a.alertname === "container_oom_killed")) return { rank: 0, text: t("state.oom"), cls: "bad" };
  if (mine.some((a) => a.alertname === "container_crashed")) return { rank: 0, text: t("state.crashed"), cls: "bad" };
  const stopped = c.state === "exited" || c.state === "dead";
  // Exited on its own with an error (not 0, nor what a stop's SIGINT, SIGTERM or SIGKILL gives): crashed, alert or not.
  if (stopped && c.exit_code && !STOP_CODES.has(c.exit_code)) return { rank: 0, text: t("state.crashed_code", { code: c.exit_code }), cls: "bad" };
  if (c.health === "unhealthy") return { rank: 1, text: t("state.unhealthy"), cls: "warn" };
  if (c.state === "restarting") return { rank: 1, text: t("state.restarting"), cls: "warn" };
  if (stopped && c.exit_code) return { rank: 2, text: t("state.exit", { code: c.exit_code }), cls: "warn" };
  return { rank: 3, text: "", cls: "" };
}

const COLUMNS = [
  { key: "name", label: "col.name", value: (c) => c.name },
  { key: "compose", label: "col.compose", value: (c) => `${c.compose_project ?? ""}/${c.compose_service ?? ""}` },
  { key: "image", label: "col.image", value: (c) => c.image ?? "" },
  { key: "state", label: "col.state", value: (c) => `${c.problem.rank}${c.state}` },
  { key: "cpu", label: "col.cpu", value: (c) => c.cpu_percent ?? -1 },
  { key: "memory", label: "col.memory", value: (c) => c.memory_percent ?? -1 },
  { key: "restarts", label: "col.restarts", value: (c) => c.restarts ?? 0 },
  { key: "trend", label: "col.trend", value: null },
];

function sortRows(rows) {
  const col = COLUMNS.find((c) => c.key === tableState.sort);
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return rows.slice().sort((a, b) => {
    if (!col) return a.problem.rank - b.problem.rank || cmp(a.name, b.name);
    return tableState.dir * cmp(col.value(a), col.value(b)) || cmp(a.name, b.name);
  });
}

function matches(c, q) {
  if (!q) return true;
  const hay = [c.name, c.compose_project, c.compose_service, c.image, c.state, c.health, c.problem.text].filter(Boolean).join(" ").toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .every((w) => hay.includes(w));
}

function stateCell(c) {
  return h(
    "td",
    { class: "state" },
    c.problem.text ? badge(c.problem.text, c.problem.cls) : null,
    " ",
    h("span", { text: c.state }),
    c.health ? h("span", { class: "muted", text: ` (${c.health})` }) : null,
  );
}

function containerRow(c, sparks) {
  const mem = c.memory_bytes === null || c.memory_bytes === undefined ? "–" : `${bytes(c.memory_bytes)} / ${c.memory_limited ? bytes(c.memory_limit_bytes) : t("state.no_limit")}`;
  return h(
    "tr",
    { class: c.problem.rank < 2 ? `row-${c.problem.cls}` : undefined, "data-container": c.name },
    h("th", { scope: "row" }, h("a", { href: link(["containers", c.name]), text: c.name })),
    h("td", { text: c.compose_project ? `${c.compose_project} / ${c.compose_service ?? "–"}` : "–" }),
    h("td", { class: "image", text: c.image ?? "–" }),
    stateCell(c),
    h("td", { class: "num", text: percent(c.cpu_percent) }),
    h("td", { class: "num" }, mem, c.memory_percent !== null && c.memory_percent !== undefined ? h("span", { class: "muted", text: ` (${percent(c.memory_percent)})` }) : null),
    h("td", { class: "num", text: String(c.restarts ?? 0) }),
    h("td", {}, sparkline(sparks.get(c.name) ?? [], t("col.trend"))),
  );
}

function containersTable(rows, sparks) {
  const total = rows.length;
  const tbody = h("tbody");
  const count = h("span", { class: "muted", "aria-live": "polite" });
  const headRow = h("tr");
  const fillBody = () => {
    const shown = sortRows(rows.filter((c) => matches(c, tableState.filter)));
    tbody.replaceChildren(...shown.map((c) => containerRow(c, sparks)));
    if (shown.length === 0)
      tbody.append(
        h("tr", {}, h("td", { colspan: COLUMNS.length, class: "muted", text: total === 0 ? t("containers.none") : t("containers.no_match", { q: tableState.filter }) })),
      );
    count.textContent = t("containers.count", { shown: shown.length, total });
    headRow.replaceChildren(
      ...COLUMNS.map((col) => {
        if (!col.value) return h("th", { scope: "col", text: t(col.label) });
        const sorted = tableState.sort === col.key;
        return h(
          "th",
          { scope: "col", "aria-sort": sorted ? (tableState.dir > 0 ? "ascending" : "descending") : "none" },
          h(
            "button",
            {
              type: "button",
              class: "sort",
              "data-sort": col.key,
              "aria-label": t("sort.by", { col: t(col.label) }),
              onclick: () => {
                if (tableState.sort === col.key) tableState.dir = -tableState.dir;
                else {
                  tableState.sort = col.key;
                  tableState.dir = col.key === "cpu" || col.key === "memory" || col.key === "restarts" ? -1 : 1;
                }
                fillBody();
                document.querySelector(`button[data-sort="${col.key}"]`)?.focus();
              },
            },
            t(col.label),
            h("span", { class: "arrow", "aria-hidden": "true", text: sorted ? (tableState.dir > 0 ? " ▲" : " ▼") : "" }),
          ),
        );
      }),
    );
  };
  const filter = h("input", {
    type: "search",
    id: "container-filter",
    value: tableState.filter,
    placeholder: t("containers.filter_hint"),
    autocomplete: "off",
    oninput: (e) => {
      tableState.filter = e.target.value;
      fillBody();
    },
  });
  fillBody();
  return [
    h("div", { class: "toolbar" }, h("label", { for: "container-filter", text: t("containers.filter") }), filter, count),
    h("div", { class: "table-wrap" }, h("table", { class: "containers" }, h("thead", {}, headRow), tbody)),
  ];
}

async function containers(id) {
  setTitle(t("nav.containers"));
  const now = Date.now();
  const [list, alerts, spark] = await Promise.all([
    attempt(t("nav.containers"), api.containers),
    attempt(t("nav.alerts"), () => api.alerts(now - 3_600_000, now)),
    attempt(t("col.trend"), () => history("container_cpu", { from: now - 3_600_000, to: now })),
  ]);
  if (id !== renderId) return;
  if (!list.ok) return [section(t("containers.title"), list.node)];
  const active = alerts.ok ? (alerts.value.active ?? []) : [];
  const rows = (list.value.containers ?? []).map((c) => ({ ...c, problem: problemOf(c, active) }));
  const sparks = new Map();
  if (spark.ok) for (const se of spark.value.series) if (se.labels.container) sparks.set(se.labels.container, se.points);
  const docker = list.value.docker;
  return [
    section(
      t("containers.title"),
      docker?.reachable === false ? h("p", { class: "error", role: "alert", text: t("containers.docker_down", { error: docker.error ?? "?" }) }) : null,
      ...containersTable(rows, sparks),
    ),
  ];
}

// ---------------------------------------------------------------- one container

/** The API gives a rule's durations in ms: shown as "2 min". */
const POLICY_DURATIONS = new Set(["for", "within", "resolve_after"]);

function policyValue(key, v) {
  if (POLICY_DURATIONS.has(key) && typeof v === "number") return duration(v);
  if (v === null) return "–";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

function policyView(c) {
  if (c.policy) {
    const rules = Object.entries(c.policy.rules ?? {});
    return [
      h(
        "dl",
        { class: "policy" },
        rules.flatMap(([rule, settings]) => [
          h("dt", { text: rule }),
          h("dd", {
            text: Object.entries(settings ?? {})
              .map(([k, v]) => `${k}: ${policyValue(k, v)}`)
              .join(", "),
          }),
        ]),
      ),
      (c.policy.problems ?? []).length > 0
        ? h(
            "ul",
            { class: "error", "aria-label": t("container.policy_problems") },
            c.policy.problems.map((p) => h("li", { text: p })),
          )
        : null,
    ];
  }
  const labels = Object.entries(c.labels ?? {}).filter(([k]) => k.startsWith("lookout."));
  if (labels.length > 0)
    return h(
      "dl",
      { class: "policy" },
      labels.flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]),
    );
  return h("p", { class: "muted", text: t("container.policy_missing") });
}

function alertItem(a) {
  const silenceLabels = Object.entries(a.labels ?? {})
    .filter(([k]) => k !== "severity")
    .map(([k, v]) => `${k}=${v}`);
  return h(
    "li",
    { class: `alert sev-${a.severity}` },
    h(
      "div",
      { class: "alert-head" },
      badge(a.state === "pending" ? t("alerts.pending") : t(`status.${a.severity}`), a.state === "pending" ? "pending" : `st-${a.severity}`),
      a.silenced ? badge(t("alerts.silenced"), "muted") : null,
      " ",
      h("strong", { text: a.summary ?? a.alertname }),
    ),
    h(
      "p",
      { class: "muted" },
      `${labelsText(a.labels)} · `,
      // A yes/no rule (crashed, unhealthy…) has no value worth showing.
      a.unit === "bool" ? "" : `${t("alerts.value", { value: valueWithUnit(a.value, a.unit), threshold: valueWithUnit(a.threshold, a.unit) })} · `,
      t("alerts.since", { when: ago(a.firing_since ?? a.active_since) }),
    ),
    h("a", { class: "button small", href: link(["silence"], { matchers: silenceLabels, duration: "1h" }), text: t("alerts.silence") }),
  );
}

async function containerView(id, name) {
  const { params } = current();
  const r = range(params);
  setTitle(name, t("nav.containers"));
  const labels = `container=${name}`;
  const [list, alerts, evs, notes, cpu, mem, limit, rx, tx, rd, wr, logs] = await Promise.all([
    attempt(t("nav.containers"), api.containers),
    attempt(t("nav.alerts"), () => api.alerts(r.from, r.to)),
    attempt("events", () => api.events({ container: name, from: r.from, to: r.to, limit: 1000 })),
    attempt("notifications", () => api.notifications({ from: r.from, to: r.to })),
    ...[
      "container_cpu",
      "container_memory_usage",
      "container_memory_limit",
      "container_network_receive",
      "container_network_transmit",
      "container_block_read",
      "container_block_write",
    ].map((m) => attempt(m, () => history(m, r, labels))),
    attempt(t("container.logs", { n: 200 }), () => api.logs(name, 200)),
  ]);
  if (id !== renderId) return;
  if (!list.ok) return [list.node];
  const c = (list.value.containers ?? []).find((x) => x.name === name);
  if (!c)
    return [h("p", {}, h("a", { href: "#/containers", text: `← ${t("container.back")}` })), h("p", { class: "error", role: "alert", text: t("container.unknown", { name }) })];
  const active = alerts.ok ? (alerts.value.active ?? []).filter((a) => a.labels?.container === name) : [];
  const problem = problemOf(c, active);
  const markers = evs.ok ? buildMarkers(evs.value.events ?? [], notes.ok ? notes.value.notifications : []) : [];
  if (r.at && selectedMarker === null) {
    const near = markers.reduce((best, m) => (!best || Math.abs(m.at - r.at) < Math.abs(best.at - r.at) ? m : best), null);
    if (near) selectedMarker = near.id;
  }
  const common = { from: r.from, to: r.to, markers, selected: selectedMarker, onMarker: selectMarker, noData: t("chart.no_data") };
  const series = (res, nameKey, map = (p) => p) => (res.ok ? res.value.series.map((se) => ({ name: t(nameKey), points: map(se.points) })) : []);
  const step = (...rs) => Math.max(1000, ...rs.filter((x) => x.ok).map((x) => x.value.stepMs));
  const grid = h(
    "div",
    { class: "charts" },
    cpu.ok
      ? chart({ ...common, id: "container-cpu", title: t("chart.container_cpu"), format: percent, stepMs: step(cpu), minMax: 10, maxCap: 100, series: series(cpu, "series.cpu") })
      : h("figure", { class: "chart" }, cpu.node),
    chart({
      ...common,
      id: "container-memory",
      title: t("chart.container_memory"),
      format: bytes,
      stepMs: step(mem, limit),
      minMax: 1024 * 1024,
      series: [...series(mem, "series.usage"), ...(c.memory_limited ? series(limit, "series.limit") : [])],
    }),
    chart({
      ...common,
      id: "container-network",
      title: t("chart.container_network"),
      format: rate,
      stepMs: step(rx, tx),
      minMax: 1024,
      series: [...series(rx, "series.receive", perSecond), ...series(tx, "series.transmit", perSecond)],
    }),
    chart({
      ...common,
      id: "container-block",
      title: t("chart.container_block"),
      format: rate,
      stepMs: step(rd, wr),
      minMax: 1024,
      series: [...series(rd, "series.read", perSecond), ...series(wr, "series.write", perSecond)],
    }),
  );
  let logBody;
  if (!logs.ok) logBody = logs.node;
  else if ((logs.value.lines ?? []).length === 0) logBody = h("p", { class: "muted", text: t("container.logs_empty") });
  else logBody = h("pre", { class: "logs", tabindex: "0", text: logs.value.lines.join("\n") });
  return [
    h("p", {}, h("a", { href: "#/containers", text: `← ${t("container.back")}` })),
    h(
      "header",
      { class: "host" },
      h("h1", {}, `${c.name} `, problem.text ? badge(problem.text, problem.cls) : null),
      h("p", { class: "muted" }, t("container.facts", { image: c.image ?? "?", state: `${c.state}${c.health ? ` (${c.health})` : ""}`, restarts: c.restarts ?? 0 })),
      h(
        "p",
        { class: "muted" },
        c.compose_project ? `${c.compose_project} / ${c.compose_service ?? "–"} · ` : "",
        `CPU ${percent(c.cpu_percent)} · ${bytes(c.memory_bytes)} / ${c.memory_limited ? bytes(c.memory_limit_bytes) : t("state.no_limit")}`,
      ),
      h("a", { class: "button", href: link(["silence"], { matchers: `container=${c.name}`, duration: "1h" }), text: t("container.silence") }),
    ),
    rangeBar(r),
    grid,
    section(t("markers.title"), evs.ok ? markerList(markers) : evs.node),
    section(t("container.alerts"), active.length > 0 ? h("ul", { class: "alerts" }, active.map(alertItem)) : h("p", { class: "muted", text: t("container.alerts_none") })),
    section(t("container.logs", { n: 200 }), logBody),
    section(t("container.policy"), policyView(c)),
  ];
}

// ---------------------------------------------------------------- alerts and silences

function silenceForm(prefill, onDone) {
  const status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const matchers = h("textarea", { id: "silence-matchers", name: "matchers", rows: "3", required: true, "aria-describedby": "silence-matchers-hint", spellcheck: "false" });
  matchers.value = prefill.matchers.join("\n");
  const durationInput = h("input", { id: "silence-duration", name: "duration", list: "silence-durations", required: true, autocomplete: "off", inputmode: "text" });
  durationInput.value = prefill.duration ?? "1h";
  const comment = h("input", { id: "silence-comment", name: "comment", maxlength: "500", autocomplete: "off" });
  comment.value = prefill.comment ?? "";
  const submit = h("button", { type: "submit", class: "button primary", text: t("silence.submit") });
  const form = h(
    "form",
    {
      class: "silence-form",
      id: "silence-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        const list = matchers.value
          .split(/\n|,(?=[^=,]+=)/)
          .map((m) => m.trim())
          .filter(Boolean);
        const ms = parseDuration(durationInput.value);
        if (list.length === 0 || list.some((m) => !m.includes("="))) {
          status.textContent = t("silence.failed", { why: t("silence.matchers_hint") });
          matchers.focus();
          return;
        }
        if (ms === null || ms <= 0) {
          status.textContent = t("silence.failed", { why: `${t("silence.duration")}: 30m, 1h, 2h, 1d…` });
          durationInput.focus();
          return;
        }
        submit.disabled = true;
        try {
          const res = await api.addSilence({ matchers: list, duration: durationInput.value.trim(), ...(comment.value.trim() ? { comment: comment.value.trim() } : {}) });
          const s = res.silence;
          status.textContent = [t("silences.added", { id: s.id, when: when(s.ends_at) }), ...(res.warnings ?? []).map((w) => t("silence.warning", { text: w }))].join(" ");
          matchers.value = "";
          comment.value = "";
          onDone?.();
        } catch (err) {
          status.textContent = t("silence.failed", { why: err.message });
        } finally {
          submit.disabled = false;
        }
      },
    },
    h("label", { for: "silence-matchers", text: t("silence.matchers") }),
    matchers,
    h("p", { id: "silence-matchers-hint", class: "hint", text: t("silence.matchers_hint") }),
    h(
      "div",
      { class: "row" },
      h("div", {}, h("label", { for: "silence-duration", text: t("silence.duration") }), durationInput),
      h("div", { class: "grow" }, h("label", { for: "silence-comment", text: t("silence.comment") }), comment),
    ),
    h(
      "datalist",
      { id: "silence-durations" },
      ["30m", "1h", "2h", "4h", "8h", "1d", "7d"].map((d) => h("option", { value: d })),
    ),
    submit,
    status,
  );
  return form;
}

function silenceList(data, reload) {
  const silences = data.silences ?? [];
  const items = silences.map((s) => {
    const note = h("span", { class: "muted", role: "status" });
    return h(
      "li",
      { class: "silence", "data-silence": s.id },
      h("code", { text: s.matchers.join(", ") }),
      h(
        "p",
        { class: "muted" },
        s.starts_at > Date.now() ? `${t("silences.starts", { when: when(s.starts_at) })} · ` : "",
        t("silences.until", { when: when(s.ends_at) }),
        ` (${ago(s.ends_at)}) · `,
        t("silences.by", { who: s.created_by ?? "?" }),
        s.comment ? ` · ${s.comment}` : "",
        ` · ${s.id}`,
      ),
      h("button", {
        type: "button",
        class: "button small",
        text: t("silences.remove"),
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api.removeSilence(s.id);
            note.textContent = t("silences.removed", { id: s.id });
            reload();
          } catch (err) {
            note.textContent = t("silence.failed", { why: err.message });
            e.target.disabled = false;
          }
        },
      }),
      note,
    );
  });
  return [
    items.length > 0 ? h("ul", { class: "silences" }, items) : h("p", { class: "muted", text: t("silences.none") }),
    (data.maintenance ?? []).length > 0
      ? h(
          "div",
          {},
          h("h3", { text: t("silences.maintenance") }),
          h(
            "ul",
            { class: "silences" },
            data.maintenance.map((m) =>
              h(
                "li",
                {},
                h("code", { text: m.matchers.join(", ") }),
                h("p", { class: "muted", text: `${t("silences.until", { when: when(m.ends_at) })}${m.comment ? ` · ${m.comment}` : ""}` }),
              ),
            ),
          ),
        )
      : null,
  ];
}

async function alertsView(id, focusForm) {
  const { params } = current();
  const r = range(params);
  setTitle(t("nav.alerts"));
  const [alerts, silences, journal] = await Promise.all([
    attempt(t("alerts.title"), () => api.alerts(r.from, r.to)),
    attempt(t("silences.title"), api.silences),
    // The alerts' transitions with their notifications, to say where each went.
    attempt(t("alerts.history"), () => api.events({ from: r.from, to: r.to, kind: ["alert.", "notification."], limit: 1000 })),
  ]);
  if (id !== renderId) return;
  const silencesBox = h("div", {}, silences.ok ? silenceList(silences.value, () => reloadSilences()) : silences.node);
  const reloadSilences = async () => {
    const again = await attempt(t("silences.title"), api.silences);
    silencesBox.replaceChildren(...[].concat(again.ok ? silenceList(again.value, reloadSilences) : again.node).filter(Boolean));
  };
  const prefill = { matchers: matchersOf(params), duration: params.get("duration") ?? "1h", comment: params.get("comment") ?? "" };
  const form = silenceForm(prefill, reloadSilences);
  const active = alerts.ok ? (alerts.value.active ?? []) : [];
  const past = journal.ok ? (journal.value.events ?? []) : alerts.ok ? (alerts.value.history ?? []) : [];
  const pastMarkers = buildMarkers(past, []);
  const out = [
    section(
      t("alerts.title"),
      alerts.ok ? (active.length > 0 ? h("ul", { class: "alerts" }, active.map(alertItem)) : h("p", { class: "muted", text: t("alerts.none") })) : alerts.node,
    ),
    section(t("silence.form"), form),
    section(t("silences.title"), silencesBox),
    section(t("alerts.history"), rangeBar(r), pastMarkers.length > 0 ? markerList(pastMarkers) : h("p", { class: "muted", text: t("alerts.history_none") })),
  ];
  if (focusForm)
    queueMicrotask(() => {
      form.scrollIntoView({ block: "start" });
      form.querySelector(prefill.matchers.length > 0 ? "#silence-duration" : "#silence-matchers")?.focus();
    });
  return out;
}

// ---------------------------------------------------------------- notifications

async function notificationsView(id) {
  setTitle(t("nav.notifications"));
  const now = Date.now();
  const res = await attempt(t("notifications.title"), () => api.notifications({ from: now - 86_400_000, to: now }));
  if (id !== renderId) return;
  if (!res.ok) return [section(t("notifications.title"), res.node)];
  const list = res.value.notifications ?? [];
  const items = list.map((n) =>
    h(
      "li",
      { class: `note n-${n.state}` },
      h(
        "div",
        { class: "alert-head" },
        badge(t(`notifications.${n.state}`), `n-${n.state}`),
        " ",
        h("strong", { text: n.title ?? `${n.kind ?? ""}: ${n.labels?.alertname ?? String(n.alert ?? "").split("{")[0]}` }),
      ),
      h(
        "p",
        { class: "muted" },
        [
          n.title ? null : labelsText(n.labels),
          when(n.at),
          t("notifications.to", { receiver: n.receiver ?? "?" }),
          n.title ? n.kind : null,
          n.attempts ? t("notifications.attempts", { n: n.attempts }) : null,
          n.state === "queued" && n.next_attempt_at ? t("notifications.next", { when: ago(n.next_attempt_at) }) : null,
        ]
          .filter(Boolean)
          .join(" · "),
      ),
      n.answer && n.state !== "delivered" ? h("p", { class: n.state === "failed" ? "why error" : "why", text: n.answer }) : null,
    ),
  );
  return [section(t("notifications.title"), items.length > 0 ? h("ul", { class: "notes" }, items) : h("p", { class: "muted", text: t("notifications.none") }))];
}

// ---------------------------------------------------------------- routing

function nav(active) {
  const links = [
    ["overview", "#/", "nav.overview"],
    ["containers", "#/containers", "nav.containers"],
    ["alerts", "#/alerts", "nav.alerts"],
    ["notifications", "#/notifications", "nav.notifications"],
  ];
  const el = document.getElementById("nav");
  clear(el).append(
    ...links.map(([key, href, label]) => h("a", { href, "aria-current": key === active ? "page" : undefined, text: t(label) })),
    h("a", { href: "/logout", class: "signout", text: t("nav.signout") }),
  );
}

async function render({ quiet = false } = {}) {
  const id = ++renderId;
  const { segments, params } = current();
  const [first, second] = segments;
  let view;
  if (!first) view = ["overview", () => overview(id)];
  else if (first === "containers" && second) view = ["containers", () => containerView(id, second)];
  else if (first === "containers") view = ["containers", () => containers(id)];
  else if (first === "alerts" || first === "silences") view = ["alerts", () => alertsView(id, false)];
  else if (first === "silence") view = ["alerts", () => alertsView(id, true)];
  else if (first === "notifications") view = ["notifications", () => notificationsView(id)];
  else view = ["overview", () => overview(id)];
  if (!quiet) {
    selectedMarker = null;
    if (params.get("at") === null) window.scrollTo(0, 0);
    main.setAttribute("aria-busy", "true");
    if (main.childElementCount === 0) main.append(h("p", { class: "muted", text: t("loading") }));
  }
  nav(view[0]);
  const nodes = await view[1]();
  if (id !== renderId || !nodes) return;
  main.replaceChildren(...nodes.filter(Boolean));
  main.setAttribute("aria-busy", "false");
  main.dataset.view = view[0];
  main.dataset.rendered = String(id);
  if (!quiet && selectedMarker) selectMarker(selectedMarker);
}

/** Refreshes the view every 30 s while it is visible and nobody is typing in it. */
function refresh() {
  const typing = document.activeElement?.closest?.("form, .toolbar");
  const { segments } = current();
  if (document.visibilityState === "visible" && !typing && segments[0] !== "silence" && segments[0] !== "alerts") render({ quiet: true });
}

document.getElementById("skip")?.addEventListener("click", (e) => {
  e.preventDefault();
  main.focus();
});
window.addEventListener("hashchange", () => render());
setInterval(refresh, REFRESH_MS);
document.documentElement.lang = locale;
const skip = document.getElementById("skip");
if (skip) skip.textContent = t("nav.skip");
render();
