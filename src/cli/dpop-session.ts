/**
 * What `latchkey proof` and `latchkey curl` share: the profile's DPoP key and a DPoP-bound token for it
 * (cached like `latchkey token --dpop`), from the same --profile/--scope/--resource options.
 */
import type { DpopKey } from "../client/dpop.js";
import { mintForCredential } from "./commands/token.js";
import { resolveCredential } from "./credentials.js";
import { dpopKeyFor } from "./dpop-key.js";
import type { Io } from "./io.js";
import { chooseProfile } from "./profiles.js";
import { configDir } from "./store.js";
import type { CachedToken } from "./token-cache.js";

/** The token-selection options of the DPoP commands. */
export const SESSION_OPTIONS = {
  profile: { type: "string" },
  scope: { type: "string" },
  resource: { type: "string" },
} as const;

/** A DPoP key, and a way to get the token bound to it. */
export interface DpopSession {
  key: DpopKey;
  token(): Promise<CachedToken>;
}

/** Opens the DPoP session of the chosen profile (or environment credential). */
export async function dpopSession(
  values: { profile?: string; scope?: string; resource?: string },
  io: Io,
): Promise<DpopSession> {
  const dir = configDir(io.env, io.homedir());
  const credential = await resolveCredential(io.env, dir, chooseProfile(values.profile, io.env));
  const key = await dpopKeyFor(dir, credential);
  const scope = values.scope ?? io.env.LATCHKEY_SCOPE;
  const resource = values.resource ?? io.env.LATCHKEY_RESOURCE;
  return {
    key,
    token: () =>
      mintForCredential(credential, dir, io, {
        ...(scope ? { scope } : {}),
        ...(resource ? { resource } : {}),
        dpop: key,
      }),
  };
}
