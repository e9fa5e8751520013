/**
 * getConfig (src/config.ts) and its promise to fail loudly: every var and secret with a bad value throws an
 * error naming the field, the defaults apply when a var is unset, the previous secrets and the optional
 * features are optional, and the parse is cached by value (a fresh env object with the same values reuses it).
 */
import { describe, expect, it } from "vitest";
import { getConfig, type Env } from "../../src/config";

const KEY_A = "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA";
const KEY_B = "dGVzdC1rZWstdGVzdC1rZWstdGVzdC1rZWstdGVzdC0";
let unique = 0;

/** Vars and secrets only: getConfig reads no binding. Each env gets its own issuer so no cache is shared. */
function envWith(overrides: Record<string, string | undefined> = {}): Env {
  unique += 1;
  const vars: Record<string, string | undefined> = {
    ISSUER: `https://config-${unique}.latchkey.test`,
    TOKEN_LIFETIME_SECONDS: "900",
    SIGNING_ALG: "EdDSA",
    SIGNING_KEY_ROTATION_DAYS: "7",
    SECRET_PEPPER: KEY_A,
    KEY_ENCRYPTION_KEY: KEY_B,
    ...overrides,
  };
  return vars as unknown as Env;
}

/** The message getConfig throws for `env`. */
function failureOf(env: Env): string {
  try {
    getConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("getConfig accepted a bad env");
}

describe("getConfig: values and defaults", () => {
  it("parses every var into its typed field", () => {
    const env = envWith({
      SECRET_PEPPER_PREVIOUS: KEY_B,
      KEY_ENCRYPTION_KEY_PREVIOUS: KEY_A,
      BOOTSTRAP_TOKEN: "b".repeat(32),
      ACCESS_TEAM_DOMAIN: "acme",
      ACCESS_AUD: "aud-tag",
      DPOP_NONCES: "on",
    });
    expect(getConfig(env)).toEqual({
      issuer: env.ISSUER,
      tokenLifetimeSeconds: 900,
      signingAlg: "EdDSA",
      signingKeyRotationDays: 7,
      secretPepper: KEY_A,
      keyEncryptionKey: KEY_B,
      secretPepperPrevious: KEY_B,
      keyEncryptionKeyPrevious: KEY_A,
      bootstrapToken: "b".repeat(32),
      access: { teamDomain: "acme", audience: "aud-tag" },
      webhookTimeoutSeconds: 10,
      secretScanningKeysUrl: "https://api.github.com/meta/public_keys/secret_scanning",
      dpopNonces: true,
      signupEnabled: false,
    });
  });

  it("defaults the lifetime to 3600 s, the algorithm to ES256, the rotation to 30 days and DPoP nonces off", () => {
    const config = getConfig(
      envWith({ TOKEN_LIFETIME_SECONDS: undefined, SIGNING_ALG: undefined, SIGNING_KEY_ROTATION_DAYS: undefined }),
    );
    expect(config).toMatchObject({
      tokenLifetimeSeconds: 3600,
      signingAlg: "ES256",
      signingKeyRotationDays: 30,
      dpopNonces: false,
    });
  });

  it("treats the previous secrets, the bootstrap token and Access as optional; empty means unset", () => {
    const config = getConfig(
      envWith({ SECRET_PEPPER_PREVIOUS: "", KEY_ENCRYPTION_KEY_PREVIOUS: "", BOOTSTRAP_TOKEN: "" }),
    );
    expect(config.secretPepperPrevious).toBeUndefined();
    expect(config.keyEncryptionKeyPrevious).toBeUndefined();
    expect(config.bootstrapToken).toBeUndefined();
    expect(config.access).toBeUndefined();
  });

  it("enables Access only with both the team domain and the AUD tag", () => {
    expect(getConfig(envWith({ ACCESS_TEAM_DOMAIN: "acme" })).access).toBeUndefined();
    expect(getConfig(envWith({ ACCESS_AUD: "aud-tag" })).access).toBeUndefined();
    expect(
      getConfig(envWith({ ACCESS_TEAM_DOMAIN: "https://acme.cloudflareaccess.com/", ACCESS_AUD: "t" })).access,
    ).toEqual({ teamDomain: "https://acme.cloudflareaccess.com/", audience: "t" });
  });

  it("accepts the bounds: 60 s and 24 h lifetimes, 1 and 365 rotation days, every signing algorithm", () => {
    for (const lifetime of ["60", "86400"])
      expect(getConfig(envWith({ TOKEN_LIFETIME_SECONDS: lifetime })).tokenLifetimeSeconds).toBe(Number(lifetime));
    for (const days of ["1", "365"])
      expect(getConfig(envWith({ SIGNING_KEY_ROTATION_DAYS: days })).signingKeyRotationDays).toBe(Number(days));
    for (const alg of ["ES256", "EdDSA", "RS256"])
      expect(getConfig(envWith({ SIGNING_ALG: alg })).signingAlg).toBe(alg);
    expect(getConfig(envWith({ ISSUER: "http://localhost:8787" })).issuer).toBe("http://localhost:8787");
  });
});

describe("getConfig fails loudly, naming the field", () => {
  it.each([
    ["ISSUER", undefined, "issuer"],
    ["ISSUER", "not a url", "issuer"],
    ["ISSUER", "ftp://latchkey.test", "issuer"],
    ["ISSUER", "https://latchkey.test/", "issuer"],
    ["ISSUER", "https://latchkey.test?x=1", "issuer"],
    ["ISSUER", "https://latchkey.test#f", "issuer"],
    ["TOKEN_LIFETIME_SECONDS", "59", "tokenLifetimeSeconds"],
    ["TOKEN_LIFETIME_SECONDS", "86401", "tokenLifetimeSeconds"],
    ["TOKEN_LIFETIME_SECONDS", "90.5", "tokenLifetimeSeconds"],
    ["TOKEN_LIFETIME_SECONDS", "an hour", "tokenLifetimeSeconds"],
    ["SIGNING_ALG", "HS256", "signingAlg"],
    ["SIGNING_ALG", "es256", "signingAlg"],
    ["SIGNING_KEY_ROTATION_DAYS", "0", "signingKeyRotationDays"],
    ["SIGNING_KEY_ROTATION_DAYS", "366", "signingKeyRotationDays"],
    ["SECRET_PEPPER", undefined, "secretPepper"],
    ["SECRET_PEPPER", "too-short", "secretPepper"],
    ["SECRET_PEPPER", `${KEY_A}A`, "secretPepper"],
    ["SECRET_PEPPER", `${KEY_A.slice(0, 42)}+`, "secretPepper"],
    ["KEY_ENCRYPTION_KEY", undefined, "keyEncryptionKey"],
    ["KEY_ENCRYPTION_KEY", "x".repeat(44), "keyEncryptionKey"],
    ["SECRET_PEPPER_PREVIOUS", "short", "secretPepperPrevious"],
    ["KEY_ENCRYPTION_KEY_PREVIOUS", "short", "keyEncryptionKeyPrevious"],
    ["BOOTSTRAP_TOKEN", "b".repeat(31), "bootstrapToken"],
    ["ACCESS_TEAM_DOMAIN", "acme/../evil?", "access.teamDomain"],
    ["DPOP_NONCES", "yes", "dpopNonces"],
  ])("%s = %j throws for %s", (name, value, field) => {
    const env = envWith({ [name]: value, ...(name === "ACCESS_TEAM_DOMAIN" ? { ACCESS_AUD: "aud" } : {}) });
    expect(() => getConfig(env)).toThrow(/^Latchkey is misconfigured: /);
    expect(() => getConfig(env)).toThrow(new RegExp(`(misconfigured: |; )${field.replace(".", "\\.")}: `));
  });

  it("names every bad field at once", () => {
    const env = envWith({ TOKEN_LIFETIME_SECONDS: "1", SIGNING_ALG: "none", KEY_ENCRYPTION_KEY: "" });
    const message = failureOf(env);
    for (const field of ["tokenLifetimeSeconds", "signingAlg", "keyEncryptionKey"])
      expect(message).toContain(`${field}: `);
  });

  it("never puts a secret's value in the error", () => {
    const leaked = "lks-leaked-value-not-a-key";
    const message = failureOf(envWith({ SECRET_PEPPER: leaked, BOOTSTRAP_TOKEN: "short-token" }));
    expect(message).toContain("secretPepper: ");
    expect(message).toContain("bootstrapToken: ");
    expect(message).not.toContain(leaked);
    expect(message).not.toContain("short-token");
  });
});

describe("getConfig caches by value", () => {
  it("returns the same parse for the same env object and for a fresh object with the same values", () => {
    const env = envWith();
    const config = getConfig(env);
    expect(getConfig(env)).toBe(config);
    expect(getConfig({ ...env } as Env)).toBe(config);
  });

  it("parses afresh when any value changes, and a bad value is not hidden by an earlier good parse", () => {
    const env = envWith();
    const config = getConfig(env);
    const longer = getConfig({ ...env, TOKEN_LIFETIME_SECONDS: "1200" } as Env);
    expect(longer).not.toBe(config);
    expect(longer.tokenLifetimeSeconds).toBe(1200);
    expect(() => getConfig({ ...env, SIGNING_ALG: "none" } as Env)).toThrow(/signingAlg/);
    expect(getConfig({ ...env, SECRET_PEPPER_PREVIOUS: KEY_B } as Env).secretPepperPrevious).toBe(KEY_B);
  });
});
