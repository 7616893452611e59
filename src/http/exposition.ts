/**
 * Prometheus' text exposition format 0.0.4 and OpenMetrics 1.0 text, written
 * by hand (no client library: the project counts what it loads). `/metrics`
 * (metrics.ts) fills an `Exposition` with families and renders it in the
 * format the scraper asked for (`formatFor`).
 *
 * The differences between the two that matter here:
 * - OpenMetrics names a counter's family without `_total` in `# TYPE`/`# HELP`
 *   (its samples keep it), an info family without `_info` (type `info`), an
 *   untyped one `unknown`; it escapes `"` in HELP too, and ends with `# EOF`.
 * - Label values are escaped alike (`\\`, `\"`, `\n`): container names and
 *   labels are anyone's text. Label names from outside go through
 *   `sanitizeLabelName` first, as cAdvisor does for `container_label_*`.
 */

export type ExpositionFormat = "prometheus" | "openmetrics";

export type MetricType = "counter" | "gauge" | "histogram" | "info" | "untyped";

/** Labels in the order they are written; names must be valid (sanitized when they come from outside). */
export type LabelPairs = readonly (readonly [string, string])[];

export const CONTENT_TYPES: Record<ExpositionFormat, string> = {
  prometheus: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

const VALID_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const VALID_LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name from outside (a Docker label's key) made valid: every other character becomes `_`, as cAdvisor's `container_label_` names. */
export function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return s === "" || /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A label value as both formats take it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

function escapeHelp(text: string, format: ExpositionFormat): string {
  return text.replace(format === "openmetrics" ? /[\\"\n]/g : /[\\\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

/** A sample's value: integers as they are, `NaN`, `+Inf`, `-Inf`; never an exponent-less overflow. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

/**
 * The format for an `Accept` header: OpenMetrics when it asks for
 * `application/openmetrics-text` at least as much as for anything else
 * (Prometheus sends it first); else, a missing or unknown header included,
 * the Prometheus text format.
 */
export function formatFor(accept: string | undefined): ExpositionFormat {
  if (!accept) return "prometheus";
  let om = -1;
  let other = -1;
  for (const part of accept.split(",")) {
    const [type = "", ...params] = part.split(";").map((p) => p.trim());
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (!Number.isFinite(q) || q <= 0) continue;
    if (type.toLowerCase() === "application/openmetrics-text") om = Math.max(om, q);
    else other = Math.max(other, q);
  }
  return om > 0 && om >= other ? "openmetrics" : "prometheus";
}

interface Sample {
  suffix: string;
  labels: string;
  value: number;
}

interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

/** The written form of a label set: `{a="x",b="y"}`, "" for none. Duplicate names: the first one stays. */
function labelText(labels: LabelPairs): string {
  if (labels.length === 0) return "";
  const seen = new Set<string>();
  let out = "";
  for (const [name, value] of labels) {
    if (seen.has(name)) continue;
    seen.add(name);
    out += `${out === "" ? "" : ","}${name}="${escapeLabelValue(value)}"`;
  }
  return `{${out}}`;
}

/** A family's samples; `add` writes one (its labels escaped once, for both formats). */
export class FamilyWriter {
  constructor(private readonly family: Family) {}

  add(labels: LabelPairs, value: number, suffix = ""): this {
    if (typeof value !== "number") return this;
    this.family.samples.push({ suffix, labels: labelText(labels), value });
    return this;
  }

  /** A histogram's series for one label set: cumulative `_bucket`s (with `+Inf`), `_sum`, `_count`. */
  histogram(labels: LabelPairs, bounds: readonly number[], perBucket: readonly number[], sum: number, count: number): this {
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += perBucket[i] ?? 0;
      this.add([...labels, ["le", formatValue(le)]], cumulative, "_bucket");
    });
    this.add([...labels, ["le", "+Inf"]], count, "_bucket");
    this.add(labels, sum, "_sum");
    this.add(labels, count, "_count");
    return this;
  }
}

export class Exposition {
  private readonly families: Family[] = [];
  private readonly names = new Set<string>();

  /**
   * A new family. A counter's name ends in `_total`, an info's in `_info`
   * (both formats' rules are met from that); a name is given once.
   */
  family(name: string, type: MetricType, help: string): FamilyWriter {
    if (!VALID_NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    if (type === "counter" && !name.endsWith("_total")) throw new Error(`counter ${name} must end in _total`);
    if (type === "info" && !name.endsWith("_info")) throw new Error(`info metric ${name} must end in _info`);
    if (this.names.has(name)) throw new Error(`metric ${name} given twice`);
    this.names.add(name);
    const f: Family = { name, type, help, samples: [] };
    this.families.push(f);
    return new FamilyWriter(f);
  }

  /** The text, without OpenMetrics' `# EOF` (`render` adds it), so that parts can be joined. Families without samples are left out. */
  body(format: ExpositionFormat): string {
    const lines: string[] = [];
    for (const f of this.families) {
      if (f.samples.length === 0) continue;
      let head = f.name;
      let type: string = f.type;
      if (format === "openmetrics") {
        if (f.type === "counter") head = f.name.slice(0, -"_total".length);
        else if (f.type === "info") head = f.name.slice(0, -"_info".length);
        else if (f.type === "untyped") type = "unknown";
      } else if (f.type === "info") type = "gauge";
      lines.push(`# HELP ${head} ${escapeHelp(f.help, format)}`, `# TYPE ${head} ${type}`);
      // An OpenMetrics counter's samples are `<family>_total` (the family's name, already ending in it).
      for (const s of f.samples) lines.push(`${f.name}${s.suffix}${s.labels} ${formatValue(s.value)}`);
    }
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  render(format: ExpositionFormat): string {
    return finish(this.body(format), format);
  }
}

/** Parts' bodies joined into a whole exposition (OpenMetrics' `# EOF` at the end). */
export function finish(body: string, format: ExpositionFormat): string {
  return format === "openmetrics" ? `${body}# EOF\n` : body;
}

export function validLabelName(name: string): boolean {
  return VALID_LABEL.test(name);
}
