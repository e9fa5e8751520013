/**
 * #/login: email and password. A 429 shows how long to wait (from Retry-After) and keeps the button off until
 * then. "Create an organisation" appears only when the server says sign-up is open (GET /api/v1/auth/options).
 * `?email=` fills in the email (a link page asking for a particular account); `?next=` is where to go after.
 */
import { h, mmss, replace } from "../dom.js";
import { ApiError, get, post } from "../api.js";
import { currentMe, homeRoute, loadMe } from "../session.js";
import { button, errorBox, field, notice } from "../ui.js";
import { statusRegion, submitForm } from "../forms.js";
import { authCard, safeNext } from "./auth-shared.js";

export async function render(ctx) {
  if (currentMe() || (await loadMe())) {
    queueMicrotask(() => ctx.navigate(safeNext(ctx.query.get("next"), homeRoute()), { replace: true }));
    return h("p", { class: "loading" }, "Signing you in…");
  }
  const options = await get("/auth/options", { quiet401: true }).catch(() => null);
  const email = h("input", {
    type: "email",
    name: "email",
    autocomplete: "username",
    required: true,
    spellcheck: "false",
    value: ctx.query.get("email") ?? "",
  });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const submit = button("Sign in", null, { kind: "primary", type: "submit" });
  const status = statusRegion("form-status");
  let timer = null;
  ctx.cleanup(() => clearInterval(timer));

  const throttle = (seconds) => {
    let left = seconds;
    submit.disabled = true;
    const paint = () =>
      replace(
        status,
        notice(
          "warn",
          h("strong", {}, "Too many sign-in attempts. "),
          `For your account's safety, wait ${mmss(left)} before trying again.`,
        ),
      );
    paint();
    timer = setInterval(() => {
      left -= 1;
      if (left > 0) return void paint();
      clearInterval(timer);
      submit.disabled = false;
      replace(status, notice("info", "You can try again now."));
    }, 1000);
  };

  const form = submitForm(
    {
      status,
      submit,
      clearStatus: true,
      check: () => (!email.value.trim() || !password.value ? "Enter your email and password." : null),
      action: async () => {
        await post("/auth/login", { email: email.value.trim(), password: password.value }, { quiet401: true });
        password.value = "";
        await loadMe();
        ctx.navigate(safeNext(ctx.query.get("next"), homeRoute()));
      },
      onError: (err) => {
        password.value = "";
        if (err instanceof ApiError && err.status === 429) return void throttle(err.retryAfter ?? 60);
        if (err instanceof ApiError && err.status === 401) {
          replace(status, notice("danger", "That email and password do not match an account here."));
        } else replace(status, errorBox(err));
        password.focus();
      },
    },
    field("Email", email),
    field("Password", password),
    status,
    submit,
  );
  const banner = ctx.query.get("ended")
    ? notice(
        "warn",
        "Your session has ended (it was signed out, expired, or ended from another device). Sign in again to continue.",
      )
    : ctx.query.get("signed_out")
      ? notice("ok", "You are signed out.")
      : null;
  return authCard(
    "Sign in",
    "The console is for people. Machines get their own service credentials.",
    banner,
    form,
    options?.signup_enabled
      ? h(
          "p",
          { class: "signup-offer" },
          "No organisation here yet? ",
          h("a", { href: "#/signup" }, "Create an organisation"),
          ".",
        )
      : null,
    h(
      "p",
      { class: "fine" },
      "New here? An owner sends you an invitation link. Setting up a new Latchkey? ",
      h("code", {}, "npm start"),
      " prints a one-time link for the first owner.",
    ),
  );
}
