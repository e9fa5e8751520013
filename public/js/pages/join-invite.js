/**
 * An invitation to an email that already has a Latchkey account (docs/realms.md): rather than a second account,
 * that person signs in as the email and joins the tenant by membership (POST /api/v1/auth/join), and the server
 * moves their session to it. Signed out, the page offers to sign in and come back; signed in as someone else,
 * to sign out first. The server checks all of it again; each refusal is said in words.
 */
import { h, replace } from "../dom.js";
import { ApiError, post } from "../api.js";
import { button, errorBox, notice } from "../ui.js";
import { statusRegion } from "../forms.js";
import { enterTenant, sessionRefusal, signInHref, signOutButton } from "./auth-shared.js";

/** What a used, expired or unknown invitation link is told. */
export const INVALID_INVITATION =
  "This invitation link is invalid, expired or already used. Ask the owner who invited you for a new one.";

const strong = (text) => h("strong", {}, text);

function refusal(err, email) {
  if (!(err instanceof ApiError)) return errorBox(err);
  if (err.code === "invalid_invitation") return notice("danger", INVALID_INVITATION);
  if (err.status === 403)
    return notice(
      "warn",
      "You are no longer signed in as ",
      strong(email),
      ", whom this invitation is for. ",
      h("a", { href: signInHref(email) }, `Sign in as ${email}`),
      " to join.",
    );
  return sessionRefusal(err) ?? errorBox(err);
}

function joinButton(ctx, token, { email, role, tenant }) {
  const status = statusRegion("form-status");
  const join = button(`Join ${tenant.name}`, null, { kind: "primary" });
  join.addEventListener("click", async () => {
    replace(status);
    join.disabled = true;
    try {
      const joined = await post("/auth/join", { token }, { quiet401: true });
      await enterTenant(ctx, `You joined ${tenant.name} as ${joined.role ?? role}.`);
    } catch (err) {
      join.disabled = false;
      replace(status, refusal(err, email));
    }
  });
  return [status, h("div", { class: "claim-actions" }, join)];
}

/** The part of the invitation card for an existing account's email, given who is signed in (`me`, or null). */
export function joinCard(ctx, token, invitation, me) {
  const { email, tenant } = invitation;
  const actions = (...children) => h("div", { class: "claim-actions" }, children);
  if (me?.auth !== "session")
    return [
      h("p", {}, strong(email), ` already has a Latchkey account. Sign in with it to join ${tenant.name}.`),
      actions(h("a", { class: "btn btn-primary", href: signInHref(email) }, `Sign in as ${email} to join`)),
    ];
  if (me.user.email !== email)
    return [
      notice(
        "warn",
        "This invitation is for another email: you are signed in as ",
        strong(me.user.email),
        `. Sign out and sign in as ${email} to join ${tenant.name}.`,
      ),
      actions(signOutButton(`Sign out and sign in as ${email}`, () => ctx.navigate(signInHref(email)))),
    ];
  return [
    h("p", {}, "You are signed in as ", strong(email), "."),
    h(
      "p",
      { class: "muted" },
      `${tenant.name} joins the tenants you switch between in the sidebar, and the console moves to it. Your other tenants stay as they are.`,
    ),
    joinButton(ctx, token, invitation),
  ];
}
