/** Request shapes of the console's people endpoints (sign-in, first owner, invitations, members), validated at the edge. */
import { z } from "zod";
import { ROLES } from "../../domain/roles";

const email = z
  .email()
  .max(254)
  .transform((v) => v.toLowerCase());
const name = z.string().trim().min(1).max(100);
/** New passwords: at least 12 characters; 256 at most bounds the hashing work. */
const newPassword = z.string().min(12).max(256);
const linkToken = z.string().min(1).max(200);
const role = z.enum(ROLES);

export const loginSchema = z.strictObject({ email, password: z.string().min(1).max(256) });
export const setupOwnerSchema = z.strictObject({ token: linkToken, email, name, password: newPassword });
export const acceptInviteSchema = z.strictObject({ token: linkToken, name, password: newPassword });
/** The invitation link's token travels in a POST body, never a query string that request logs keep. */
export const invitationLookupSchema = z.strictObject({ token: linkToken });
export const createInvitationSchema = z.strictObject({ email, role });
export const patchMemberSchema = z.strictObject({ role });
