/**
 * Test helper for DPoP (RFC 9449): a proof key and proofs signed with it, valid by default, every header
 * member and claim overridable (undefined removes it), so each section 4.3 check can be broken alone.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

export interface ProofKey {
  alg: "ES256" | "EdDSA";
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  jkt: string;
}

export async function newProofKey(alg: "ES256" | "EdDSA" = "ES256"): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  return { alg, privateKey, publicJwk, privateJwk, jkt: await calculateJwkThumbprint(publicJwk, "sha256") };
}

export interface ProofOptions {
  htm?: string;
  htu?: string;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  nowS?: number;
  signWith?: CryptoKey;
}

/** A DPoP proof for `htm htu` (POST to the token endpoint unless told), with overrides. */
export async function proof(key: ProofKey, htu: string, opts: ProofOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: opts.htm ?? "POST",
    htu,
    iat: opts.nowS ?? Math.floor(Date.now() / 1000),
    ...opts.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const header: Record<string, unknown> = { typ: "dpop+jwt", alg: key.alg, jwk: key.publicJwk, ...opts.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(opts.signWith ?? key.privateKey);
}
