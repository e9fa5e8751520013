/**
 * Request shapes of a credential's guardrails (docs/guardrails.md), for create and PATCH: an allow-list of CIDR
 * ranges, each validated and normalised here (a bad range is a 400 naming its position, never echoing it), and
 * mint quotas per hour and per day. `null` removes a guardrail. The wire uses snake_case; services get the
 * domain shapes.
 */
import { z } from "zod";
import { parseCidr, formatCidr } from "../../domain/cidr";
import { MAX_ALLOWED_CIDRS, MAX_QUOTA, type NetworkPolicy, type QuotaPolicy } from "../../domain/guardrails";

const mode = z.enum(["enforce", "monitor"]);

const cidr = z
  .string()
  .max(64)
  .refine(
    (v) => parseCidr(v) !== null,
    "not a CIDR range: an IPv4 (a.b.c.d/n) or IPv6 (x:x::/n) address with a prefix length",
  )
  .transform((v) => formatCidr(parseCidr(v) as NonNullable<ReturnType<typeof parseCidr>>));

export const networkSchema = z
  .strictObject({ cidrs: z.array(cidr).min(1).max(MAX_ALLOWED_CIDRS), mode: mode.default("enforce") })
  .transform((n): NetworkPolicy => ({ cidrs: [...new Set(n.cidrs)], mode: n.mode }));

const quotaValue = z.number().int().min(1).max(MAX_QUOTA);

export const quotaSchema = z
  .strictObject({
    per_hour: quotaValue.nullable().optional(),
    per_day: quotaValue.nullable().optional(),
    mode: mode.default("enforce"),
  })
  .refine((q) => (q.per_hour ?? null) !== null || (q.per_day ?? null) !== null, "set per_hour, per_day or both")
  .transform((q): QuotaPolicy => ({ perHour: q.per_hour ?? null, perDay: q.per_day ?? null, mode: q.mode }));

/** The guardrail fields create and PATCH accept: a policy, or null to remove it. */
export const guardrailFields = {
  network: networkSchema.nullable().optional(),
  quota: quotaSchema.nullable().optional(),
};
