import { describe, expect, it } from "vitest";
import { exitCodeMeaning } from "../../../src/collect/docker/exit-codes.js";
import { messages } from "../../../src/i18n/messages.js";

describe("exit code meanings", () => {
  it("are the English they always were by default", () => {
    expect(exitCodeMeaning(0)).toBe("exited normally");
    expect(exitCodeMeaning(137)).toBe("killed (SIGKILL): out of memory, or stopped forcefully");
    expect(exitCodeMeaning(134)).toBe("killed by signal 6 (SIGABRT)");
    expect(exitCodeMeaning(133)).toBe("killed by signal 5");
    expect(exitCodeMeaning(42)).toBe("application error");
    expect(exitCodeMeaning(137, true)).toBe("killed by the kernel: out of memory");
  });

  it("are in Korean for a Korean message, signal names kept as they are", () => {
    const ko = messages("ko");
    expect(exitCodeMeaning(0, false, ko)).toBe("정상 종료");
    expect(exitCodeMeaning(1, false, ko)).toBe("애플리케이션 오류");
    expect(exitCodeMeaning(127, false, ko)).toBe("명령을 찾을 수 없음");
    expect(exitCodeMeaning(137, false, ko)).toBe("강제 종료(SIGKILL): 메모리 부족 또는 강제 중지");
    expect(exitCodeMeaning(143, false, ko)).toBe("종료 요청(SIGTERM)으로 종료");
    expect(exitCodeMeaning(134, false, ko)).toBe("시그널 6(SIGABRT)로 종료");
    expect(exitCodeMeaning(133, false, ko)).toBe("시그널 5로 종료");
    expect(exitCodeMeaning(137, true, ko)).toBe("커널이 강제 종료: 메모리 부족");
    for (const code of [0, 1, 2, 125, 126, 127, 137, 139, 143, 134, 42]) expect(exitCodeMeaning(code, false, ko)).not.toMatch(/killed|error|command|exited|signal/);
  });
});
