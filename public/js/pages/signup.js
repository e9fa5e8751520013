/**
 * #/signup: self-service sign-up (docs/realms.md), offered only when the server says it is open
 * (GET /api/v1/auth/options). A newcomer names the organisation and creates its owner's account; a person
 * signed in already names only the organisation and becomes its owner. Either way the server answers with a
 * session active in the new tenant, and the console opens there. Field errors come from the API's 400 problem.
 */
import { h, mmss, replace } from "../dom.js";
import { ApiError, get, post } from "../api.js";
import { currentMe, forget, homeRoute, loadMe } from "../session.js";
import { button, errorBox, field, notice, toast } from "../ui.js";
import { showFieldErrors, statusRegion, submitForm } from "../forms.js";
import { authCard, MIN_PASSWORD, passwordProblem } from "./auth-shared.js";

const TITLE = "Create an organisation";
const input = (attrs) => h("input", { type: "text", spellcheck: "false", ...attrs });

function closed() {
  return authCard(
    TITLE,
    null,
    notice(
      "info",
      "Sign-up is not open on this Latchkey. Ask its operator to create your organisation (",
      h("code", {}, "npm run tenant -- create"),
      "); they send you a link that makes you its owner.",
    ),
    h("p", { class: "fine" }, h("a", { href: "#/login" }, "Sign in"), " if you already have an account."),
  );
}

/** What each refusal means for the person filling the form, in words. */
function explain(err, controls, status) {
  const unclaimed = showFieldErrors(controls, err instanceof ApiError ? err.errors : []);
  if (!(err instanceof ApiError)) return void replace(status, errorBox(err));
  if (err.status === 400 && err.errors.length) {
    const rest = unclaimed.map((i) => h("li", {}, `${i.path || "request"}: ${i.message}`));
    return void replace(
      status,
      notice("danger", "Check the fields marked above.", rest.length ? h("ul", {}, rest) : null),
    );
  }
  if (err.code === "tenant_exists") {
    showFieldErrors(controls, [{ path: "tenant_id", message: "This id is taken." }]);
    return void replace(
      status,
      notice("danger", "An organisation with this id already exists. Choose another id (or another name)."),
    );
  }
  if (err.code === "email_taken") {
    showFieldErrors(controls, [{ path: "email", message: "This email already has an account." }]);
    return void replace(
      status,
      notice(
        "danger",
        "A person with this email already has an account here. ",
        h("a", { href: `#/login?next=${encodeURIComponent("#/signup")}` }, "Sign in"),
        " with it, then create the organisation while signed in.",
      ),
    );
  }
  if (err.status === 429) {
    const wait = mmss(err.retryAfter ?? 60);
    return void replace(status, notice("warn", `Too many sign-up attempts from your network. Try again in ${wait}.`));
  }
  if (err.status === 404)
    return void replace(status, notice("danger", "Sign-up has been turned off on this Latchkey."));
  replace(status, errorBox(err));
}

/** The inputs, keyed by the API field each fills (so a 400's `errors` find theirs), and the password repeat. */
function inputs(signedIn) {
  const controls = {
    tenant_name: input({ autocomplete: "organization", required: true, maxlength: "100", spellcheck: null }),
    tenant_id: input({ autocomplete: "off", autocapitalize: "none", maxlength: "32" }),
  };
  if (signedIn) return { controls, confirm: null };
  controls.name = input({ autocomplete: "name", required: true, maxlength: "100", spellcheck: null });
  controls.email = input({ type: "email", autocomplete: "username", required: true });
  controls.password = h("input", { type: "password", autocomplete: "new-password", required: true });
  return { controls, confirm: h("input", { type: "password", autocomplete: "new-password", required: true }) };
}

function signUpForm(ctx, signedIn) {
  const { controls, confirm } = inputs(signedIn);
  const status = statusRegion("form-status");
  const submit = button(TITLE, null, { kind: "primary", type: "submit" });
  const value = (name) => controls[name]?.value.trim() ?? "";
  const check = () => {
    showFieldErrors(controls, []);
    if (!value("tenant_name")) return "Enter the organisation's name.";
    if (signedIn) return null;
    if (!value("name") || !value("email")) return "Enter your name and email.";
    return passwordProblem(controls.password.value, confirm.value);
  };
  const action = async () => {
    const body = { tenant_name: value("tenant_name") };
    if (value("tenant_id")) body.tenant_id = value("tenant_id");
    if (!signedIn)
      Object.assign(body, { name: value("name"), email: value("email"), password: controls.password.value });
    const created = await post("/signup", body, { quiet401: true });
    if (!signedIn) controls.password.value = confirm.value = "";
    forget();
    await loadMe();
    toast(`${created.tenant.name} is ready. You are its owner.`);
    ctx.navigate(homeRoute(), { replace: true });
  };
  return submitForm(
    { status, submit, clearStatus: true, check, action, onError: (err) => explain(err, controls, status) },
    h("h2", { class: "signup-section" }, "Your organisation"),
    field("Organisation name", controls.tenant_name),
    field("Organisation id", controls.tenant_id, {
      optional: true,
      hint: `3-32 lower-case letters, digits and hyphens; it becomes your issuer, ${location.origin}/t/<id>. Left empty, it is made from the name (Acme Corp: acme-corp).`,
    }),
    signedIn
      ? null
      : [
          h("h2", { class: "signup-section" }, "You, its first owner"),
          field("Your name", controls.name),
          field("Email", controls.email, { hint: "You sign in with this address." }),
          field("Password", controls.password, { hint: `At least ${MIN_PASSWORD} characters.` }),
          field("Password again", confirm),
        ],
    status,
    submit,
  );
}

function signedInNote(ctx, me) {
  const signOut = async () => {
    await post("/auth/logout", undefined, { quiet401: true }).catch(() => undefined);
    forget();
    ctx.rerender();
  };
  return h(
    "div",
    { class: "signup-as" },
    h("p", {}, "You become the owner of the new organisation as ", h("strong", {}, me.user.email), "."),
    h(
      "p",
      { class: "fine" },
      "Your other tenants stay as they are: the switcher in the sidebar moves between them. ",
      button("Sign out and sign up as someone else", signOut, { kind: "ghost" }),
    ),
  );
}

export async function render(ctx) {
  const [options, me] = await Promise.all([
    get("/auth/options", { quiet401: true }).catch(() => ({ signup_enabled: false })),
    currentMe() || loadMe(),
  ]);
  if (!options.signup_enabled) return closed();
  if (me?.auth === "session") return authCard(TITLE, null, signedInNote(ctx, me), signUpForm(ctx, true));
  return authCard(
    TITLE,
    "Your own tenant of Latchkey: its own issuer, credentials, members and audit log. You become its owner.",
    signUpForm(ctx, false),
    h("p", { class: "fine" }, "Already have an account? ", h("a", { href: "#/login" }, "Sign in"), "."),
  );
}
