/**
 * Finding what a leaked-secret report names, by keyed hash alone (the report carries no tenant): a client
 * secret by `secret_hash` (index `credential_secrets_hash`), with its credential, or a setup code by its
 * hash (the primary key). Several hashes are passed so hashes under a previous pepper are found too.
 */
import { eq, inArray } from "drizzle-orm";
import type { Db } from "./db";
import { credentials, credentialSecrets, setupCodes } from "./schema";

/** The secret rows whose hash is one of `hashes`, each with its credential. */
export function secretsByHash(db: Db, hashes: string[]) {
  return db
    .select({ secret: credentialSecrets, credential: credentials })
    .from(credentialSecrets)
    .innerJoin(credentials, eq(credentials.id, credentialSecrets.credentialId))
    .where(inArray(credentialSecrets.secretHash, hashes))
    .all();
}

/** The setup-code rows whose hash is one of `hashes`, each with its credential. */
export function setupCodesByHash(db: Db, hashes: string[]) {
  return db
    .select({ code: setupCodes, credential: credentials })
    .from(setupCodes)
    .innerJoin(credentials, eq(credentials.id, setupCodes.credentialId))
    .where(inArray(setupCodes.codeHash, hashes))
    .all();
}
