/**
 * The CLI's entry, called by the installed command (bin/lookout.cjs, which
 * answers `lookout --version` itself, before loading this). A plain `lookout
 * check` (fast-path.ts) runs at once; everything else goes to program.ts
 * (commander and the commands' definitions; each command loads its own code
 * when it runs).
 */
import { VERSION } from "../version.js";
import { plainCheck } from "./fast-path.js";
import { guardOutput } from "./output.js";

export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    guardOutput();
    // As commander prints it.
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const check = plainCheck(args);
  if (check) {
    // No guardOutput: check writes its report at once (writeAllNow), and stderr only for a problem.
    const { checkWith } = await import("./actions/check.js");
    const { exitCodeSet, failed } = await import("./failure.js");
    try {
      await checkWith(check);
      return exitCodeSet();
    } catch (err) {
      guardOutput(); // a closed stderr ends nothing either
      return failed(err);
    }
  }
  const program = await import("./program.js");
  return program.main(argv);
}
