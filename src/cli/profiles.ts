/**
 * Profiles: one credential each, stored as `<config>/profiles/<name>.json` (0600). A profile holds the
 * issuer, token endpoint, client id, auth method and either the private JWK or the client secret; a person's
 * sign-in (`latchkey login`, auth method `device_login`) holds their refresh and access tokens instead.
 * `publicView` is the only shape that may be printed.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { JWK } from "jose";
import { CliError, ExitCode, usage } from "./errors.js";
import { ensurePrivateDir, readJson, writeJsonAtomic } from "./store.js";

/** A stored credential. */
export interface Profile {
  version: 1;
  name: string;
  issuer: string;
  token_endpoint: string;
  client_id: string;
  auth_method: "private_key_jwt" | "client_secret_basic" | "device_login";
  /** private_key_jwt: the private JWK, with `kid` (the server's key_id) and `alg`. */
  private_jwk?: JWK;
  /** client_secret_basic: the secret. */
  client_secret?: string;
  /** Attribution name, `svc:<label>`. */
  service?: string;
  /** device_login: the session's current refresh token (rotated on every use). */
  refresh_token?: string;
  /** device_login: the current access token and when it expires (ms since the epoch). */
  access_token?: string;
  access_expires_at?: number;
  /** device_login: who signed in (`user:<email>`) and their role, for status. */
  person?: string;
  role?: string;
  created_at: string;
}

/** The default profile name. */
export const DEFAULT_PROFILE = "default";

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Checks a profile name (it becomes a file name). */
export function checkProfileName(name: string): string {
  if (!NAME.test(name))
    throw usage(`Invalid profile name "${name.slice(0, 64)}": use letters, digits, '.', '_' or '-'.`);
  return name;
}

/** The profile chosen by --profile, else `LATCHKEY_PROFILE`, else "default". */
export function chooseProfile(flag: string | undefined, env: Record<string, string | undefined>): string {
  return checkProfileName(flag ?? env.LATCHKEY_PROFILE ?? DEFAULT_PROFILE);
}

/** Path of a profile file. */
export function profilePath(dir: string, name: string): string {
  return join(dir, "profiles", `${name}.json`);
}

/** Saves a profile atomically (directories 0700, file 0600). */
export async function saveProfile(dir: string, profile: Profile): Promise<string> {
  await ensurePrivateDir(dir);
  await ensurePrivateDir(join(dir, "profiles"));
  const path = profilePath(dir, profile.name);
  await writeJsonAtomic(path, profile);
  return path;
}

/** Loads a profile, or undefined if there is none by that name. */
export async function loadProfile(dir: string, name: string): Promise<Profile | undefined> {
  const data = await readJson(profilePath(dir, name));
  if (data === undefined) return undefined;
  const p = data as Partial<Profile>;
  const valid =
    typeof p.issuer === "string" &&
    typeof p.token_endpoint === "string" &&
    typeof p.client_id === "string" &&
    ((p.auth_method === "private_key_jwt" && typeof p.private_jwk === "object") ||
      (p.auth_method === "client_secret_basic" && typeof p.client_secret === "string") ||
      (p.auth_method === "device_login" && typeof p.refresh_token === "string"));
  if (!valid) throw new CliError(ExitCode.error, `Profile "${name}" is damaged; run \`latchkey setup\` again.`);
  return { ...(p as Profile), name };
}

/** Loads a profile or fails with a hint to run setup. */
export async function requireProfile(dir: string, name: string): Promise<Profile> {
  const profile = await loadProfile(dir, name);
  if (!profile) {
    throw new CliError(
      ExitCode.error,
      `No profile "${name}". Run \`latchkey setup <server> <code> --profile ${name}\` first.`,
    );
  }
  return profile;
}

/** Names of all stored profiles, sorted. */
export async function listProfiles(dir: string): Promise<string[]> {
  try {
    const files = await readdir(join(dir, "profiles"));
    return files
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -5))
      .filter((n) => NAME.test(n))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** Deletes a profile file; returns false if it did not exist. */
export async function deleteProfile(dir: string, name: string): Promise<boolean> {
  try {
    await rm(profilePath(dir, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** What may be shown of a profile: no secret, no private key. */
export function publicView(profile: Profile): Record<string, string> {
  return {
    profile: profile.name,
    issuer: profile.issuer,
    client_id: profile.client_id,
    auth_method: profile.auth_method,
    ...(profile.service ? { service: profile.service } : {}),
    ...(profile.person ? { person: profile.person } : {}),
    ...(profile.role ? { role: profile.role } : {}),
    ...(profile.private_jwk?.kid ? { key_id: profile.private_jwk.kid } : {}),
  };
}
