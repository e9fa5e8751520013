/** The one table of JOSE algorithm facts Latchkey relies on: how to generate each key type, and how to sign with it. */

export type SigningAlg = "ES256" | "EdDSA" | "RS256";

export const KEY_GENERATION: Record<SigningAlg, { crv?: string; modulusLength?: number }> = {
  ES256: {},
  EdDSA: { crv: "Ed25519" },
  RS256: { modulusLength: 2048 },
};

/** RFC 7518 section 3 / RFC 8037: the WebCrypto parameters that produce each algorithm's JWS signature. */
export const SIGN_PARAMS: Record<SigningAlg, { name: string; hash?: string }> = {
  ES256: { name: "ECDSA", hash: "SHA-256" },
  EdDSA: { name: "Ed25519" },
  RS256: { name: "RSASSA-PKCS1-v1_5" },
};
