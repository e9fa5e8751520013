/**
 * A cross-process lock file: created with O_EXCL (`wx`), holding the owner's pid and start time.
 * Waiters poll; a lock is stale when its owner process is gone (same host) or it is older than
 * `staleMs`, and then it is broken. Good enough to keep concurrent `latchkey token` runs from minting
 * in parallel; it is not a general-purpose mutex (two waiters may break the same stale lock).
 */
import { open, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";

/** Lock timing. */
export interface LockOptions {
  /** A lock older than this is considered abandoned. Default 30 s. */
  staleMs?: number;
  /** Give up waiting after this long. Default 60 s. */
  timeoutMs?: number;
  /** Poll interval. Default 50 ms. */
  pollMs?: number;
}

/** Thrown when the lock could not be taken within `timeoutMs`. */
export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
}

/** Runs `fn` while holding the lock file at `path`. */
export async function withLock<T>(path: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  await acquire(path, options);
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

/** Takes the lock, waiting as long as `timeoutMs`. */
export async function acquire(path: string, options: LockOptions = {}): Promise<void> {
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const pollMs = options.pollMs ?? 50;
  for (;;) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await isStale(path, staleMs)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new LockTimeoutError(`Timed out waiting for lock ${path}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs + Math.random() * pollMs));
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const info = await stat(path);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    const owner = JSON.parse(await readFile(path, "utf8")) as { pid?: unknown; host?: unknown };
    return owner.host === hostname() && typeof owner.pid === "number" && !processAlive(owner.pid);
  } catch {
    // Vanished (released) or still being written: not stale, try again.
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
