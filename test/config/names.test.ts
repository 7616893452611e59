/** config/names.ts repeats, without zod, what the schema defines: the two must agree. */
import { describe, expect, it } from "vitest";
import { CONTAINER_RULE_NAMES } from "../../src/config/names.js";
import { configSchema, containerRuleSchemas, RECEIVER_LISTS } from "../../src/config/schema.js";

describe("config/names.ts", () => {
  it("lists the container rules of the schema, in its order", () => {
    expect([...CONTAINER_RULE_NAMES]).toEqual(Object.keys(containerRuleSchemas));
  });

  it("lists every receiver list the schema has under notify", () => {
    const notify = configSchema.parse({}).notify as unknown as Record<string, unknown>;
    const lists = Object.keys(notify).filter((k) => Array.isArray(notify[k]) && k !== "routes");
    expect(Object.values(RECEIVER_LISTS).sort()).toEqual(lists.sort());
  });
});
