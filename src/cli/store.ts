/**
 * Files under the config directory: `$LATCHKEY_CONFIG_DIR`, else `$XDG_CONFIG_HOME/latchkey`, else
 * `~/.config/latchkey`. Directories are 0700 and files 0600; every write goes to a temp file in the same
 * directory and is renamed over the target, so readers never see a half-written file.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Resolves the config directory from the environment. */
export function configDir(env: Record<string, string | undefined>, home: string): string {
  if (env.LATCHKEY_CONFIG_DIR) return env.LATCHKEY_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, "latchkey");
  return join(home, ".config", "latchkey");
}

/** Creates a directory (and parents) with mode 0700, and tightens it if it already existed. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes `data` as JSON to `path` atomically with mode 0600 (temp file + rename). */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Reads a JSON file; returns undefined when it does not exist or does not parse. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
