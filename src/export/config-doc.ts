/**
 * docs/configuration.md, written from the config schema (config/schema.ts:
 * each key's type, default and `.describe()` text) and from the rules
 * (evaluate/registry.ts: each alert's defaults and how to change them), so the
 * page cannot drift from the code. `npm run docs:config` writes it
 * (scripts/config-doc.mjs); test/config/config-doc.test.ts fails when it is
 * stale. No command imports this module.
 */
import { z } from "zod";
import { formatDuration } from "../config/duration.js";
import { type ContainerRuleName, configSchema, containerRuleSchemas, durationRanges, type LookoutConfig } from "../config/schema.js";
import { ruleRegistry } from "../evaluate/registry.js";
import type { RuleDefinition } from "../evaluate/rule.js";

type Schema = z.core.$ZodType;

/** The parts of zod's definitions read here (zod v4: `schema._zod.def`). */
interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  options?: Schema[];
  entries?: Record<string, string>;
  values?: unknown[];
  keyType?: Schema;
  valueType?: Schema;
  in?: Schema;
  out?: Schema;
}
const defOf = (s: Schema) => s._zod.def as unknown as Def;

/** One key as the page shows it. */
export interface KeyDoc {
  path: string;
  type: string;
  /** The default as written in a config file; undefined: none (optional, or required). */
  default: string | undefined;
  required: boolean;
  description: string;
}

/** The schema under its wrappers (optional, nullable, default, prefault), and what they say. */
function unwrap(schema: Schema): { core: Schema; description: string; default: unknown; hasDefault: boolean; optional: boolean; nullable: boolean } {
  let s = schema;
  let description: string | undefined;
  let value: unknown;
  let hasDefault = false;
  let optional = false;
  let nullable = false;
  for (;;) {
    description ??= z.globalRegistry.get(s)?.description;
    const d = defOf(s);
    if (d.type === "default" || d.type === "prefault") {
      if (!hasDefault) value = d.defaultValue;
      hasDefault = true;
    } else if (d.type === "optional") optional = true;
    else if (d.type === "nullable") nullable = true;
    else break;
    s = d.innerType!;
  }
  return { core: s, description: description ?? "", default: value, hasDefault, optional, nullable };
}

const isObject = (s: Schema) => defOf(s).type === "object";

/** A number's range, from its checks (`def.checks`: greater_than, less_than, number_format). */
function numberType(s: Schema): string {
  let whole = false;
  let lo: { value: number; inclusive: boolean } | undefined;
  let hi: { value: number; inclusive: boolean } | undefined;
  for (const check of (s._zod.def as { checks?: z.core.$ZodCheck[] }).checks ?? []) {
    const c = check._zod.def as { check: string; value?: number; inclusive?: boolean; format?: string };
    if (c.check === "number_format") whole = c.format === "safeint" || c.format === "int32";
    const bound = { value: c.value!, inclusive: c.inclusive === true };
    if (c.check === "greater_than" && (!lo || bound.value >= lo.value)) lo = bound;
    if (c.check === "less_than" && (!hi || bound.value <= hi.value)) hi = bound;
  }
  const what = whole ? "whole number" : "number";
  if (lo?.inclusive && hi?.inclusive) return `${what}, ${lo.value} to ${hi.value}`;
  const parts = [lo && (lo.inclusive ? `${lo.value} or more` : `above ${lo.value}`), hi && (hi.inclusive ? `at most ${hi.value}` : `below ${hi.value}`)].filter(Boolean);
  return parts.length > 0 ? `${what}, ${parts.join(", ")}` : what;
}

/** The type of a value, in words. */
function typeOf(schema: Schema): string {
  const range = durationRanges.get(schema);
  if (range) return `duration, ${range.min} to ${range.max}${range.zero !== undefined ? ` (0: ${range.zero})` : ""}`;
  const d = defOf(schema);
  switch (d.type) {
    case "string":
      return "text";
    case "number":
      return numberType(schema);
    case "boolean":
      return "true or false";
    case "enum":
      return Object.values(d.entries!)
        .map((v) => `\`${v}\``)
        .join(", ");
    case "literal":
      return d.values!.map((v) => `\`${String(v)}\``).join(", ");
    case "union":
      return d.options!.map((o) => typeOf(unwrap(o).core)).join(" or ");
    case "array":
      return isObject(unwrap(d.element!).core) ? "list of mappings" : `list of ${typeOf(unwrap(d.element!).core)}`;
    case "record":
      return `mapping of ${typeOf(d.keyType!)} to ${typeOf(unwrap(d.valueType!).core)}`;
    case "object":
      return "mapping";
    case "pipe":
      return typeOf(d.in!);
    case "unknown":
      return "any";
    default:
      return d.type;
  }
}

/** A default as it would be written in lookout.yaml. */
function yamlValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(yamlValue).join(", ")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as object);
    return entries.length === 0 ? "{}" : `{ ${entries.map(([k, x]) => `${k}: ${yamlValue(x)}`).join(", ")} }`;
  }
  return String(v);
}

/** Every key under `schema`, depth first, in the schema's order. */
export function configKeys(schema: Schema = configSchema, prefix = ""): KeyDoc[] {
  const out: KeyDoc[] = [];
  for (const [key, child] of Object.entries(defOf(schema).shape ?? {})) {
    const path = `${prefix}${key}`;
    const u = unwrap(child);
    const objectDefault = u.hasDefault && isObject(u.core) && typeof u.default === "object" && u.default !== null && Object.keys(u.default).length === 0;
    out.push({
      path,
      type: typeOf(u.core) + (u.nullable ? "; or null" : ""),
      // An object defaulted to {} takes each key's own default, shown on its row.
      default: !u.hasDefault || objectDefault ? undefined : yamlValue(u.default),
      required: !u.hasDefault && !u.optional,
      description: u.description,
    });
    out.push(...childKeys(u.core, path));
  }
  return out;
}

/** The keys inside an object, a list of objects, or a union with an object among its forms. */
function childKeys(core: Schema, path: string): KeyDoc[] {
  const d = defOf(core);
  if (d.type === "object") return configKeys(core, `${path}.`);
  if (d.type === "array") {
    const element = unwrap(d.element!).core;
    return isObject(element) ? configKeys(element, `${path}[].`) : [];
  }
  if (d.type === "union") return d.options!.flatMap((o) => childKeys(unwrap(o).core, path));
  if (d.type === "pipe") return childKeys(d.in!, path);
  return [];
}

/** The schema at a dotted path of the config (`host.cpu`), under its wrappers. */
function schemaAt(path: string): Schema {
  let s: Schema = configSchema;
  for (const key of path.split(".")) s = unwrap(defOf(unwrap(s).core).shape![key]!).core;
  return s;
}

/** Text as Markdown shows it: `<rule>` is not taken for an HTML tag. */
const prose = (text: string) => text.replace(/</g, "&lt;");
const cell = (text: string) => prose(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (text: string) => `\`${text}\``;

function keyTable(keys: KeyDoc[]): string[] {
  const rows = ["| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |"];
  for (const k of keys) {
    const dflt = k.default !== undefined ? code(k.default) : k.required ? "required" : "";
    rows.push(`| ${code(k.path)} | ${cell(k.type)} | ${cell(dflt)} | ${cell(k.description)} |`);
  }
  return rows;
}

const PERCENT_NEXT = (warning: number, critical: number | null) => (warning < 10 ? warning * 2 : Math.min(warning + 5, critical !== null ? critical - 1 : 100));

const held = (ms: number) => (ms > 0 ? `held for ${formatDuration(ms)}` : "on the first sample");

/** An alert's defaults and how to change them, as a few lines. */
function alertSection(rule: RuleDefinition, defaults: LookoutConfig): string[] {
  const settings = rule.settings(defaults);
  const key = rule.configKey;
  const keys = Object.keys(defOf(schemaAt(key)).shape ?? {});
  const ruleName = key.startsWith("containers.") ? key.slice("containers.".length) : undefined;
  const perContainer = ruleName !== undefined && ruleName in containerRuleSchemas ? (ruleName as ContainerRuleName) : undefined;
  const lines = [`### ${code(rule.alertname)}`, ""];
  const { description } = unwrap(configKeySchema(key));
  if (description) lines.push(prose(description), "");
  if (rule.metric !== rule.alertname) lines.push(`From the metric ${code(rule.metric)}.`, "");

  let example: [string, string];
  if (keys.includes("warning")) {
    const levels = [`warning at ${settings.warning} or more`, settings.critical !== null ? `critical at ${settings.critical} or more` : "no critical level"];
    lines.push(`- Default: ${levels.join(", ")}, ${held(settings.for)}` + `; resolves below the threshold minus ${settings.hysteresis}${settings.enabled ? "" : "; off"}.`);
    example = ["warning", String(PERCENT_NEXT(settings.warning, settings.critical))];
  } else if (keys.includes("severity")) {
    const severity = settings.critical !== null ? "critical" : "warning";
    lines.push(`- Default: severity ${code(severity)}${settings.for > 0 ? `, ${held(settings.for)}` : ""}${settings.enabled ? "" : "; off"}.`);
    example = ["severity", severity === "critical" ? "warning" : "critical"];
  } else if (keys.length > 0) {
    lines.push(`- Default: severity ${code(settings.critical !== null ? "critical" : "warning")}, always${settings.enabled ? "" : "; off"}.`);
    example = ["enabled", "false"];
  } else {
    // A rule set by one key (docker.unreachable_for).
    lines.push(`- Default: severity ${code(settings.critical !== null ? "critical" : "warning")} after ${formatDuration(settings.for)}.`);
    lines.push(`- Config: ${code(`${key}: 2m`)}.`, "");
    return lines;
  }
  const [k, v] = example;
  if (keys.length > 0) lines.push(`- Keys: ${keys.map((x) => code(`${key}.${x}`)).join(", ")}.`);
  lines.push(`- Config: ${code(`${key}.${k}: ${v}`)}.`);
  if (perContainer) {
    lines.push(`- Some containers: ${code(`containers.overrides: [{ match: "name=db-*", ${perContainer}: { ${k}: ${v} } }]`)}.`);
    lines.push(`- One container, by its label: ${code(`lookout.${perContainer}.${k}=${v}`)} (labels beat overrides, overrides beat ${code(key)}).`);
  }
  lines.push("");
  return lines;
}

/** The schema of a config key with its wrappers (for its description). */
function configKeySchema(path: string): Schema {
  const parts = path.split(".");
  let s: Schema = configSchema;
  for (const [i, key] of parts.entries()) {
    const next = defOf(unwrap(s).core).shape![key]!;
    if (i === parts.length - 1) return next;
    s = next;
  }
  return s;
}

/** docs/configuration.md. */
export function renderConfigDoc(): string {
  const keys = configKeys();
  const defaults = configSchema.parse({});
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from src/config/schema.ts and src/evaluate/ by `npm run docs:config`: edit those, not this file. -->",
    "",
    "Every key of `lookout.yaml`, with its type, default and meaning, then every alert with its defaults and how to change them.",
    "`lookout init` writes a commented `lookout.yaml` with every option; `lookout check --config lookout.yaml` checks one.",
    "Durations are written `500ms`, `10s`, `2m`, `1h`, `1d` (or `0`); `[]` marks a list's keys, which each entry has.",
    "",
    "## Keys",
    "",
  ];
  for (const top of Object.keys(defOf(configSchema).shape!)) {
    const section = keys.filter((k) => k.path === top || k.path.startsWith(`${top}.`) || k.path.startsWith(`${top}[]`));
    lines.push(`### ${code(top)}`, "", ...keyTable(section), "");
  }
  lines.push(
    "## Alerts",
    "",
    "Each alert below with its defaults. A threshold alert fires when the value stays at or above `warning` (or `critical`) for `for`, and resolves when it falls below the threshold minus `hysteresis`.",
    "Container rules can also be changed for some containers in `containers.overrides` (each entry's `match` is a name glob or a label matcher) and for one container by its labels `lookout.<rule>.<key>=<value>`: labels beat overrides, overrides beat the `containers:` settings.",
    "",
  );
  for (const rule of ruleRegistry) lines.push(...alertSection(rule, defaults));
  return `${lines.join("\n").trimEnd()}\n`;
}
