/**
 * The one structured logger: one JSON line per event, `{event, ...fields}`, to Workers Logs in production.
 * Fields are chosen by the caller and must never hold a secret, a setup code or a whole token (a jti, a
 * client_id or a hash prefix is enough). Tests swap the sink to read events instead of scraping stdout.
 */

export type LogLevel = "info" | "error";
export type LogFields = Record<string, unknown>;
export type LogSink = (level: LogLevel, line: string) => void;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

const consoleSink: LogSink = (level, line) => (level === "error" ? console.error(line) : console.log(line));
let sink: LogSink = consoleSink;

function emit(level: LogLevel, event: string, fields?: LogFields): void {
  sink(level, JSON.stringify(fields ? { event, ...fields } : { event }));
}

export const log: Logger = {
  info: (event, fields) => emit("info", event, fields),
  error: (event, fields) => emit("error", event, fields),
};

/** Replaces the sink (tests); without an argument restores the console. */
export function setLogSink(next: LogSink = consoleSink): void {
  sink = next;
}
