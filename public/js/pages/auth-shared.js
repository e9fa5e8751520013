/**
 * Pieces shared by the sign-in, first-owner and accept-invitation pages: the centred card, password rules, the
 * new-account form, and what the link pages do for someone signed in (sign out, come back after signing in,
 * land in the tenant the server moved the session to, the refusals they share).
 */
import { h } from "../dom.js";
import { ApiError, post } from "../api.js";
import { statusRegion, submitForm } from "../forms.js";
import { forget, homeRoute, loadMe } from "../session.js";
import { button, field, notice, toast } from "../ui.js";

export const MIN_PASSWORD = 12;

/** The centred card the public pages live in. */
export function authCard(title, lead, ...body) {
  return h(
    "section",
    { class: "auth-card" },
    h(
      "div",
      { class: "auth-brand" },
      h("img", { src: "/favicon.svg", alt: "", width: "36", height: "36" }),
      h("span", {}, "Latchkey"),
    ),
    h("h1", { tabindex: "-1" }, title),
    lead ? h("p", { class: "lead" }, lead) : null,
    body,
  );
}

/** Checks a new password pair; returns a message or null. */
export function passwordProblem(password, confirm) {
  if (password.length < MIN_PASSWORD)
    return `Use at least ${MIN_PASSWORD} characters. A few unrelated words make a good one.`;
  if (password !== confirm) return "The two passwords are different.";
  return null;
}

/**
 * The form that creates an account: name, an Email field when `askEmail`, password twice. `username` fills a hidden
 * username input for password managers. `save({ name, email, password })` posts the trimmed values;
 * `onError(err, status)` may explain a failure better than the default error box.
 */
export function newAccountForm({ submitText, askEmail = false, username, save, onError }) {
  const name = h("input", { type: "text", autocomplete: "name", required: true, maxlength: "100" });
  const email = askEmail
    ? h("input", { type: "email", autocomplete: "username", required: true, spellcheck: "false" })
    : null;
  const password = h("input", {
    type: "password",
    autocomplete: "new-password",
    required: true,
    minlength: String(MIN_PASSWORD),
  });
  const confirm = h("input", { type: "password", autocomplete: "new-password", required: true });
  const status = statusRegion("form-status");
  const submit = button(submitText, null, { kind: "primary", type: "submit" });
  return submitForm(
    {
      status,
      submit,
      onError,
      check: () => {
        if (!email) return !name.value.trim() ? "Enter your name." : passwordProblem(password.value, confirm.value);
        return !name.value.trim() || !email.value.trim()
          ? "Enter your name and email."
          : passwordProblem(password.value, confirm.value);
      },
      action: () => save({ name: name.value.trim(), email: email?.value.trim(), password: password.value }),
    },
    username
      ? h("input", { type: "email", autocomplete: "username", value: username, hidden: true, readonly: true })
      : null,
    field("Your name", name),
    email ? field("Email", email, { hint: "You sign in with this address." }) : null,
    field("Password", password, { hint: `At least ${MIN_PASSWORD} characters.` }),
    field("Password again", confirm),
    status,
    submit,
  );
}

/** Where to go after signing in: the `next` route if it is a safe in-app hash, else the home route. */
export function safeNext(next, fallback) {
  return next && /^#\/[A-Za-z0-9/_\-?=&%.]*$/.test(next) && !next.startsWith("#/login") ? next : fallback;
}

/** The sign-in route that comes back to the current page afterwards; `email` fills in the form's email. */
export function signInHref(email) {
  const params = new URLSearchParams(email ? { email } : {});
  params.set("next", location.hash);
  return `#/login?${params}`;
}

/** A button that signs out (locally too when the server cannot be reached), then runs `after`. */
export function signOutButton(text, after) {
  const signOut = button(text, null, { kind: "secondary" });
  signOut.addEventListener("click", async () => {
    signOut.disabled = true;
    await post("/auth/logout", undefined, { quiet401: true }).catch(() => undefined);
    forget();
    after();
  });
  return signOut;
}

/** After the server moved the session to another tenant: reloads /me, says `message` and opens the console there. */
export async function enterTenant(ctx, message) {
  forget();
  await loadMe();
  toast(message);
  ctx.navigate(homeRoute(), { replace: true });
}

/** The words for the refusals every link page that acts on a session shares (409: a member already; 401), or null. */
export function sessionRefusal(err) {
  if (!(err instanceof ApiError)) return null;
  if (err.status === 409)
    return notice("warn", "You already belong to this tenant. Choose it in the tenant switcher in the sidebar.");
  if (err.status === 401)
    return notice(
      "warn",
      "Your session has ended. ",
      h("a", { href: signInHref() }, "Sign in"),
      " again, and this page opens once more.",
    );
  return null;
}
