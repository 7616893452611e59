/**
 * `lookout export …` (commands/export.ts defines them): the config as
 * Prometheus rules, an Alertmanager config, a Grafana dashboard (src/export/).
 * What an export cannot reproduce goes to stderr; no secret goes anywhere:
 * every receiver's URL and header value is registered and the output is
 * redacted as a last guard (the exports never read them in the first place).
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { parseDuration } from "../../config/duration.js";
import { type LoadedConfig, loadConfig } from "../../config/load.js";
import { said, UsageError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { alertmanagerConfig } from "../../export/alertmanager.js";
import { grafanaDashboard } from "../../export/grafana.js";
import { prometheusRules } from "../../export/prometheus-rules.js";
import { promDuration } from "../../export/promql.js";
import { processMessages, setProcessLocale } from "../../i18n/current.js";
import { redact, registerSecret } from "../../secrets.js";
import type { GlobalOptions } from "../context.js";
import { writeAllNow } from "../output.js";

function load(cmd: Command): LoadedConfig {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const loaded = loadConfig({ configPath: opts.config, dataDir: opts.dataDir });
  setProcessLocale(loaded.config.locale);
  for (const r of loaded.config.notify.slack) registerSecret(r.webhook_url);
  for (const r of loaded.config.notify.webhooks) {
    registerSecret(r.url);
    for (const v of Object.values(r.headers)) registerSecret(v);
  }
  if (loaded.config.notify.heartbeat) registerSecret(loaded.config.notify.heartbeat.url);
  return loaded;
}

function write(text: string, output: string | undefined, notes: readonly string[]): void {
  const safe = redact(text);
  const m = processMessages();
  for (const n of notes) writeAllNow(m.t("cli.export.notReproduced", { note: oneLine(n) }) + "\n", 2);
  if (output === undefined) {
    writeAllNow(safe);
    return;
  }
  writeFileSync(output, safe, { mode: 0o644 });
  writeAllNow(m.t("cli.export.wrote", { path: oneLine(output) }) + "\n", 2);
}

export async function exportRules(opts: { output?: string; rateWindow: string }, cmd: Command): Promise<void> {
  const ms = parseDuration(opts.rateWindow);
  if (ms === undefined || ms < 1000) throw new UsageError(said("cmd.export.rateWindow", { value: JSON.stringify(opts.rateWindow) }));
  const loaded = load(cmd);
  const out = prometheusRules(loaded.config, loaded.hostname, { rateWindow: promDuration(ms) });
  write(out.text, opts.output, out.notes);
}

export async function exportAlertmanager(opts: { output?: string; secretsDir: string }, cmd: Command): Promise<void> {
  const loaded = load(cmd);
  const out = alertmanagerConfig(loaded.config, {
    secretsDir: opts.secretsDir.replace(/\/+$/, "") || "/",
    baseDir: loaded.path ? dirname(loaded.path) : process.cwd(),
    ...(loaded.fromEnvironment ? { fromEnvironment: loaded.fromEnvironment } : {}),
  });
  const m = processMessages();
  for (const f of out.files) writeAllNow(m.t("cli.export.create", { path: oneLine(f.path), holds: oneLine(f.holds) }) + "\n", 2);
  write(out.text, opts.output, out.notes);
}

export async function exportGrafana(opts: { output?: string }, cmd: Command): Promise<void> {
  const loaded = load(cmd);
  write(`${JSON.stringify(grafanaDashboard(loaded.config, loaded.hostname), null, 2)}\n`, opts.output, []);
}
