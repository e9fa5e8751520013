/** Request shapes of tenant creation, sign-up, switching and owner-link claims (docs/realms.md), validated at the edge. */
import { z } from "zod";
import { isValidTenantSlug, slugFromName } from "../../domain/realms";

const tenantName = z.string().trim().min(1).max(100);
const tenantId = z.string().refine(isValidTenantSlug, "3-32 of a-z, 0-9 and inner single hyphens; not a reserved name");

/** `{name, id?}`: without an id, the slug of the name, which must then be valid itself. */
export const createTenantSchema = z
  .strictObject({ name: tenantName, id: tenantId.optional() })
  .transform((v) => ({ name: v.name, id: v.id ?? slugFromName(v.name) }))
  .refine((v) => isValidTenantSlug(v.id), { path: ["id"], message: "the name gives no valid id: send one" });

const email = z
  .email()
  .max(254)
  .transform((v) => v.toLowerCase());

/** Sign-up: the tenant, and (unless signed in already) the owner's account. */
export const signUpSchema = z
  .strictObject({
    tenant_name: tenantName,
    tenant_id: tenantId.optional(),
    email: email.optional(),
    name: z.string().trim().min(1).max(100).optional(),
    password: z.string().min(12).max(256).optional(),
  })
  .transform((v) => ({ ...v, tenant_id: v.tenant_id ?? slugFromName(v.tenant_name) }))
  .refine((v) => isValidTenantSlug(v.tenant_id), {
    path: ["tenant_id"],
    message: "the name gives no valid id: send one",
  });

export const switchTenantSchema = z.strictObject({ tenant: z.string().min(1).max(64) });
export const claimOwnerLinkSchema = z.strictObject({ token: z.string().min(1).max(200) });
