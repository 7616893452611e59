import { describe, expect, it } from "vitest";
import { catalogue, formatDurationIn, formatLocalTime, LOCALES, messages, placeholdersOf } from "../../src/i18n/messages.js";

const en = catalogue("en");

describe("the message catalogues", () => {
  it("makes each catalogue once, when first asked for, and gives the same one after", () => {
    const ko = catalogue("ko");
    expect(catalogue("ko")).toBe(ko);
    expect(ko["severity.critical"]).toBe("심각");
    expect(messages("ko").t("severity.critical")).toBe("심각");
    expect(catalogue("en")).toBe(en);
  });

  for (const locale of LOCALES) {
    it(`${locale} has every key of en and no other`, () => {
      const keys = Object.keys(catalogue(locale)).sort();
      expect(
        keys.filter((k) => !(k in en)),
        "keys en does not have",
      ).toEqual([]);
      expect(
        Object.keys(en).filter((k) => !(k in catalogue(locale))),
        "keys missing",
      ).toEqual([]);
    });

    it(`${locale} has the same placeholders as en in every text`, () => {
      const differ = Object.entries(en)
        .filter(([key, text]) => {
          const other = (catalogue(locale) as Record<string, string>)[key];
          return other === undefined || placeholdersOf(other).join() !== placeholdersOf(text).join();
        })
        .map(([key]) => key);
      expect(differ).toEqual([]);
    });

    it(`${locale} leaves no text empty`, () => {
      expect(Object.entries(catalogue(locale)).filter(([, text]) => text.trim() === "" && text !== ", " && text !== "; ")).toEqual([]);
    });
  }

  it("every plural has its one and its other", () => {
    const bases = (suffix: string) =>
      Object.keys(en)
        .filter((k) => k.endsWith(suffix))
        .map((k) => k.slice(0, -suffix.length))
        .sort();
    expect(bases(".one")).toEqual(bases(".other"));
  });
});

describe("messages", () => {
  it("fills placeholders, and leaves one without a value as written", () => {
    expect(messages("en").t("title.held", { duration: "3m" })).toBe(" for 3m");
    expect(messages("ko").t("crashed.display", { name: "web" })).toBe("web 컨테이너 비정상 종료");
    expect(messages("ko").t("crashed.display")).toBe("{name} 컨테이너 비정상 종료");
  });

  it("writes durations in each language", () => {
    expect(formatDurationIn("en", 80 * 60_000)).toBe("1h 20m");
    expect(formatDurationIn("ko", 80 * 60_000)).toBe("1시간 20분");
    expect(formatDurationIn("ko", 5 * 60_000)).toBe("5분");
    expect(formatDurationIn("ko", 2 * 86_400_000 + 4 * 3_600_000 + 5000)).toBe("2일 4시간");
    expect(formatDurationIn("ko", 30_000)).toBe("30초");
  });

  it("writes times in the host's zone, named, in Korean; in UTC ISO in English", () => {
    const at = Date.UTC(2026, 11, 1, 6, 4, 30);
    expect(formatLocalTime(at, "Asia/Seoul")).toBe("2026-12-01 15:04 KST");
    expect(formatLocalTime(at, "UTC")).toBe("2026-12-01 06:04 UTC");
    expect(messages("ko", { timeZone: "Asia/Seoul" }).time(at)).toBe("2026-12-01 15:04 KST");
    expect(messages("en").time(at)).toBe("2026-12-01T06:04:30Z");
    expect(messages("ko").time(Number.NaN)).toBe("알 수 없음");
  });

  it("writes values per core in each language", () => {
    expect(messages("en").value(2.534, "per_core")).toBe("2.53 per core");
    expect(messages("ko").value(2.534, "per_core")).toBe("코어당 2.53");
    expect(messages("ko").threshold(2, "per_core")).toBe("코어당 2");
    expect(messages("ko").value(97.24, "%")).toBe("97.2%");
  });
});
