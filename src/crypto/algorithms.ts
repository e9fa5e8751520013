/** The one table of JOSE algorithm facts Latchkey relies on: how to generate each key type. */

export type SigningAlg = "ES256" | "EdDSA" | "RS256";

export const KEY_GENERATION: Record<SigningAlg, { crv?: string; modulusLength?: number }> = {
  ES256: {},
  EdDSA: { crv: "Ed25519" },
  RS256: { modulusLength: 2048 },
};
