/**
 * The configuration schema: the single source of the config's shape, its
 * defaults and its types. Key names are a contract with users' files.
 * Every message here completes "KEY: …" and the loader adds ", got VALUE".
 */
import { z } from "zod";
import { CRON_EXAMPLE, CRON_NEVER, cronProblem } from "../cron.js";
import { MATCHER_EXAMPLE, matcherProblem } from "../label-matchers.js";
import { formatDuration, parseDuration } from "./duration.js";
import { DEFAULT_LISTEN, LISTEN_EXAMPLE, parseListen } from "./listen.js";

/**
 * A duration key: text like `500ms`, `10s`, `2m`, `1h`, `1d` (or 0), in milliseconds.
 * Every duration key has a minimum and a maximum, said in its message: a value
 * outside them is refused (0 for a Docker timeout would never be met; 30d for
 * the interval overflows Node's timers, which stop at 2^31-1 ms, about 24.8 days,
 * so no duration that becomes a timer may be longer than that). `zero`: what 0
 * means where it is allowed below `min` ("never").
 */
function duration(min: string, max: string, zero?: string) {
  const minMs = parseDuration(min)!;
  const maxMs = parseDuration(max)!;
  const range = `from ${min} to ${max}${zero !== undefined ? `, or 0 for ${zero}` : ""}`;
  return z.union([z.string(), z.number()], { error: `expected a duration like 30s, 2m or 1h (${range})` }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration like 500ms, 10s, 2m, 1h or 1d (${range})` });
      return z.NEVER;
    }
    if (ms === 0 && zero !== undefined) return 0;
    if (!(ms >= minMs && ms <= maxMs)) {
      ctx.addIssue({ code: "custom", message: `expected a duration ${range}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** How long a condition must hold before an alert fires: 0s fires on the first sample. */
const holdFor = () => duration("0s", "7d");
/** How long reminders wait: 0 = never remind. */
const repeatInterval = () => duration("1m", "30d", "never");

const percent = z.number({ error: "expected a number from 0 to 100" }).min(0, { error: "expected a number from 0 to 100" }).max(100, { error: "expected a number from 0 to 100" });

const positive = z.number({ error: "expected a number above 0" }).positive({ error: "expected a number above 0" });
const points = z.number({ error: "expected a number of points, 0 or more" }).min(0, { error: "expected a number of points, 0 or more" });
/** The shortest `http.auth_token` accepted (from a file too: http/settings.ts). */
export const MIN_TOKEN_LENGTH = 16;

const enabled = z.boolean({ error: "expected true or false" }).default(true);

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The one order of severities: whether `severity` is at least `min` (a route's or a receiver's min_severity). */
export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
}
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
    for: holdFor().prefault(d.for),
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

/** A generic JSON webhook: the body is Alertmanager's webhook format (version 4). */
const webhookReceiver = z.strictObject({
  name: z.string({ error: "expected a name" }).min(1).optional(),
  url: z.string({ error: "expected a URL like https://example.com/alerts" }).min(1, { error: "expected a URL like https://example.com/alerts" }),
  /** Extra headers (auth tokens): values may use ${VAR}. */
  headers: z.record(z.string(), z.string({ error: "expected a header value" }), { error: "expected a mapping of header names to values" }).default({}),
  /** Headers whose value is read from a file (a token kept out of the config). */
  header_files: z.record(z.string(), z.string({ error: "expected a path to a file holding the value" }), { error: "expected a mapping of header names to file paths" }).default({}),
  min_severity: severity.default("warning"),
});

/** Alertmanager's API v2 (`POST <url>/api/v2/alerts`): Lookout's alerts join Alertmanager's own, as Prometheus sends them. */
const alertmanagerReceiver = z.strictObject({
  name: z.string({ error: "expected a name" }).min(1).optional(),
  /** Alertmanager's address (`http://alertmanager:9093`, with its --web.route-prefix if it has one); /api/v2/alerts is added. */
  url: z.string({ error: "expected a URL like http://alertmanager:9093" }).min(1, { error: "expected a URL like http://alertmanager:9093" }),
  headers: z.record(z.string(), z.string({ error: "expected a header value" }), { error: "expected a mapping of header names to values" }).default({}),
  header_files: z.record(z.string(), z.string({ error: "expected a path to a file holding the value" }), { error: "expected a mapping of header names to file paths" }).default({}),
  min_severity: severity.default("warning"),
  /**
   * How often a firing alert is sent again (Prometheus' resend_delay); each
   * send says it holds for 4 × max(resend_every, interval), so Alertmanager
   * resolves it by itself when Lookout stops sending. Keep the default but in tests.
   */
  resend_every: duration("1s", "10m").prefault("1m"),
});

// ---- push and paging receivers (notify.ntfy, notify.gotify, notify.pushover, notify.pagerduty): each secret as a value (${ENV}) or a *_file key

/** `one` or `one_file`, exactly one of them (`optional`: neither is fine too). */
function oneOf(r: Record<string, unknown>, ctx: z.RefinementCtx, one: string, optional = false): void {
  const file = `${one}_file`;
  if (r[one] !== undefined && r[file] !== undefined) ctx.addIssue({ code: "custom", path: [one], message: `set ${one} or ${file}, not both` });
  else if (!optional && r[one] === undefined && r[file] === undefined) ctx.addIssue({ code: "custom", message: `needs ${one} or ${file}` });
}
const secretText = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .min(1, { error: `expected ${what}` })
    .optional();
const secretFile = (what: string) =>
  z
    .string({ error: `expected a path to a file holding ${what}` })
    .min(1, { error: `expected a path to a file holding ${what}` })
    .optional();
const receiverBase = { name: z.string({ error: "expected a name" }).min(1).optional(), min_severity: severity.default("warning") };

const ntfyReceiver = z
  .strictObject({
    ...receiverBase,
    /** The ntfy server; default https://ntfy.sh. */
    url: z.string({ error: "expected a URL like https://ntfy.sh" }).min(1, { error: "expected a URL like https://ntfy.sh" }).default("https://ntfy.sh"),
    /** On a public server the topic is the password: a secret too. */
    topic: z.string({ error: "expected a topic name like lookout-9f3k2" }).regex(/^[-_A-Za-z0-9]{1,64}$/, { error: "expected a topic name of 1 to 64 letters, digits, - or _" }),
    token: secretText("an access token like tk_…"),
    token_file: secretFile("the access token"),
    username: z.string({ error: "expected a user name" }).min(1, { error: "expected a user name" }).optional(),
    password: secretText("a password"),
    password_file: secretFile("the password"),
  })
  .superRefine((r, ctx) => {
    oneOf(r, ctx, "token", true);
    oneOf(r, ctx, "password", true);
    const hasPassword = r.password !== undefined || r.password_file !== undefined;
    if ((r.username !== undefined) !== hasPassword) ctx.addIssue({ code: "custom", message: "username and password (or password_file) go together" });
    if (hasPassword && (r.token !== undefined || r.token_file !== undefined)) ctx.addIssue({ code: "custom", message: "set token or username and password, not both" });
  });

const gotifyReceiver = z
  .strictObject({
    ...receiverBase,
    /** The Gotify server (`https://gotify.example.com`); /message is added. */
    url: z.string({ error: "expected a URL like https://gotify.example.com" }).min(1, { error: "expected a URL like https://gotify.example.com" }),
    /** An application token (Apps → Create Application). */
    token: secretText("an application token"),
    token_file: secretFile("the application token"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "token"));

const pushoverReceiver = z
  .strictObject({
    ...receiverBase,
    /** The application's API token. */
    token: secretText("an application API token"),
    token_file: secretFile("the application API token"),
    /** The user (or group) key. */
    user_key: secretText("a user or group key"),
    user_key_file: secretFile("the user or group key"),
    device: z
      .string({ error: "expected a device name" })
      .regex(/^[A-Za-z0-9_,-]{1,100}$/, { error: "expected device names (letters, digits, - and _), comma-separated" })
      .optional(),
    /** Critical alerts as emergencies (priority 2: repeated every 5 minutes for an hour until acknowledged); default high priority (1). */
    emergency: z.boolean({ error: "expected true or false" }).default(false),
    /** Pushover's API address (tests); default https://api.pushover.net/1/messages.json. */
    api_url: z.string({ error: "expected a URL" }).min(1, { error: "expected a URL" }).default("https://api.pushover.net/1/messages.json"),
  })
  .superRefine((r, ctx) => {
    oneOf(r, ctx, "token");
    oneOf(r, ctx, "user_key");
  });

const pagerdutyReceiver = z
  .strictObject({
    ...receiverBase,
    /** The Events API v2 integration key of a service (32 characters). */
    routing_key: secretText("an Events API v2 integration key"),
    routing_key_file: secretFile("the integration key"),
    url: z.string({ error: "expected a URL" }).min(1, { error: "expected a URL" }).default("https://events.pagerduty.com/v2/enqueue"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "routing_key"));
/** An address in `from`/`to`: `alerts@example.com`, or `Lookout <alerts@example.com>`; no line break, no second address. */
const MAIL_ADDRESS = /^(?:[^\r\n<>@",;]*<[^\s<>@",;]+@[A-Za-z0-9.-]+\.?>|[^\s<>@",;]+@[A-Za-z0-9.-]+\.?)$/;
const mailAddress = (example: string) =>
  z.string({ error: `expected an address like ${example}` }).regex(MAIL_ADDRESS, { error: `expected one address like ${example} or "Lookout <${example}>"` });

/** Mail over SMTP (nodemailer): one mail per group, a text and an HTML part. */
const emailReceiver = z.strictObject({
  name: z.string({ error: "expected a name" }).min(1).optional(),
  min_severity: severity.default("warning"),
  smtp: z
    .strictObject({
      host: z.string({ error: "expected the mail server's name, like smtp.example.com" }).min(1, { error: "expected the mail server's name, like smtp.example.com" }),
      /** Default 465 with `secure`, else 587. */
      port: z.number({ error: "expected a port number like 587" }).int().min(1).max(65535).optional(),
      /** TLS from the first byte (port 465). */
      secure: z.boolean({ error: "expected true or false" }).default(false),
      /** Without `secure`: STARTTLS `required` (the default: never send in clear) or `opportunistic` (when the server offers it). */
      starttls: z.enum(["required", "opportunistic"], { error: "expected required or opportunistic" }).optional(),
      username: z.string({ error: "expected a user name" }).min(1).optional(),
      password: z.string({ error: "expected a password" }).min(1).optional(),
      password_file: z.string({ error: "expected a path to a file holding the password" }).min(1).optional(),
      /** A CA certificate (PEM) the server's certificate is checked against, besides the system's: a private mail relay. */
      ca_file: z.string({ error: "expected a path to a PEM file" }).min(1).optional(),
    })
    .superRefine((s, ctx) => {
      if (s.password !== undefined && s.password_file !== undefined) ctx.addIssue({ code: "custom", message: "set password or password_file, not both" });
      if ((s.password !== undefined || s.password_file !== undefined) && s.username === undefined) ctx.addIssue({ code: "custom", message: "a password needs a username" });
      if (s.secure && s.starttls !== undefined) ctx.addIssue({ code: "custom", message: "set secure (TLS on connect, port 465) or starttls (port 587), not both" });
    }),
  from: mailAddress("lookout@example.com"),
  to: z.array(mailAddress("oncall@example.com"), { error: "expected a list of addresses" }).min(1, { error: "expected at least one address" }),
  /** Put before every subject, e.g. "[prod]". */
  subject_prefix: z.string({ error: "expected text" }).max(100).optional(),
});

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

/** Discord, Telegram, Microsoft Teams (notify/discord, notify/telegram, notify/teams). */
const chatName = { name: z.string({ error: "expected a name" }).min(1).optional(), min_severity: severity.default("warning") };
const discordReceiver = z
  .strictObject({
    ...chatName,
    webhook_url: z.string({ error: "expected a URL like https://discord.com/api/webhooks/<id>/<token>" }).optional(),
    webhook_url_file: z.string({ error: "expected a path to a file holding the webhook URL" }).optional(),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "webhook_url"));
const telegramReceiver = z
  .strictObject({
    ...chatName,
    bot_token: z.string({ error: "expected a bot token like 123456789:AA… (from @BotFather)" }).optional(),
    bot_token_file: z.string({ error: "expected a path to a file holding the bot token" }).optional(),
    chat_id: z.union([z.string().min(1), z.number().int()], { error: "expected a chat id like -1001234567890 or @channelname" }).transform(String),
    message_thread_id: z.number({ error: "expected a topic's message_thread_id, a whole number" }).int().positive().optional(),
    api_url: z.string({ error: "expected a URL like https://api.telegram.org" }).default("https://api.telegram.org"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "bot_token"));
const teamsReceiver = z
  .strictObject({
    ...chatName,
    webhook_url: z.string({ error: "expected a Workflows webhook URL (https://…/workflows/…/triggers/manual/paths/invoke?…)" }).optional(),
    webhook_url_file: z.string({ error: "expected a path to a file holding the webhook URL" }).optional(),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "webhook_url"));

const alertSeverity = z.enum(["warning", "critical"], { error: "expected warning or critical" });
const count = z
  .number({ error: "expected a whole number, 1 or more" })
  .int({ error: "expected a whole number, 1 or more" })
  .min(1, { error: "expected a whole number, 1 or more" });

/** Container rule settings. Also what `containers.overrides[].<rule>` and `lookout.<rule>.<key>` labels may change. */
export const containerRuleSchemas = {
  crashed: z.strictObject({
    enabled,
    severity: alertSeverity.default("critical"),
    log_lines: z.number({ error: "expected a number of lines from 0 to 200" }).int().min(0).max(200).default(20),
    resolve_after: duration("0s", "24h").prefault("1m"),
  }),
  oom_killed: z.strictObject({
    enabled,
    resolve_after: duration("0s", "24h").prefault("1m"),
  }),
  unhealthy: z.strictObject({
    enabled,
    severity: alertSeverity.default("warning"),
    for: holdFor().prefault("0s"),
  }),
  restart_loop: z.strictObject({
    enabled,
    severity: alertSeverity.default("critical"),
    restarts: count.default(3),
    // Restarts are remembered for a day (collect/docker/tracker.ts).
    within: duration("10s", "24h").prefault("10m"),
  }),
  not_running: z.strictObject({
    enabled,
    severity: alertSeverity.default("critical"),
    for: holdFor().prefault("30s"),
  }),
  cpu: z.strictObject(ruleShape(percent, { warning: 80, critical: null, for: "2m", hysteresis: 5 })).superRefine(criticalAboveWarning),
  memory: z.strictObject(ruleShape(percent, { warning: 90, critical: null, for: "1m", hysteresis: 5 })).superRefine(criticalAboveWarning),
};
export type ContainerRuleName = keyof typeof containerRuleSchemas;
export type ContainerRules = { [K in ContainerRuleName]: z.output<(typeof containerRuleSchemas)[K]> };

const matcher = z
  .string({ error: 'expected a name glob like "web-*" or a label matcher like "com.docker.compose.project=shop"' })
  .min(1, { error: 'expected a name glob like "web-*" or a label matcher like "com.docker.compose.project=shop"' });

/** Partial rule settings for overrides: each key optional, checked against the full rule when applied. */
const overrideRules = Object.fromEntries(
  (Object.keys(containerRuleSchemas) as ContainerRuleName[]).map((k) => [k, z.record(z.string(), z.unknown(), { error: "expected a mapping of rule settings" }).optional()]),
) as Record<ContainerRuleName, z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>>;

/** `maintenance[].match`: one `label=glob` or a list of them, every one must hold. */
const labelMatcher = z.string({ error: `expected ${MATCHER_EXAMPLE}` }).superRefine((text, ctx) => {
  const problem = matcherProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});

/** A recurring window during which matching alerts are tracked but not sent. */
const maintenanceWindow = z.strictObject({
  cron: z.string({ error: `expected a cron expression like "${CRON_EXAMPLE}"` }).superRefine((text, ctx) => {
    const problem = cronProblem(text);
    if (problem === CRON_NEVER) ctx.addIssue({ code: "custom", message: "expected a cron expression that occurs (this one names a date that never comes)" });
    else if (problem !== undefined) ctx.addIssue({ code: "custom", message: `expected a cron expression like "${CRON_EXAMPLE}"` });
  }),
  duration: duration("1m", "31d"),
  match: z
    .union([labelMatcher, z.array(labelMatcher)], { error: `expected ${MATCHER_EXAMPLE}, or a list of them` })
    .optional()
    .transform((m) => (m === undefined ? [] : typeof m === "string" ? [m] : m)),
  comment: z.string({ error: "expected a text" }).optional(),
});

/** `HH:MM`, 24-hour, local time. */
const clockTime = z
  .string({ error: 'expected a time like "09:00"' })
  .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, { error: 'expected a time like "09:00" (24-hour, this host\'s local time)' });

/** One route of `notify.routes`: which notifications go to which receiver, and how often it is reminded. */
const route = z.strictObject({
  receiver: z.string({ error: "expected the name of a receiver in notify.slack, notify.webhooks, notify.email… (slack[0], webhook[0], email[0], or its name:)" }).min(1),
  min_severity: severity.default("warning"),
  match: z
    .union([labelMatcher, z.array(labelMatcher)], { error: `expected ${MATCHER_EXAMPLE}, or a list of them` })
    .optional()
    .transform((m) => (m === undefined ? [] : typeof m === "string" ? [m] : m)),
  /** Reminders for this route; default notify.repeat_interval. */
  repeat_interval: repeatInterval().optional(),
  /** Go on to the next routes after this one matched (Alertmanager's `continue`). */
  continue: z.boolean({ error: "expected true or false" }).default(false),
});

export const configSchema = z.strictObject({
  hostname: z.string({ error: "expected a host name" }).min(1, { error: "expected a host name" }).optional(),
  data_dir: z.string({ error: "expected a directory path" }).min(1, { error: "expected a directory path" }).optional(),
  host_root: z.string({ error: "expected a directory path like /host" }).optional(),
  interval: duration("100ms", "1h").prefault("10s"),
  host: z
    .strictObject({
      cpu: thresholdRule(percent, { warning: 80, critical: 95, for: "1m", hysteresis: 5 }),
      memory: thresholdRule(percent, { warning: 90, critical: 95, for: "1m", hysteresis: 5 }),
      swap: thresholdRule(percent, { warning: 80, critical: null, for: "5m", hysteresis: 5 }),
      disk: z
        .strictObject({
          ...ruleShape(percent, { warning: 90, critical: 95, for: "0s", hysteresis: 5 }),
          mounts: z.array(z.string({ error: "expected a mount point like /var" }), { error: "expected a list of mount points, [] for all" }).default([]),
        })
        .superRefine(criticalAboveWarning)
        .prefault({}),
      inodes: thresholdRule(percent, { warning: 90, critical: null, for: "0s", hysteresis: 5 }),
      load: thresholdRule(positive, { warning: 2.0, critical: null, for: "5m", hysteresis: 0.2 }),
      /** One message when the host has rebooted (how long it was down), with the containers that came back. */
      reboot: z
        .strictObject({
          enabled,
          severity: z.enum(["warning", "critical"], { error: "expected warning or critical" }).default("warning"),
        })
        .prefault({}),
    })
    .prefault({}),
  docker: z
    .strictObject({
      enabled: z.union([z.boolean(), z.literal("auto")], { error: "expected auto, true or false" }).default("auto"),
      socket: z.string({ error: "expected unix:///var/run/docker.sock, a socket path, or tcp://host:port" }).min(1).optional(),
      unreachable_for: duration("0s", "24h").prefault("30s"),
      stats_concurrency: count.default(16),
      timeout: duration("1s", "10m").prefault("5s"),
    })
    .prefault({}),
  containers: z
    .strictObject({
      include: z.array(matcher, { error: "expected a list of name globs or label=value matchers" }).default([]),
      exclude: z.array(matcher, { error: "expected a list of name globs or label=value matchers" }).default([]),
      crashed: containerRuleSchemas.crashed.prefault({}),
      oom_killed: containerRuleSchemas.oom_killed.prefault({}),
      unhealthy: containerRuleSchemas.unhealthy.prefault({}),
      restart_loop: containerRuleSchemas.restart_loop.prefault({}),
      not_running: containerRuleSchemas.not_running.prefault({}),
      cpu: containerRuleSchemas.cpu.prefault({}),
      memory: containerRuleSchemas.memory.prefault({}),
      /** On Lookout's first look at Docker, the containers already down: one notice, no guess about why. */
      down_at_start: z
        .strictObject({
          enabled,
          severity: alertSeverity.default("warning"),
        })
        .prefault({}),
      overrides: z.array(z.strictObject({ match: matcher, ...overrideRules }), { error: 'expected a list like [{ match: "name=db-*", memory: { warning: 95 } }]' }).default([]),
    })
    .prefault({}),
  notify: z
    .strictObject({
      repeat_interval: repeatInterval().prefault("4h"),
      send_resolved: z.boolean({ error: "expected true or false" }).default(true),
      /** Notifications arising within this long go out as one message per receiver. */
      group_wait: duration("0s", "10m").prefault("2s"),
      /** A notification no receiver accepted for this long is marked failed. */
      give_up_after: duration("1m", "7d").prefault("24h"),
      /** Longest a receiver's Retry-After may hold its queue: a bigger value is taken as this. */
      max_retry_after: duration("1s", "24h").prefault("10m"),
      /** Longest one send waits for the receiver's answer (a timed-out send may still have been processed). */
      timeout: duration("1s", "10m").prefault("30s"),
      slack: z.array(slackReceiver, { error: "expected a list of receivers, each with webhook_url" }).default([]),
      webhooks: z.array(webhookReceiver, { error: "expected a list of receivers, each with url" }).default([]),
      alertmanager: z.array(alertmanagerReceiver, { error: "expected a list of Alertmanagers, each with url" }).default([]),
      discord: z.array(discordReceiver, { error: "expected a list of receivers, each with webhook_url" }).default([]),
      telegram: z.array(telegramReceiver, { error: "expected a list of receivers, each with bot_token and chat_id" }).default([]),
      teams: z.array(teamsReceiver, { error: "expected a list of receivers, each with webhook_url" }).default([]),
      ntfy: z.array(ntfyReceiver, { error: "expected a list of ntfy receivers, each with topic" }).default([]),
      gotify: z.array(gotifyReceiver, { error: "expected a list of Gotify receivers, each with url and token" }).default([]),
      pushover: z.array(pushoverReceiver, { error: "expected a list of Pushover receivers, each with token and user_key" }).default([]),
      pagerduty: z.array(pagerdutyReceiver, { error: "expected a list of PagerDuty receivers, each with routing_key" }).default([]),
      email: z.array(emailReceiver, { error: "expected a list of receivers, each with smtp, from and to" }).default([]),
      /** A daily message at this local time: what fired and resolved since the last one, what fires now, or "all clear". */
      daily_summary: z
        .union(
          [
            clockTime.transform((at) => ({ at, receiver: undefined as string | undefined })),
            z.strictObject({ at: clockTime, receiver: z.string({ error: "expected the name of a receiver" }).min(1).optional() }),
          ],
          { error: 'expected a time like "09:00", or { at: "09:00", receiver: monitoring }' },
        )
        .optional(),
      /** [] = every receiver gets what meets its min_severity. */
      routes: z.array(route, { error: "expected a list like [{ receiver: oncall, min_severity: critical }]" }).default([]),
      heartbeat: z
        .strictObject({
          url: z.string({ error: "expected a URL like https://hc-ping.com/<uuid>" }).min(1, { error: "expected a URL like https://hc-ping.com/<uuid>" }),
          every: duration("1s", "24h").prefault("5m"),
        })
        .optional(),
    })
    .prefault({}),
  flap: z
    .strictObject({
      max: count.default(4),
      within: duration("10s", "7d").prefault("30m"),
    })
    .prefault({}),
  /** Every sample and event kept in the data directory's database, in tiers of coarser resolution as they age (store/history.ts). */
  history: z
    .strictObject({
      enabled,
      /** Every sample, at the collection interval. */
      raw: duration("1h", "7d").prefault("24h"),
      /** 1-minute min/avg/max. */
      per_minute: duration("1d", "90d").prefault("7d"),
      /** 10-minute min/avg/max. */
      per_10_minutes: duration("7d", "365d").prefault("30d"),
      /** 1-hour min/avg/max; events are kept as long. */
      per_hour: duration("30d", "1825d").prefault("365d"),
    })
    .superRefine((h, ctx) => {
      const tiers = [
        ["raw", h.raw],
        ["per_minute", h.per_minute],
        ["per_10_minutes", h.per_10_minutes],
        ["per_hour", h.per_hour],
      ] as const;
      for (let i = 1; i < tiers.length; i++) {
        const [prevKey, prev] = tiers[i - 1]!;
        const [key, ms] = tiers[i]!;
        if (ms < prev)
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `must be at least history.${prevKey} (${formatDuration(prev)}): a coarser tier is kept longer; raise it or lower history.${prevKey}`,
          });
      }
    })
    .prefault({}),
  /** `lookout run`'s HTTP server: dashboard and JSON API (src/http/, docs/api.md). */
  http: z
    .strictObject({
      enabled,
      listen: z
        .string({ error: `expected HOST:PORT like ${LISTEN_EXAMPLE}` })
        .default(DEFAULT_LISTEN)
        .superRefine((text, ctx) => {
          const a = parseListen(text);
          if ("problem" in a) ctx.addIssue({ code: "custom", message: a.problem });
        }),
      /** Bearer token / sign-in secret; values may use ${VAR}. */
      auth_token: z.string({ error: "expected a token (openssl rand -hex 32 makes one)" }).optional(),
      auth_token_file: z.string({ error: "expected a path to a file holding the token" }).min(1, { error: "expected a path to a file holding the token" }).optional(),
      /** `/metrics` without the token, wherever the server listens (for a Prometheus that cannot send one): said as a warning at start. */
      metrics_public: z.boolean({ error: "expected true or false" }).default(false),
      public_url: z
        .string({ error: "expected the address people reach the dashboard at, like https://lookout.example.com" })
        .superRefine((text, ctx) => {
          let url: URL | null = null;
          try {
            url = new URL(text);
          } catch {
            /* said below */
          }
          if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") {
            ctx.addIssue({ code: "custom", message: "expected an http:// or https:// URL like https://lookout.example.com (no user or password in it)" });
          }
        })
        .optional(),
    })
    .superRefine((h, ctx) => {
      if (h.auth_token !== undefined && h.auth_token_file !== undefined) {
        ctx.addIssue({ code: "custom", path: ["auth_token"], message: "set auth_token or auth_token_file, not both" });
      }
      if (h.auth_token !== undefined && h.auth_token.trim().length < MIN_TOKEN_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path: ["auth_token"],
          message: `expected at least ${MIN_TOKEN_LENGTH} characters (a short token can be guessed); make one with: openssl rand -hex 32`,
        });
      }
    })
    .prefault({}),
  maintenance: z.array(maintenanceWindow, { error: `expected a list like [{ cron: "${CRON_EXAMPLE}", duration: 1h, match: "container=db-*" }]` }).default([]),
});

export type LookoutConfig = z.output<typeof configSchema>;
export type HttpConfig = LookoutConfig["http"];
export type RouteConfig = z.output<typeof route>;

/**
 * Each receiver kind's list under `notify` (a new receiver adds its line here,
 * next to its entry in the schema): receiver names are checked across them,
 * and routes must name one of their receivers.
 */
export const RECEIVER_LISTS = {
  slack: "slack",
  webhook: "webhooks",
  alertmanager: "alertmanager",
  discord: "discord",
  telegram: "telegram",
  teams: "teams",
  ntfy: "ntfy",
  gotify: "gotify",
  pushover: "pushover",
  pagerduty: "pagerduty",
  email: "email",
} as const;

/** The name a receiver goes by in routes, logs and status: its `name`, else `slack[i]` / `webhook[i]`. */
export function receiverName(kind: string, r: { name?: string | undefined }, i: number): string {
  return r.name ?? `${kind}[${i}]`;
}
export type SlackReceiverConfig = z.output<typeof slackReceiver>;
export type WebhookReceiverConfig = z.output<typeof webhookReceiver>;
export type AlertmanagerReceiverConfig = z.output<typeof alertmanagerReceiver>;
export type DiscordReceiverConfig = z.output<typeof discordReceiver>;
export type TelegramReceiverConfig = z.output<typeof telegramReceiver>;
export type TeamsReceiverConfig = z.output<typeof teamsReceiver>;
export type NtfyReceiverConfig = z.output<typeof ntfyReceiver>;
export type GotifyReceiverConfig = z.output<typeof gotifyReceiver>;
export type PushoverReceiverConfig = z.output<typeof pushoverReceiver>;
export type PagerdutyReceiverConfig = z.output<typeof pagerdutyReceiver>;
export type EmailReceiverConfig = z.output<typeof emailReceiver>;
