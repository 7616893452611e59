/**
 * The dashboard follows the agent's `locale`: index.html's `<html lang>` and
 * /api/v1/status's `locale` say it, and the page's catalogue (page/i18n.js)
 * has every key in every language with the same placeholders.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CPU_ONLY, type Rig, startRig } from "./rig.js";

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe("the dashboard's language", () => {
  it("is the agent's locale, in <html lang> and in /api/v1/status", async () => {
    rig = await startRig({ yaml: `locale: ko\n${CPU_ONLY}` });
    const page = await rig.request("GET", "/");
    expect(page.status).toBe(200);
    expect(page.text).toContain('<html lang="ko">');
    expect((await rig.request("GET", "/api/v1/status")).json).toMatchObject({ hostname: "web-1", locale: "ko" });
  });

  it("is English by default", async () => {
    rig = await startRig();
    expect((await rig.request("GET", "/")).text).toContain('<html lang="en">');
    expect((await rig.request("GET", "/api/v1/status")).json).toMatchObject({ locale: "en" });
  });
});

describe("the page's catalogue", () => {
  const placeholders = (text: string) => [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort().join();

  it("has every key of en in every language, with the same placeholders", async () => {
    const page = "../../src/http/page/i18n.js";
    const { CATALOGUES } = (await import(page)) as { CATALOGUES: Record<string, Record<string, string>> };
    const en = CATALOGUES.en!;
    expect(Object.keys(CATALOGUES).sort()).toEqual(["en", "ko"]);
    for (const [lang, catalogue] of Object.entries(CATALOGUES)) {
      expect(
        Object.keys(en).filter((k) => !(k in catalogue)),
        `${lang}: keys missing`,
      ).toEqual([]);
      expect(
        Object.keys(catalogue).filter((k) => !(k in en)),
        `${lang}: keys en does not have`,
      ).toEqual([]);
      expect(
        Object.keys(en).filter((k) => placeholders(en[k]!) !== placeholders(catalogue[k] ?? "")),
        `${lang}: placeholders differ`,
      ).toEqual([]);
    }
  });
});
