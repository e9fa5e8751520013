/**
 * The world a CLI run sees: environment, output streams, fetch and clock. Injected so that tests and
 * e2e helpers run commands in-process (`runCli`) with their own environment and capture the output.
 */
import { hostname, homedir } from "node:os";
import type { FetchLike } from "../client/discovery.js";

/** What a command may touch outside its arguments. */
export interface Io {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
  fetch: FetchLike;
  /** Milliseconds since the epoch. */
  now(): number;
  hostname(): string;
  homedir(): string;
}

/** Default request timeout in milliseconds (`LATCHKEY_TIMEOUT` overrides, in seconds). */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Wraps fetch with a timeout so a silent server cannot hang the CLI. */
export function fetchWithTimeout(base: FetchLike, timeoutMs: number): FetchLike {
  return (input, init) => base(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** The real process's Io. */
export function processIo(env: Record<string, string | undefined> = process.env): Io {
  const seconds = Number(env.LATCHKEY_TIMEOUT);
  const timeoutMs = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_TIMEOUT_MS;
  return {
    env,
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    fetch: fetchWithTimeout((input, init) => fetch(input, init), timeoutMs),
    now: () => Date.now(),
    hostname: () => hostname(),
    homedir: () => homedir(),
  };
}
