/**
 * Cloudflare Access: verifies the `Cf-Access-Jwt-Assertion` header Access adds in front of the Worker
 * (RS256, issuer `https://<team>.cloudflareaccess.com`, audience = the application's AUD tag), and returns
 * the signed-in email. Keys come from the team's certs endpoint through jose's remote JWKS cache; the key
 * source is replaceable per team so tests can sign their own Access-style tokens without reaching Cloudflare.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from "jose";

export interface AccessSettings {
  /** The team name (`acme`) or its host (`acme.cloudflareaccess.com`). */
  teamDomain: string;
  audience: string;
}

const keySources = new Map<string, JWTVerifyGetKey>();

/** `https://<team>.cloudflareaccess.com`, whichever form the setting was given in. */
export function accessIssuer(teamDomain: string): string {
  const host = teamDomain.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  return `https://${host.includes(".") ? host : `${host}.cloudflareaccess.com`}`;
}

/** Replaces the key source for one team (tests; or a pinned JWKS). */
export function setAccessKeySource(teamDomain: string, source: JWTVerifyGetKey): void {
  keySources.set(accessIssuer(teamDomain), source);
}

function keySource(issuer: string): JWTVerifyGetKey {
  let source = keySources.get(issuer);
  if (!source) {
    source = createRemoteJWKSet(new URL(`${issuer}/cdn-cgi/access/certs`));
    keySources.set(issuer, source);
  }
  return source;
}

/** The verified, lower-cased email of the Access user; null for anything invalid. */
export async function verifyAccessJwt(token: string, settings: AccessSettings): Promise<string | null> {
  const issuer = accessIssuer(settings.teamDomain);
  try {
    const { payload } = await jwtVerify(token, keySource(issuer), {
      issuer,
      audience: settings.audience,
      algorithms: ["RS256", "ES256"],
      requiredClaims: ["exp", "email"],
    });
    return typeof payload.email === "string" && payload.email.includes("@") ? payload.email.toLowerCase() : null;
  } catch {
    return null;
  }
}
