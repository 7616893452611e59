/**
 * `lookout` — the command line. Every error reaches the user as a sentence
 * (with the fix), never as a stack trace; set LOOKOUT_DEBUG=1 to see stacks.
 */
import { Command, CommanderError } from "commander";
import { processMessages } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { VERSION } from "../version.js";
// The commands' definitions only: each one imports its code when it runs (lazy.ts).
import { checkCommand } from "./commands/check.js";
import { exportCommand } from "./commands/export.js";
import { initCommand } from "./commands/init.js";
import { installServiceCommand } from "./commands/install-service.js";
import { runCommand } from "./commands/run.js";
import { silenceCommand } from "./commands/silence.js";
import { statusDefinition } from "./commands/status-definition.js";
import { testNotifyCommand } from "./commands/test-notify.js";
import { exitCodeSet, failed } from "./failure.js";
import { examplesText, speakHelp } from "./help.js";
import { guardOutput } from "./output.js";

export interface ProgramOptions {
  /** The command line, for `status`, which parses it again with its real definition when it runs. */
  argv?: readonly string[];
  /** `status` as commands/status.ts defines it; else a definition that loads it when it runs (status-definition.ts). */
  status?: Command;
}

export function buildProgram(opts: ProgramOptions = {}): Command {
  // No config is read for --help or a usage error: LOOKOUT_LOCALE's language, else English.
  const m = processMessages();
  const program = new Command("lookout")
    .description(m.t("help.lookout"))
    .version(VERSION, "-V, --version", m.t("help.version"))
    .option("-c, --config <path>", m.t("help.lookout.config"))
    .option("-d, --data-dir <dir>", m.t("help.lookout.dataDir"))
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError(m.t("usage.help"))
    .exitOverride()
    .addHelpText(
      "after",
      examplesText(m, "help.examples", ["lookout init && lookout run", "lookout check --json", "LOOKOUT_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… lookout test-notify"]),
    );
  const status =
    opts.status ??
    statusDefinition(async () => {
      const { statusCommand } = await import("./commands/status.js");
      await buildProgram({ status: statusCommand() }).parseAsync(opts.argv ?? process.argv);
    });
  for (const cmd of [initCommand(), runCommand(), checkCommand(), status, testNotifyCommand()]) {
    program.addCommand(cmd.configureHelp({ showGlobalOptions: true }).exitOverride());
  }
  program.addCommand(silenceCommand().configureHelp({ showGlobalOptions: true }).exitOverride());
  program.addCommand(exportCommand().configureHelp({ showGlobalOptions: true }).exitOverride());
  program.addCommand(installServiceCommand().configureHelp({ showGlobalOptions: true }).exitOverride());
  speakUsage(program, m);
  speakHelp(program, m);
  return program;
}

/**
 * Commander writes its usage errors itself, in English ("error: unknown option '--x'"): in another language each
 * line it writes that Lookout knows becomes the catalogue's (`usageLine`), on every command and subcommand. The
 * language is LOOKOUT_LOCALE's: no config is read before the command line is.
 */
function speakUsage(cmd: Command, m: Messages): void {
  if (m.locale !== "en") {
    cmd.configureOutput({ outputError: (text, write) => write(text.replace(/[^\n]+/g, (line) => usageLine(line, m))) });
    const help = (cmd as unknown as { _showHelpAfterError: unknown })._showHelpAfterError;
    if (typeof help === "string") cmd.showHelpAfterError(m.t("usage.help"));
  }
  for (const sub of cmd.commands) speakUsage(sub, m);
}

/** Commander's usage error lines Lookout knows: the line's pattern, and its catalogue text from the pattern's groups. */
const USAGE_LINES: ReadonlyArray<readonly [RegExp, (m: Messages, g: string[]) => string]> = [
  [/^error: unknown option '(.*)'$/, (m, [flag]) => m.t("usage.unknownOption", { flag: flag! })],
  [/^error: unknown command '(.*)'$/, (m, [name]) => m.t("usage.unknownCommand", { name: name! })],
  [/^\(Did you mean one of (.*)\?\)$/, (m, [names]) => m.t("usage.didYouMean.many", { names: names! })],
  [/^\(Did you mean (.*)\?\)$/, (m, [name]) => m.t("usage.didYouMean", { name: name! })],
  [/^error: missing required argument '(.*)'$/, (m, [name]) => m.t("usage.missingArgument", { name: name! })],
  [/^error: option '(.*)' argument missing$/, (m, [flags]) => m.t("usage.optionArgumentMissing", { flags: flags! })],
  [/^error: required option '(.*)' not specified$/, (m, [flags]) => m.t("usage.requiredOption", { flags: flags! })],
  [
    /^error: too many arguments(?: for '(.*)')?\. Expected (\d+) arguments? but got (\d+)\.$/,
    (m, [command, expected, got]) =>
      command !== undefined ? m.t("usage.tooMany.for", { command, expected: expected!, got: got! }) : m.t("usage.tooMany", { expected: expected!, got: got! }),
  ],
  [/^error: option '(.*)' argument '(.*)' is invalid\.$/, (m, [flags, value]) => m.t("usage.invalidValue", { flags: flags!, value: value! })],
];

/** One line of commander's usage errors in `m`'s language; a line it does not know stays as commander wrote it. */
export function usageLine(line: string, m: Messages): string {
  for (const [re, text] of USAGE_LINES) {
    const x = re.exec(line);
    if (x) return text(m, x.slice(1) as string[]);
  }
  return line;
}

export async function main(argv: string[]): Promise<number> {
  guardOutput(); // a closed stdout (`lookout status | head -1`) ends nothing: see output.ts
  const program = buildProgram({ argv });
  try {
    await program.parseAsync(argv);
    return exitCodeSet();
  } catch (err) {
    // --help and --version end here with code 0; usage errors were already printed.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    return failed(err);
  }
}
