/**
 * src/log.ts: the line it writes is exactly JSON.stringify({event, ...fields}) (operators parse these), each
 * event goes out at its catalogued level, and the sink can be swapped and restored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LOG_EVENTS, log, setLogSink, type LogLevel } from "../../src/log";

function capture() {
  const lines: { level: LogLevel; line: string }[] = [];
  setLogSink((level, line) => lines.push({ level, line }));
  return lines;
}

afterEach(() => setLogSink());

describe("log", () => {
  it("writes the same bytes as stringifying {event, ...fields}", () => {
    const lines = capture();
    const fields = { actor: 'svc:a "quoted"', n: 3, nested: { x: [1, null] }, skipped: undefined, none: null };
    log.info("token_minted", fields);
    log.error("unhandled_error", {});
    log.info("maintenance");
    log.info("oauth_error", { skipped: undefined });
    expect(lines.map((l) => l.line)).toEqual([
      JSON.stringify({ event: "token_minted", ...fields }),
      JSON.stringify({ event: "unhandled_error" }),
      JSON.stringify({ event: "maintenance" }),
      JSON.stringify({ event: "oauth_error" }),
    ]);
    expect(lines.map((l) => l.level)).toEqual(["info", "error", "info", "info"]);
  });

  it("catalogues event names as plain identifiers, so they need no escaping", () => {
    for (const [event, level] of Object.entries(LOG_EVENTS)) {
      expect(event).toMatch(/^[a-z][a-z_]*$/);
      expect(["info", "error"]).toContain(level);
    }
  });
});
