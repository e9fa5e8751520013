/**
 * The first-owner link opened by someone signed in already (docs/realms.md): rather than a second account,
 * they claim the tenant as themselves (POST /api/v1/auth/claim-owner), and the server moves their session to
 * it; or they sign out and create a new person with the link. Each refusal is said in words.
 */
import { h, replace } from "../dom.js";
import { ApiError, get, post } from "../api.js";
import { button, errorBox, notice } from "../ui.js";
import { statusRegion } from "../forms.js";
import { enterTenant, sessionRefusal, signOutButton } from "./auth-shared.js";

function refusal(err) {
  if (!(err instanceof ApiError)) return errorBox(err);
  if (err.code === "invalid_setup_token")
    return notice(
      "danger",
      "This setup link is invalid, expired or already used. Ask whoever sent it for a fresh one (",
      h("code", {}, "npm run tenant"),
      " and the operator API make one per tenant).",
    );
  if (err.code === "owner_exists")
    return notice("warn", "This tenant already has an owner. Ask them to invite you instead.");
  return sessionRefusal(err) ?? errorBox(err);
}

/** The card for a signed-in `me` holding first-owner link `token`. */
export function claimOwnerCard(ctx, token, me) {
  const status = statusRegion("form-status");
  const claim = button(`Become the owner of this tenant as ${me.user.email}`, null, { kind: "primary" });
  const signOut = signOutButton("Sign out and create a new person instead", () => ctx.rerender());
  claim.addEventListener("click", async () => {
    replace(status);
    claim.disabled = true;
    try {
      const claimed = await post("/auth/claim-owner", { token }, { quiet401: true });
      const { tenants } = await get("/me/tenants");
      const name = tenants.find((t) => t.id === claimed.tenant.id)?.name ?? claimed.tenant.id;
      await enterTenant(ctx, `You are now the owner of ${name}.`);
    } catch (err) {
      claim.disabled = false;
      replace(status, refusal(err));
    }
  });
  return [
    h("p", {}, "You are signed in as ", h("strong", {}, me.user.email), "."),
    h(
      "p",
      { class: "muted" },
      "Claim the tenant with this account: it joins the tenants you switch between in the sidebar, and the console moves to it. Your other tenants stay as they are.",
    ),
    status,
    h("div", { class: "claim-actions" }, claim, signOut),
  ];
}
