/**
 * The layers of src/, bottom up (docs/architecture.md): a module imports only
 * its own layer and the layers below it, and no import closes a cycle between
 * files. Every folder is a layer of its own, so no cycle can run between
 * folders either. `npm run lint` checks it.
 */
const LAYERS = [
  ["foundations", "^src/((errors|units|escape|glob|version|log|secrets|cron|label-matchers)\\.ts$|i18n/)"],
  ["config", "^src/config/"],
  ["model", "^src/model/"],
  ["collect", "^src/collect/"],
  ["evaluate", "^src/evaluate/"],
  ["alert", "^src/alert/"],
  ["silence", "^src/silence/"],
  ["notify", "^src/notify/"],
  ["pipeline", "^src/pipeline/"],
  ["store", "^src/store/"],
  ["wiring", "^src/(agent|runner)\\.ts$"],
  ["http", "^src/http/"],
  ["export", "^src/export/"],
  ["interfaces", "^src/cli/"],
];

const upward = [];
LAYERS.forEach(([name, path], i) => {
  const above = LAYERS.slice(i + 1);
  if (above.length === 0) return;
  upward.push({
    name: `no-import-up-from-${name.replace(/\W+/g, "-")}`,
    comment: `${name} may import only itself and the layers below it; ${above.map(([n]) => n).join(", ")} are above`,
    severity: "error",
    from: { path },
    to: { path: above.map(([, p]) => `(${p})`).join("|") },
  });
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle between files ties them into one: break it by moving the shared piece down a layer",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
