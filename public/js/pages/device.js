/**
 * #/device?user_code=: approve or deny a tool's sign-in (RFC 8628, `latchkey login`). The person signs in
 * first (the router sends them to #/login and back), enters or confirms the code their terminal shows, sees
 * the tool, the host it reports and what it will be able to do (their own role's scopes), and decides. The
 * server checks the code, the person, the console's origin (CSRF) and audits the decision.
 */
import { h, replace, time } from "../dom.js";
import { post } from "../api.js";
import { currentMe, ROLE_TEXT } from "../session.js";
import { badge, button, chips, details, field, notice, pageHeader } from "../ui.js";
import { statusRegion, submitForm } from "../forms.js";

function codeForm(area, initial) {
  const input = h("input", {
    type: "text",
    name: "user_code",
    value: initial,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: "16",
    required: true,
    class: "device-code-input",
  });
  const submit = button("Continue", null, { kind: "primary", type: "submit" });
  const status = statusRegion("form-status");
  return submitForm(
    {
      status,
      submit,
      clearStatus: true,
      check: () => (input.value.trim() ? null : "Enter the code your terminal shows."),
      action: async () => {
        const found = await post("/device/lookup", { user_code: input.value });
        replace(area, review(area, found));
      },
    },
    field("Code from your terminal", input, { hint: "Eight letters, like BCDF-GHJK. Case and dashes do not matter." }),
    h("div", { class: "form-actions" }, submit),
    status,
  );
}

function review(area, found) {
  const status = statusRegion("form-status");
  const decide = async (decision) => {
    replace(status);
    try {
      await post(`/device/${decision}`, { user_code: found.user_code });
      replace(area, outcome(decision, found));
    } catch (err) {
      replace(status, notice("danger", err.message));
    }
  };
  const host = found.hostname ? h("code", {}, found.hostname) : h("span", { class: "muted" }, "an unnamed host");
  return h(
    "section",
    { class: "device-review", "aria-labelledby": "device-review-title" },
    h("h2", { id: "device-review-title" }, `${found.client_name} wants to sign in as you`),
    details([
      ["Code", h("code", { class: "device-code" }, found.user_code)],
      ["Tool", h("span", {}, found.client_name, " ", h("span", { class: "muted small" }, `(${found.client_id})`))],
      ["Host (as the tool reports it)", host],
      ["Tenant it will act in", h("code", {}, currentMe()?.tenant?.id ?? "")],
      ["Asked from", found.request_ip ? h("code", {}, found.request_ip) : "Unknown"],
      ["Asked", h("span", {}, time(found.created_at), "; the code expires ", time(found.expires_at))],
    ]),
    h(
      "p",
      {},
      "It will be able to do what your role ",
      badge(found.role, "role"),
      " allows, until you end its session: ",
      ROLE_TEXT[found.role] ?? "",
    ),
    chips(found.scopes),
    notice(
      "warn",
      "Approve only if you started this sign-in yourself and the code matches your terminal. Someone who sends you a code is trying to borrow your access.",
    ),
    h(
      "div",
      { class: "form-actions" },
      button("Approve", () => decide("approve"), { kind: "primary" }),
      button("Deny", () => decide("deny"), { kind: "danger" }),
    ),
    status,
  );
}

function outcome(decision, found) {
  return decision === "approve"
    ? notice(
        "ok",
        h("strong", {}, "Approved. "),
        `${found.client_name} is signed in. You can return to your terminal. The sign-in is listed under Sessions, where you can end it.`,
      )
    : notice("info", h("strong", {}, "Denied. "), "The tool was refused and cannot use this code again.");
}

export async function render(ctx) {
  const area = h("div", { class: "device-area" });
  replace(area, codeForm(area, ctx.query.get("user_code") ?? ""));
  return h(
    "div",
    { class: "device-page" },
    pageHeader("Sign in a tool", {
      lead: "A command-line tool such as `latchkey login` showed you a code. Check it here before you approve.",
    }),
    area,
  );
}
