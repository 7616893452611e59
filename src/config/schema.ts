/**
 * The configuration schema: the single source of the config's shape, its
 * defaults and its types. Key names are a contract with users' files.
 * Every message here completes "KEY: …" and the loader adds ", got VALUE".
 */
import { z } from "zod";
import { parseDuration } from "./duration.js";

const duration = z.union([z.string(), z.number()], { error: "expected a duration like 500ms, 10s, 2m, 1h or 1d" }).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: "custom", message: "expected a duration like 500ms, 10s, 2m, 1h or 1d (or 0)" });
    return z.NEVER;
  }
  return ms;
});

const percent = z
  .number({ error: "expected a number from 0 to 100" })
  .min(0, { error: "expected a number from 0 to 100" })
  .max(100, { error: "expected a number from 0 to 100" });

const positive = z.number({ error: "expected a number above 0" }).positive({ error: "expected a number above 0" });
const points = z.number({ error: "expected a number of points, 0 or more" }).min(0, { error: "expected a number of points, 0 or more" });
const enabled = z.boolean({ error: "expected true or false" }).default(true);

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];
const severity = z.enum(SEVERITIES, { error: "expected one of info, warning, critical" });

interface RuleDefaults {
  warning: number;
  critical: number | null;
  for: string;
  hysteresis: number;
}

/** The keys every threshold rule has: warning (and optional critical) held for `for`, resolving below threshold − hysteresis. */
function ruleShape(value: z.ZodNumber, d: RuleDefaults) {
  return {
    enabled,
    warning: value.default(d.warning),
    critical: value.nullable().default(d.critical),
    for: duration.prefault(d.for),
    hysteresis: points.default(d.hysteresis),
  };
}

function criticalAboveWarning(rule: { warning: number; critical: number | null }, ctx: z.RefinementCtx): void {
  if (rule.critical !== null && rule.critical <= rule.warning) {
    ctx.addIssue({
      code: "custom",
      path: ["critical"],
      message: `must be above warning (${rule.warning}); use null to have no critical level`,
    });
  }
}

function thresholdRule(value: z.ZodNumber, d: RuleDefaults) {
  return z.strictObject(ruleShape(value, d)).superRefine(criticalAboveWarning).prefault({});
}

/** The fields every threshold rule has, whatever extra keys it takes. */
export interface ThresholdRule {
  enabled: boolean;
  warning: number;
  critical: number | null;
  for: number;
  hysteresis: number;
}

const slackReceiver = z
  .strictObject({
    name: z.string({ error: "expected a name" }).min(1).optional(),
    webhook_url: z.string({ error: "expected a URL like https://hooks.slack.com/services/T…/B…/…" }).optional(),
    webhook_url_file: z.string({ error: "expected a path to a file holding the webhook URL" }).optional(),
    min_severity: severity.default("warning"),
  })
  .superRefine((r, ctx) => {
    if (r.webhook_url === undefined && r.webhook_url_file === undefined) {
      ctx.addIssue({ code: "custom", message: "needs webhook_url or webhook_url_file" });
    }
    if (r.webhook_url !== undefined && r.webhook_url_file !== undefined) {
      ctx.addIssue({ code: "custom", message: "set webhook_url or webhook_url_file, not both" });
    }
  });

export const configSchema = z.strictObject({
  hostname: z.string({ error: "expected a host name" }).min(1, { error: "expected a host name" }).optional(),
  data_dir: z.string({ error: "expected a directory path" }).min(1, { error: "expected a directory path" }).optional(),
  host_root: z.string({ error: "expected a directory path like /host" }).optional(),
  interval: duration
    .prefault("10s")
    .refine((ms) => ms >= 100, { error: "expected a duration of at least 100ms" }),
  host: z
    .strictObject({
      cpu: thresholdRule(percent, { warning: 80, critical: 95, for: "1m", hysteresis: 5 }),
      memory: thresholdRule(percent, { warning: 90, critical: 95, for: "1m", hysteresis: 5 }),
      swap: thresholdRule(percent, { warning: 80, critical: null, for: "5m", hysteresis: 5 }),
      disk: z
        .strictObject({
          ...ruleShape(percent, { warning: 90, critical: 95, for: "0s", hysteresis: 5 }),
          mounts: z
            .array(z.string({ error: "expected a mount point like /var" }), { error: "expected a list of mount points, [] for all" })
            .default([]),
        })
        .superRefine(criticalAboveWarning)
        .prefault({}),
      inodes: thresholdRule(percent, { warning: 90, critical: null, for: "0s", hysteresis: 5 }),
      load: thresholdRule(positive, { warning: 2.0, critical: null, for: "5m", hysteresis: 0.2 }),
    })
    .prefault({}),
  notify: z
    .strictObject({
      repeat_interval: duration.prefault("4h"),
      send_resolved: z.boolean({ error: "expected true or false" }).default(true),
      slack: z.array(slackReceiver, { error: "expected a list of receivers, each with webhook_url" }).default([]),
    })
    .prefault({}),
});

export type LookoutConfig = z.output<typeof configSchema>;
export type SlackReceiverConfig = z.output<typeof slackReceiver>;
