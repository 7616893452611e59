/**
 * The CLI's help in the process's language. No config is read for `--help`, so
 * the language is LOOKOUT_LOCALE's (`processMessages()`). Each command's texts
 * are catalogue texts (`help.*`), English as it always read; what commander
 * writes itself (its titles, "display help for command", "(default: …)") is
 * said here. A language other than English also gets Hangul and CJK counted as
 * two columns when commander wraps (`textWidth`), so a Korean line fits the
 * terminal as an English one does. English keeps commander's own help
 * untouched: people's scripts and tests compare it.
 */
import { type Argument, type Command, Help, type HelpConfiguration, type Option } from "commander";
import type { MessageKey, Messages } from "../i18n/messages.js";
import { textWidth } from "./table.js";

/** `\nExamples:\n  LINE\n…`: the examples after a command's help. `title`: "Example:" or "Examples:", as the command has always said it. */
export function examplesText(m: Messages, title: "help.example" | "help.examples", lines: readonly string[]): string {
  return `\n${m.t(title)}\n${lines.map((l) => `  ${l}\n`).join("")}`;
}

/** The titles commander writes, and their catalogue texts. */
const TITLES: Readonly<Record<string, MessageKey>> = {
  "Usage:": "help.title.usage",
  "Options:": "help.title.options",
  "Commands:": "help.title.commands",
  "Arguments:": "help.title.arguments",
  "Global Options:": "help.title.globalOptions",
};

/**
 * `cmd` and every command under it say commander's own words in `m`'s language:
 * the help option's and help command's descriptions (in English, commander's
 * own words again), and in another language the titles, the defaults and the
 * width of wide characters. Call it once the commands are added.
 */
export function speakHelp(cmd: Command, m: Messages): void {
  cmd.helpOption("-h, --help", m.t("help.help"));
  // Only where commander shows one already: a command with subcommands (a leaf would gain a "help" command).
  if (cmd.commands.length > 0) cmd.helpCommand("help [command]", m.t("help.help"));
  if (m.locale !== "en") cmd.configureHelp({ ...cmd.configureHelp(), ...localHelp(m) });
  for (const sub of cmd.commands) speakHelp(sub, m);
}

/** What commander's Help does differently in `m`'s language. */
function localHelp(m: Messages): HelpConfiguration {
  const withDefault = (text: string) => text.replace(/\(default: (.*)\)$/, (_all, value: string) => m.t("help.default", { value }));
  return {
    styleTitle: (title: string) => {
      const key = TITLES[title];
      return key ? m.t(key) : title;
    },
    displayWidth: (text: string) => textWidth(text),
    optionDescription(this: Help, option: Option): string {
      return withDefault(Help.prototype.optionDescription.call(this, option));
    },
    argumentDescription(this: Help, argument: Argument): string {
      return withDefault(Help.prototype.argumentDescription.call(this, argument));
    },
  };
}
