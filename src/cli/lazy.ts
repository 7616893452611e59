/**
 * A command's action, loaded when the command runs. The definitions (name,
 * options, help) cost nothing to load, so `lookout --version` and `--help` load
 * commander and little else; each command's code, and what it needs (the config
 * schema, YAML, SQLite, the receivers, the Docker client), is imported only by
 * the command that runs it.
 */
// biome-ignore lint/suspicious/noExplicitAny: commander hands an action any arguments
export function lazyAction<A extends any[]>(load: () => Promise<(...args: A) => unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const action = await load();
    await action(...args);
  };
}
