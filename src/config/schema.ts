/**
 * The configuration schema: the single source of the config's shape, its
 * defaults and its types. Key names are a contract with users' files.
 * Every message here completes "KEY: …" and the loader adds ", got VALUE";
 * each is a catalogue key packed by `say` (config/problems.ts), rendered in the
 * config's language by the loader.
 */
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CRON_EXAMPLE, CRON_NEVER, cronProblem } from "../cron.js";
import { DEFAULT_LOCALE, LOCALES, type MessageKey } from "../i18n/messages.js";
import { MATCHER_EXAMPLES, matcherSaid } from "../label-matchers.js";
import { formatDuration, parseDuration } from "./duration.js";
import { DEFAULT_LISTEN, LISTEN_EXAMPLES, parseListen } from "./listen.js";
import { atLeast, type CONTAINER_RULE_NAMES, MIN_TOKEN_LENGTH, RECEIVER_LISTS, receiverName, SEVERITIES, type Severity } from "./names.js";
import { say } from "./problems.js";

export { atLeast, MIN_TOKEN_LENGTH, RECEIVER_LISTS, receiverName, SEVERITIES, type Severity };

/** The file the schema was loaded from: the validated-config cache is kept for this schema only (config/cache.ts). */
export const SCHEMA_FILE = fileURLToPath(import.meta.url);

/** Each duration key's range, for docs/configuration.md (src/export/config-doc.ts): a registry is a WeakMap, nothing is cloned. */
export const durationRanges = z.registry<{ min: string; max: string; zero?: string }>();

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
  // `zero` is always "never" (repeat_interval): its own texts, so no English word is glued into another language.
  const bounds = { min, max };
  const withZero = zero !== undefined ? ".never" : "";
  const schema = z.union([z.string(), z.number()], { error: say(`config.duration.like${withZero}` as MessageKey, bounds) }).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: say(`config.duration.parse${withZero}` as MessageKey, bounds) });
      return z.NEVER;
    }
    if (ms === 0 && zero !== undefined) return 0;
    if (!(ms >= minMs && ms <= maxMs)) {
      ctx.addIssue({ code: "custom", message: say(`config.duration.range${withZero}` as MessageKey, bounds) });
      return z.NEVER;
    }
    return ms;
  });
  durationRanges.add(schema, zero === undefined ? { min, max } : { min, max, zero });
  return schema;
}

/** How long a condition must hold before an alert fires: 0s fires on the first sample. */
const holdFor = () => duration("0s", "7d");
/** How long reminders wait: 0 = never remind. */
const repeatInterval = () => duration("1m", "30d", "never");

const percent = z
  .number({ error: say("config.expected.percent") })
  .min(0, { error: say("config.expected.percent") })
  .max(100, { error: say("config.expected.percent") });

const positive = z.number({ error: say("config.expected.positive") }).positive({ error: say("config.expected.positive") });
const points = z.number({ error: say("config.expected.points") }).min(0, { error: say("config.expected.points") });

const enabled = z
  .boolean({ error: say("config.expected.boolean") })
  .default(true)
  .describe("false turns it off");

const severity = z.enum(SEVERITIES, { error: say("config.expected.severity") });

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
    warning: value.default(d.warning).describe("Fires as a warning when the value is at or above this"),
    critical: value.nullable().default(d.critical).describe("Fires as critical when the value is at or above this; null: no critical level"),
    for: holdFor().prefault(d.for).describe("How long the value must stay at a level before the alert fires (0s: on the first sample)"),
    hysteresis: points.default(d.hysteresis).describe("Resolves only when the value falls below the threshold minus this, so a value hovering at the threshold does not flap"),
  };
}

function criticalAboveWarning(rule: { warning: number; critical: number | null }, ctx: z.RefinementCtx): void {
  if (rule.critical !== null && rule.critical <= rule.warning) {
    ctx.addIssue({
      code: "custom",
      path: ["critical"],
      message: say("config.critical.aboveWarning", { warning: rule.warning }),
    });
  }
}

function thresholdRule(value: z.ZodNumber, d: RuleDefaults, description: string) {
  return z.strictObject(ruleShape(value, d)).superRefine(criticalAboveWarning).prefault({}).describe(description);
}

/** The fields every threshold rule has, whatever extra keys it takes. */
export interface ThresholdRule {
  enabled: boolean;
  warning: number;
  critical: number | null;
  for: number;
  hysteresis: number;
}

// ---- what every receiver entry has: its name and least severity; an HTTP receiver's extra headers

const entryName = z
  .string({ error: say("config.expected.name") })
  .min(1)
  .optional()
  .describe("What routes, logs and status call this receiver; default its kind and place, like slack[0]");
const minSeverity = severity.default("warning").describe("The least severity this receiver is sent");
/** `name` and `min_severity`, for a receiver that has them first. */
const receiverBase = { name: entryName, min_severity: minSeverity };
const extraHeaders = z
  .record(z.string(), z.string({ error: say("config.expected.headerValue") }), { error: say("config.expected.headers") })
  .default({})
  .describe("Extra headers (auth tokens); values may use ${VAR}");
const headerFiles = (description: string) =>
  z
    .record(z.string(), z.string({ error: say("config.expected.fileHolding", { what: say("config.what.value") }) }), { error: say("config.expected.headerFiles") })
    .default({})
    .describe(description);

/** A generic JSON webhook: the body is Alertmanager's webhook format (version 4). */
const webhookReceiver = z.strictObject({
  name: entryName,
  url: z
    .string({ error: say("config.expected.urlLike", { example: "https://example.com/alerts" }) })
    .min(1, { error: say("config.expected.urlLike", { example: "https://example.com/alerts" }) })
    .describe("Where alerts are POSTed, as JSON in Alertmanager's webhook format (version 4)"),
  headers: extraHeaders,
  header_files: headerFiles("Headers whose value is read from a file (a token kept out of the config), relative to the config file"),
  min_severity: minSeverity,
});

/** Alertmanager's API v2 (`POST <url>/api/v2/alerts`): Lookout's alerts join Alertmanager's own, as Prometheus sends them. */
const alertmanagerReceiver = z.strictObject({
  name: entryName,
  url: z
    .string({ error: say("config.expected.urlLike", { example: "http://alertmanager:9093" }) })
    .min(1, { error: say("config.expected.urlLike", { example: "http://alertmanager:9093" }) })
    .describe("Alertmanager's address (http://alertmanager:9093, with its --web.route-prefix if it has one); /api/v2/alerts is added"),
  headers: extraHeaders,
  header_files: headerFiles("Headers whose value is read from a file, relative to the config file"),
  min_severity: minSeverity,
  // Keep the default but in tests.
  resend_every: duration("1s", "10m")
    .prefault("1m")
    .describe(
      "How often a firing alert is sent again (Prometheus' resend_delay); each send holds for 4 × max(resend_every, interval), so Alertmanager resolves it by itself when Lookout stops sending",
    ),
});

// ---- push and paging receivers (notify.ntfy, notify.gotify, notify.pushover, notify.pagerduty): each secret as a value (${ENV}) or a *_file key

/** `one` or `one_file`, exactly one of them (`optional`: neither is fine too). */
function oneOf(r: Record<string, unknown>, ctx: z.RefinementCtx, one: string, optional = false): void {
  const file = `${one}_file`;
  if (r[one] !== undefined && r[file] !== undefined) ctx.addIssue({ code: "custom", path: [one], message: say("config.oneOf.both", { one, other: file }) });
  else if (!optional && r[one] === undefined && r[file] === undefined) ctx.addIssue({ code: "custom", message: say("config.oneOf.needed", { one, other: file }) });
}
const secretText = (what: string, expected: string) =>
  z
    .string({ error: expected })
    .min(1, { error: expected })
    .optional()
    .describe(`${what[0]!.toUpperCase()}${what.slice(1)}; may use \${VAR}`);
const secretFile = (what: string, whatSaid: string) =>
  z
    .string({ error: say("config.expected.fileHolding", { what: whatSaid }) })
    .min(1, { error: say("config.expected.fileHolding", { what: whatSaid }) })
    .optional()
    .describe(`A file holding ${what}, instead of the value (relative to the config file)`);
/**
 * A secret as `key` (a value, may use ${VAR}) or `key_file` (a file holding it); which of them is required is the entry's superRefine (`oneOf`).
 * `what` and `fileWhat` describe it in docs/configuration.md (English); `secret` names its catalogue texts: `config.expected.<secret>`
 * (what the value should be) and `config.what.<secret>` (what the file holds).
 */
const secretSetting = <K extends string>(key: K, what: string, fileWhat: string, secret: string) =>
  ({
    [key]: secretText(what, say(`config.expected.${secret}` as MessageKey)),
    [`${key}_file`]: secretFile(fileWhat, say(`config.what.${secret}` as MessageKey)),
  }) as Record<K | `${K}_file`, ReturnType<typeof secretText>>;

const ntfyReceiver = z
  .strictObject({
    ...receiverBase,
    url: z
      .string({ error: say("config.expected.urlLike", { example: "https://ntfy.sh" }) })
      .min(1, { error: say("config.expected.urlLike", { example: "https://ntfy.sh" }) })
      .default("https://ntfy.sh")
      .describe("The ntfy server"),
    topic: z
      .string({ error: say("config.expected.ntfyTopic") })
      .regex(/^[-_A-Za-z0-9]{1,64}$/, { error: say("config.expected.ntfyTopicChars") })
      .describe("The topic (1 to 64 letters, digits, - or _); on a public server the topic is the password: a secret too"),
    ...secretSetting("token", "an access token like tk_…", "the access token", "ntfyToken"),
    username: z
      .string({ error: say("config.expected.username") })
      .min(1, { error: say("config.expected.username") })
      .optional()
      .describe("A user name, with password or password_file (instead of token)"),
    ...secretSetting("password", "a password", "the password", "password"),
  })
  .superRefine((r, ctx) => {
    oneOf(r, ctx, "token", true);
    oneOf(r, ctx, "password", true);
    const hasPassword = r.password !== undefined || r.password_file !== undefined;
    if ((r.username !== undefined) !== hasPassword) ctx.addIssue({ code: "custom", message: say("config.ntfy.login") });
    if (hasPassword && (r.token !== undefined || r.token_file !== undefined)) ctx.addIssue({ code: "custom", message: say("config.ntfy.tokenOrLogin") });
  });

const gotifyReceiver = z
  .strictObject({
    ...receiverBase,
    url: z
      .string({ error: say("config.expected.urlLike", { example: "https://gotify.example.com" }) })
      .min(1, { error: say("config.expected.urlLike", { example: "https://gotify.example.com" }) })
      .describe("The Gotify server (https://gotify.example.com); /message is added"),
    ...secretSetting("token", "an application token (Apps → Create Application)", "the application token", "gotifyToken"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "token"));

const pushoverReceiver = z
  .strictObject({
    ...receiverBase,
    ...secretSetting("token", "the application's API token", "the application API token", "pushoverToken"),
    ...secretSetting("user_key", "the user (or group) key", "the user or group key", "pushoverUser"),
    device: z
      .string({ error: say("config.expected.device") })
      .regex(/^[A-Za-z0-9_,-]{1,100}$/, { error: say("config.expected.devices") })
      .optional()
      .describe("Only these devices (comma-separated names); default all of the user's"),
    emergency: z
      .boolean({ error: say("config.expected.boolean") })
      .default(false)
      .describe("Critical alerts as emergencies (priority 2: repeated every 5 minutes for an hour until acknowledged); false: high priority (1)"),
    api_url: z
      .string({ error: say("config.expected.url") })
      .min(1, { error: say("config.expected.url") })
      .default("https://api.pushover.net/1/messages.json")
      .describe("Pushover's API address (for tests)"),
  })
  .superRefine((r, ctx) => {
    oneOf(r, ctx, "token");
    oneOf(r, ctx, "user_key");
  });

const pagerdutyReceiver = z
  .strictObject({
    ...receiverBase,
    ...secretSetting("routing_key", "the Events API v2 integration key of a service (32 characters)", "the integration key", "routingKey"),
    url: z
      .string({ error: say("config.expected.url") })
      .min(1, { error: say("config.expected.url") })
      .default("https://events.pagerduty.com/v2/enqueue")
      .describe("The Events API v2 address"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "routing_key"));
/** An address in `from`/`to`: `alerts@example.com`, or `Lookout <alerts@example.com>`; no line break, no second address. */
const MAIL_ADDRESS = /^(?:[^\r\n<>@",;]*<[^\s<>@",;]+@[A-Za-z0-9.-]+\.?>|[^\s<>@",;]+@[A-Za-z0-9.-]+\.?)$/;
const mailAddress = (example: string) => z.string({ error: say("config.expected.mail", { example }) }).regex(MAIL_ADDRESS, { error: say("config.expected.mailOne", { example }) });

/** Mail over SMTP (nodemailer): one mail per group, a text and an HTML part. */
const emailReceiver = z.strictObject({
  ...receiverBase,
  smtp: z
    .strictObject({
      host: z
        .string({ error: say("config.expected.smtpHost") })
        .min(1, { error: say("config.expected.smtpHost") })
        .describe("The mail server"),
      port: z
        .number({ error: say("config.expected.port") })
        .int()
        .min(1)
        .max(65535)
        .optional()
        .describe("Default 465 with secure, else 587"),
      secure: z
        .boolean({ error: say("config.expected.boolean") })
        .default(false)
        .describe("TLS from the first byte (port 465)"),
      starttls: z
        .enum(["required", "opportunistic"], { error: say("config.expected.starttls") })
        .optional()
        .describe("Without secure: STARTTLS required (the default: never send in clear) or opportunistic (when the server offers it)"),
      username: z
        .string({ error: say("config.expected.username") })
        .min(1)
        .optional()
        .describe("The login; none: no login"),
      password: z
        .string({ error: say("config.expected.password") })
        .min(1)
        .optional()
        .describe("The login's password; may use ${VAR}"),
      password_file: z
        .string({ error: say("config.expected.fileHolding", { what: say("config.what.password") }) })
        .min(1)
        .optional()
        .describe("A file holding the password, instead of the value"),
      ca_file: z
        .string({ error: say("config.expected.pem") })
        .min(1)
        .optional()
        .describe("A CA certificate (PEM) the server's certificate is checked against, besides the system's: a private mail relay"),
    })
    .superRefine((s, ctx) => {
      if (s.password !== undefined && s.password_file !== undefined)
        ctx.addIssue({ code: "custom", message: say("config.oneOf.both", { one: "password", other: "password_file" }) });
      if ((s.password !== undefined || s.password_file !== undefined) && s.username === undefined) ctx.addIssue({ code: "custom", message: say("config.smtp.passwordNeedsUser") });
      if (s.secure && s.starttls !== undefined) ctx.addIssue({ code: "custom", message: say("config.smtp.secureOrStarttls") });
    })
    .describe("The mail server and its login"),
  from: mailAddress("lookout@example.com").describe('The sender: alerts@example.com or "Lookout <alerts@example.com>"'),
  to: z
    .array(mailAddress("oncall@example.com"), { error: say("config.expected.mailList") })
    .min(1, { error: say("config.expected.mailAtLeastOne") })
    .describe("The recipients, one or more"),
  subject_prefix: z
    .string({ error: say("config.expected.text") })
    .max(100)
    .optional()
    .describe('Put before every subject, e.g. "[prod]"'),
});

const WEBHOOK_URL_FILE = z
  .string({ error: say("config.expected.fileHolding", { what: say("config.what.webhookUrl") }) })
  .optional()
  .describe("A file holding the webhook URL, instead of webhook_url (relative to the config file)");

const slackReceiver = z
  .strictObject({
    name: entryName,
    webhook_url: z
      .string({ error: say("config.expected.urlLike", { example: "https://hooks.slack.com/services/T…/B…/…" }) })
      .optional()
      .describe("An incoming webhook's URL; may use ${VAR}; this or webhook_url_file"),
    webhook_url_file: WEBHOOK_URL_FILE,
    min_severity: minSeverity,
  })
  .superRefine((r, ctx) => {
    if (r.webhook_url === undefined && r.webhook_url_file === undefined) {
      ctx.addIssue({ code: "custom", message: say("config.oneOf.needed", { one: "webhook_url", other: "webhook_url_file" }) });
    }
    if (r.webhook_url !== undefined && r.webhook_url_file !== undefined) {
      ctx.addIssue({ code: "custom", message: say("config.oneOf.both", { one: "webhook_url", other: "webhook_url_file" }) });
    }
  });

/** Discord, Telegram, Microsoft Teams (notify/discord, notify/telegram, notify/teams). */
const discordReceiver = z
  .strictObject({
    ...receiverBase,
    webhook_url: z
      .string({ error: say("config.expected.urlLike", { example: "https://discord.com/api/webhooks/<id>/<token>" }) })
      .optional()
      .describe("A channel webhook's URL; may use ${VAR}; this or webhook_url_file"),
    webhook_url_file: WEBHOOK_URL_FILE,
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "webhook_url"));
const telegramReceiver = z
  .strictObject({
    ...receiverBase,
    bot_token: z
      .string({ error: say("config.expected.botToken") })
      .optional()
      .describe("The bot's token (from @BotFather); may use ${VAR}; this or bot_token_file"),
    bot_token_file: z
      .string({ error: say("config.expected.fileHolding", { what: say("config.what.botToken") }) })
      .optional()
      .describe("A file holding the bot token, instead of bot_token (relative to the config file)"),
    chat_id: z
      .union([z.string().min(1), z.number().int()], { error: say("config.expected.chatId") })
      .transform(String)
      .describe("The chat: -1001234567890 or @channelname"),
    message_thread_id: z
      .number({ error: say("config.expected.threadId") })
      .int()
      .positive()
      .optional()
      .describe("A forum topic of the chat"),
    api_url: z
      .string({ error: say("config.expected.urlLike", { example: "https://api.telegram.org" }) })
      .default("https://api.telegram.org")
      .describe("The Bot API server (a self-hosted one)"),
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "bot_token"));
const teamsReceiver = z
  .strictObject({
    ...receiverBase,
    webhook_url: z
      .string({ error: say("config.expected.teamsUrl") })
      .optional()
      .describe("A Workflows webhook's URL; may use ${VAR}; this or webhook_url_file"),
    webhook_url_file: WEBHOOK_URL_FILE,
  })
  .superRefine((r, ctx) => oneOf(r, ctx, "webhook_url"));

const alertSeverity = z.enum(["warning", "critical"], { error: say("config.expected.alertSeverity") });
const count = z
  .number({ error: say("config.expected.count") })
  .int({ error: say("config.expected.count") })
  .min(1, { error: say("config.expected.count") });

/** Container rule settings. Also what `containers.overrides[].<rule>` and `lookout.<rule>.<key>` labels may change. */
export const containerRuleSchemas = {
  crashed: z
    .strictObject({
      enabled,
      severity: alertSeverity.default("critical").describe("The alert's severity: warning or critical"),
      log_lines: z
        .number({ error: say("config.expected.logLines") })
        .int()
        .min(0)
        .max(200)
        .default(20)
        .describe("Last log lines in the message"),
      resolve_after: duration("0s", "24h").prefault("1m").describe("Over once the container has run again this long"),
    })
    .describe("A container died with a non-zero exit code nobody asked for (docker stop and compose down are not crashes)"),
  oom_killed: z
    .strictObject({
      enabled,
      resolve_after: duration("0s", "24h").prefault("1m").describe("Over once the container has run again this long"),
    })
    .describe("A process in a container was killed by the kernel for lack of memory (always critical)"),
  unhealthy: z
    .strictObject({
      enabled,
      severity: alertSeverity.default("warning").describe("The alert's severity: warning or critical"),
      for: holdFor().prefault("0s").describe("How long it must stay unhealthy before the alert fires"),
    })
    .describe("A container's health check says unhealthy"),
  restart_loop: z
    .strictObject({
      enabled,
      severity: alertSeverity.default("critical").describe("The alert's severity: warning or critical"),
      restarts: count.default(3).describe("Fires at this many restarts within `within`"),
      // Restarts are remembered for a day (collect/docker/tracker.ts).
      within: duration("10s", "24h").prefault("10m").describe("The window restarts are counted in"),
    })
    .describe("A container restarted this many times within this window"),
  not_running: z
    .strictObject({
      enabled,
      severity: alertSeverity.default("critical").describe("The alert's severity: warning or critical"),
      for: holdFor().prefault("30s").describe("How long it must stay down before the alert fires"),
    })
    .describe("A container that should run (restart policy always or unless-stopped, or label lookout.expect=running) is not running"),
  cpu: z
    .strictObject(ruleShape(percent, { warning: 80, critical: null, for: "2m", hysteresis: 5 }))
    .superRefine(criticalAboveWarning)
    .describe("A container's CPU, % of the CPUs it may use (its limit, else all cores)"),
  memory: z
    .strictObject(ruleShape(percent, { warning: 90, critical: null, for: "1m", hysteresis: 5 }))
    .superRefine(criticalAboveWarning)
    .describe("A container's memory, % of its limit, else of host memory; page cache not counted"),
};
export type ContainerRuleName = keyof typeof containerRuleSchemas;
// config/names.ts lists them for code that must not load the schema: the same names (tsc fails here otherwise; the order is
// tested in test/config/names.test.ts).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const RULE_NAMES_AGREE: Same<ContainerRuleName, (typeof CONTAINER_RULE_NAMES)[number]> = true;
export type ContainerRules = { [K in ContainerRuleName]: z.output<(typeof containerRuleSchemas)[K]> };

const matcher = z.string({ error: say("config.expected.containerMatcher") }).min(1, { error: say("config.expected.containerMatcher") });

/** Partial rule settings for overrides: each key optional, checked against the full rule when applied. */
const overrideRules = Object.fromEntries(
  (Object.keys(containerRuleSchemas) as ContainerRuleName[]).map((k) => [
    k,
    z
      .record(z.string(), z.unknown(), { error: say("config.expected.ruleSettings") })
      .optional()
      .describe(`Keys of containers.${k} for the matching containers`),
  ]),
) as Record<ContainerRuleName, z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>>;

/** `maintenance[].match`, `routes[].match`: one `label=glob` or a list of them, every one must hold. */
const labelMatcher = z.string({ error: say("config.matcher", MATCHER_EXAMPLES) }).superRefine((text, ctx) => {
  const problem = matcherSaid(text);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: say(problem.key, problem.params) });
});

/** A recurring window during which matching alerts are tracked but not sent. */
const maintenanceWindow = z.strictObject({
  cron: z
    .string({ error: say("config.expected.cron", { example: CRON_EXAMPLE }) })
    .superRefine((text, ctx) => {
      const problem = cronProblem(text);
      if (problem === CRON_NEVER) ctx.addIssue({ code: "custom", message: say("config.cron.never") });
      else if (problem !== undefined) ctx.addIssue({ code: "custom", message: say("config.expected.cron", { example: CRON_EXAMPLE }) });
    })
    .describe('When each window starts: minute hour day-of-month month day-of-week, this host\'s local time ("0 3 * * SUN": Sundays at 03:00)'),
  duration: duration("1m", "31d").describe("How long each window lasts"),
  match: z
    .union([labelMatcher, z.array(labelMatcher)], { error: say("config.expected.labelMatchers", MATCHER_EXAMPLES) })
    .optional()
    .transform((m) => (m === undefined ? [] : typeof m === "string" ? [m] : m))
    .describe(
      "label=glob matchers (alertname, severity, hostname, mount, container, image, compose_project, compose_service), one or a list, every one must hold; none: every alert of this host",
    ),
  comment: z
    .string({ error: say("config.expected.aText") })
    .optional()
    .describe("Why, for people"),
});

/** `HH:MM`, 24-hour, local time. */
const clockTime = z.string({ error: say("config.expected.time") }).regex(/^([01]?\d|2[0-3]):[0-5]\d$/, { error: say("config.expected.timeLocal") });

/** One route of `notify.routes`: which notifications go to which receiver, and how often it is reminded. */
const route = z.strictObject({
  receiver: z
    .string({ error: say("config.expected.routeReceiver") })
    .min(1)
    .describe("The receiver this route sends to: its name, or slack[0], webhook[0]… for one without a name"),
  min_severity: severity.default("warning").describe("The least severity this route takes"),
  match: z
    .union([labelMatcher, z.array(labelMatcher)], { error: say("config.expected.labelMatchers", MATCHER_EXAMPLES) })
    .optional()
    .transform((m) => (m === undefined ? [] : typeof m === "string" ? [m] : m))
    .describe("label=glob matchers, one or a list: the route takes an alert whose labels match every one"),
  repeat_interval: repeatInterval().optional().describe("Reminders for this route; default notify.repeat_interval"),
  continue: z
    .boolean({ error: say("config.expected.boolean") })
    .default(false)
    .describe("Go on to the next routes after this one took an alert (Alertmanager's continue)"),
});

export const configSchema = z.strictObject({
  locale: z
    .enum(LOCALES, { error: say("config.expected.locale", { first: LOCALES.slice(0, -1).join(", "), last: LOCALES.at(-1)! }) })
    .default(DEFAULT_LOCALE)
    .describe("The language of messages (every receiver's) and of the dashboard: en or ko (Korean); also LOOKOUT_LOCALE"),
  hostname: z
    .string({ error: say("config.expected.hostname") })
    .min(1, { error: say("config.expected.hostname") })
    .optional()
    .describe('Name used in messages and the "hostname" label; default this machine\'s host name'),
  data_dir: z
    .string({ error: say("config.expected.dir") })
    .min(1, { error: say("config.expected.dir") })
    .optional()
    .describe(
      "Where Lookout keeps alert state, undelivered notifications and history (created if missing), relative to the config file; default data/ next to it (/var/lib/lookout for /etc/lookout/lookout.yaml)",
    ),
  host_root: z
    .string({ error: say("config.expected.hostRoot") })
    .optional()
    .describe("Read the host's /proc, /sys and mounts under this path when Lookout runs in a container with the host mounted there (-v /:/host:ro); also LOOKOUT_HOST_ROOT"),
  interval: duration("100ms", "1h").prefault("10s").describe("How often to collect and evaluate; disks, inodes and the process count are read at most every 10s"),
  host: z
    .strictObject({
      cpu: thresholdRule(percent, { warning: 80, critical: 95, for: "1m", hysteresis: 5 }, "Busy % of all cores over the interval"),
      memory: thresholdRule(percent, { warning: 90, critical: 95, for: "1m", hysteresis: 5 }, "Used memory %: (MemTotal - MemAvailable) / MemTotal"),
      swap: thresholdRule(percent, { warning: 80, critical: null, for: "5m", hysteresis: 5 }, "Used swap %; no alert on a machine without swap"),
      disk: z
        .strictObject({
          ...ruleShape(percent, { warning: 90, critical: 95, for: "0s", hysteresis: 5 }),
          mounts: z
            .array(z.string({ error: say("config.expected.mount") }), { error: say("config.expected.mounts") })
            .default([])
            .describe("The mount points watched, e.g. [/, /var/lib/docker] (inodes too); [] = every real filesystem"),
        })
        .superRefine(criticalAboveWarning)
        .prefault({})
        .describe("Used % of each real filesystem, as df computes it"),
      inodes: thresholdRule(percent, { warning: 90, critical: null, for: "0s", hysteresis: 5 }, "Used inodes %, on the same filesystems as disk"),
      load: thresholdRule(positive, { warning: 2.0, critical: null, for: "5m", hysteresis: 0.2 }, "5-minute load average per CPU core"),
      reboot: z
        .strictObject({
          enabled,
          severity: z
            .enum(["warning", "critical"], { error: say("config.expected.alertSeverity") })
            .default("warning")
            .describe("The reboot message's severity"),
        })
        .prefault({})
        .describe("One message when the host has rebooted: when, how long it was down, and the containers that died with it"),
    })
    .prefault({})
    .describe("Host rules"),
  docker: z
    .strictObject({
      enabled: z
        .union([z.boolean(), z.literal("auto")], { error: say("config.expected.dockerEnabled") })
        .default("auto")
        .describe("auto: watch Docker when it answers; true: alert when it does not; false: off"),
      socket: z
        .string({ error: say("config.expected.dockerSocket") })
        .min(1)
        .optional()
        .describe("The Engine API: unix:///var/run/docker.sock, a socket path or tcp://host:2375; default $DOCKER_HOST, else /var/run/docker.sock"),
      unreachable_for: duration("0s", "24h").prefault("30s").describe("Raise docker_unreachable after this long without an answer"),
      stats_concurrency: count.default(16).describe("Container stats requests at once"),
      timeout: duration("1s", "10m").prefault("5s").describe("How long one request to Docker may take"),
    })
    .prefault({})
    .describe("Docker's Engine API, read-only (GET requests and the event stream only)"),
  containers: z
    .strictObject({
      include: z
        .array(matcher, { error: say("config.expected.containerMatchers") })
        .default([])
        .describe("The containers watched: name globs (web-*) or label matchers (com.docker.compose.project=shop); [] = all"),
      exclude: z
        .array(matcher, { error: say("config.expected.containerMatchers") })
        .default([])
        .describe("Containers left out, as include; so is one with the label lookout.ignore=true"),
      crashed: containerRuleSchemas.crashed.prefault({}),
      oom_killed: containerRuleSchemas.oom_killed.prefault({}),
      unhealthy: containerRuleSchemas.unhealthy.prefault({}),
      restart_loop: containerRuleSchemas.restart_loop.prefault({}),
      not_running: containerRuleSchemas.not_running.prefault({}),
      cpu: containerRuleSchemas.cpu.prefault({}),
      memory: containerRuleSchemas.memory.prefault({}),
      down_at_start: z
        .strictObject({
          enabled,
          severity: alertSeverity.default("warning").describe("The notice's severity"),
        })
        .prefault({})
        .describe("On Lookout's first look at Docker (a new data directory), the containers already down: one notice, no guess about why; ends quietly after 10 minutes"),
      overrides: z
        .array(z.strictObject({ match: matcher.describe("Which containers: a name glob or a label matcher"), ...overrideRules }), {
          error: say("config.expected.overrides"),
        })
        .default([])
        .describe("Rule settings for some containers, each entry's keys over the rules above; a container's labels lookout.<rule>.<key> beat them"),
    })
    .prefault({})
    .describe("Rules for containers, running or not"),
  notify: z
    .strictObject({
      repeat_interval: repeatInterval().prefault("4h").describe("Remind while an alert still fires"),
      send_resolved: z
        .boolean({ error: say("config.expected.boolean") })
        .default(true)
        .describe("Say when an alert is over, with its peak and duration"),
      group_wait: duration("0s", "10m").prefault("2s").describe("Notifications arising within this long go out as one message per receiver"),
      give_up_after: duration("1m", "7d").prefault("24h").describe("A notification no receiver accepted for this long after its first attempt is marked failed"),
      max_retry_after: duration("1s", "24h").prefault("10m").describe("Longest a receiver's Retry-After may hold its queue: a longer one is taken as this"),
      timeout: duration("1s", "10m").prefault("30s").describe("Longest one send waits for the receiver's answer (a send that timed out may still have arrived)"),
      slack: z
        .array(slackReceiver, { error: say("config.list.receivers", { key: "webhook_url" }) })
        .default([])
        .describe("Slack incoming webhooks; with no receiver at all, alerts are printed on standard output"),
      webhooks: z
        .array(webhookReceiver, { error: say("config.list.receivers", { key: "url" }) })
        .default([])
        .describe("Generic JSON webhooks, the body in Alertmanager's webhook format (version 4)"),
      alertmanager: z
        .array(alertmanagerReceiver, { error: say("config.list.alertmanager") })
        .default([])
        .describe("Alertmanager's API v2: one entry per member of a cluster"),
      discord: z
        .array(discordReceiver, { error: say("config.list.receivers", { key: "webhook_url" }) })
        .default([])
        .describe("Discord channel webhooks"),
      telegram: z
        .array(telegramReceiver, { error: say("config.list.telegram") })
        .default([])
        .describe("Telegram bots, each in a chat"),
      teams: z
        .array(teamsReceiver, { error: say("config.list.receivers", { key: "webhook_url" }) })
        .default([])
        .describe("Microsoft Teams Workflows webhooks"),
      ntfy: z
        .array(ntfyReceiver, { error: say("config.list.ntfy") })
        .default([])
        .describe("ntfy topics (phone push)"),
      gotify: z
        .array(gotifyReceiver, { error: say("config.list.gotify") })
        .default([])
        .describe("Gotify servers (phone push)"),
      pushover: z
        .array(pushoverReceiver, { error: say("config.list.pushover") })
        .default([])
        .describe("Pushover applications (phone push)"),
      pagerduty: z
        .array(pagerdutyReceiver, { error: say("config.list.pagerduty") })
        .default([])
        .describe("PagerDuty services (Events API v2): one event per alert"),
      email: z
        .array(emailReceiver, { error: say("config.list.email") })
        .default([])
        .describe("Mail over SMTP: one mail per group of alerts, a text and an HTML part"),
      daily_summary: z
        .union(
          [
            clockTime.transform((at) => ({ at, receiver: undefined as string | undefined })),
            z.strictObject({
              at: clockTime.describe('The local time, "HH:MM" (24-hour)'),
              receiver: z
                .string({ error: say("config.expected.receiverName") })
                .min(1)
                .optional()
                .describe("The one receiver it goes to; default every Slack and mail receiver"),
            }),
          ],
          { error: say("config.expected.dailySummary") },
        )
        .optional()
        .describe('A daily message at this local time ("09:00"): what fired and resolved since the last one, what fires now, or "all clear"'),
      routes: z
        .array(route, { error: say("config.expected.routes") })
        .default([])
        .describe(
          "Which receiver gets what, tried in order; the first route that takes an alert ends the search unless it has continue; [] = every receiver gets what meets its min_severity",
        ),
      heartbeat: z
        .strictObject({
          url: z
            .string({ error: say("config.expected.urlLike", { example: "https://hc-ping.com/<uuid>" }) })
            .min(1, { error: say("config.expected.urlLike", { example: "https://hc-ping.com/<uuid>" }) })
            .describe("The URL pinged"),
          every: duration("1s", "24h").prefault("5m").describe("How often it is pinged"),
        })
        .optional()
        .describe("A dead man's switch (Healthchecks.io style), pinged while the agent runs and its checks work"),
    })
    .prefault({})
    .describe("Where alerts are sent, and how often"),
  flap: z
    .strictObject({
      max: count.default(4).describe("Fired and resolved more than this many times within `within`: reported once as flapping"),
      within: duration("10s", "7d").prefault("30m").describe("The window; a flapping alert is held until it has been stable this long"),
    })
    .prefault({})
    .describe("Alerts that keep firing and resolving"),
  // store/history.ts
  history: z
    .strictObject({
      enabled: enabled.describe("false keeps no history (and writes none)"),
      raw: duration("1h", "7d").prefault("24h").describe("Every sample, at the collection interval, kept this long"),
      per_minute: duration("1d", "90d").prefault("7d").describe("1-minute min/avg/max, kept this long"),
      per_10_minutes: duration("7d", "365d").prefault("30d").describe("10-minute min/avg/max, kept this long"),
      per_hour: duration("30d", "1825d").prefault("365d").describe("1-hour min/avg/max, and the events, kept this long"),
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
            message: say("config.history.tier", { previous: `history.${prevKey}`, duration: formatDuration(prev) }),
          });
      }
    })
    .prefault({})
    .describe("Every sample and event kept in the data directory's database, in coarser tiers as they age; each tier is kept at least as long as the one before"),
  // src/http/, docs/api.md
  http: z
    .strictObject({
      enabled: enabled.describe("false: no HTTP server"),
      listen: z
        .string({ error: say("config.listen.hostPort", LISTEN_EXAMPLES) })
        .default(DEFAULT_LISTEN)
        .superRefine((text, ctx) => {
          const a = parseListen(text);
          if ("problem" in a) ctx.addIssue({ code: "custom", message: say(a.said.key, a.said.params) });
        })
        .describe("HOST:PORT ([::1]:9817, 0.0.0.0:9817, :9817 for every interface); any address but loopback needs a token; LOOKOUT_HTTP_LISTEN overrides it"),
      auth_token: z
        .string({ error: say("config.expected.token") })
        .optional()
        .describe("Bearer token and sign-in secret, 16 characters at least; may use ${VAR}"),
      auth_token_file: z
        .string({ error: say("config.expected.fileHolding", { what: say("config.what.token") }) })
        .min(1, { error: say("config.expected.fileHolding", { what: say("config.what.token") }) })
        .optional()
        .describe("A file holding the token, instead of auth_token"),
      metrics_public: z
        .boolean({ error: say("config.expected.boolean") })
        .default(false)
        .describe("/metrics answers without the token too, wherever the server listens (a warning at start)"),
      public_url: z
        .string({ error: say("config.expected.publicUrl") })
        .superRefine((text, ctx) => {
          let url: URL | null = null;
          try {
            url = new URL(text);
          } catch {
            /* said below */
          }
          if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") {
            ctx.addIssue({ code: "custom", message: say("config.expected.publicUrlHttp") });
          }
        })
        .optional()
        .describe("Where people reach the dashboard (behind a proxy): https makes the cookie Secure, and messages link to it"),
    })
    .superRefine((h, ctx) => {
      if (h.auth_token !== undefined && h.auth_token_file !== undefined) {
        ctx.addIssue({ code: "custom", path: ["auth_token"], message: say("config.oneOf.both", { one: "auth_token", other: "auth_token_file" }) });
      }
      if (h.auth_token !== undefined && h.auth_token.trim().length < MIN_TOKEN_LENGTH) {
        ctx.addIssue({
          code: "custom",
          path: ["auth_token"],
          message: say("config.token.short", { min: MIN_TOKEN_LENGTH }),
        });
      }
    })
    .prefault({})
    .describe("The dashboard and JSON API of lookout run"),
  maintenance: z
    .array(maintenanceWindow, { error: say("config.expected.maintenance", { example: CRON_EXAMPLE }) })
    .default([])
    .describe("Recurring windows when matching alerts are tracked but not sent; an alert still firing when its window ends is sent then"),
});

export type LookoutConfig = z.output<typeof configSchema>;
export type HttpConfig = LookoutConfig["http"];
export type RouteConfig = z.output<typeof route>;

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
