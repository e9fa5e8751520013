/**
 * Request shapes of the federated-identity admin API, validated once at the edge with zod. The safety rules
 * (pinned ids, no rule that accepts every token, the issuer URL policy) are the domain's
 * (domain/federation-rules.ts): these only bound sizes and characters.
 */
import { z } from "zod";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../../config";
import { FEDERATION_PRESETS } from "../../domain/federation-rules";
import { MAX_SUBJECT_TOKEN_LENGTH } from "../../crypto/subject-token";

const conditionValue = z
  .string()
  .min(1)
  .max(256)
  .refine((v) => !/\p{Cc}/u.test(v), "printable characters only");
const claimName = z.string().regex(/^[A-Za-z0-9_:.-]{1,64}$/, "1-64 letters, digits, _ : . -");

export const createFederatedIdentitySchema = z.strictObject({
  preset: z.enum(FEDERATION_PRESETS).default("generic"),
  issuer: z.string().min(1).max(512).optional(),
  audience: conditionValue.optional(),
  subject: conditionValue.optional(),
  claims: z.record(claimName, conditionValue).default({}),
  max_token_lifetime: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
});

export const testSubjectTokenSchema = z.strictObject({
  subject_token: z.string().min(1).max(MAX_SUBJECT_TOKEN_LENGTH),
});
