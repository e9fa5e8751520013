/**
 * #/credentials/new: name -> access (resource, scopes, groups, expiry) -> review and delivery -> finish.
 * Read scopes are the default; a write scope is an explicit choice behind a warning, because scopes can be
 * removed from a credential later but never added. The finish step shows the secret once or a setup code.
 */
import { h, replace } from "../dom.js";
import { get, post } from "../api.js";
import { button, chips, details, field, notice, pageHeader } from "../ui.js";
import { statusRegion, submitForm } from "../forms.js";
import { secretOnce, setupCodePanel } from "./delivery.js";

/** One step of the wizard: a checked form (see submitForm) laid out as a step. */
const stepForm = (options, ...children) => submitForm({ ...options, class: "form step-form" }, ...children);

const STEPS = ["Name", "Access", "Review", "Finish"];
const EXPIRY = [
  ["", "Never (revoke it when the automation retires)"],
  ["30", "In 30 days"],
  ["90", "In 90 days"],
  ["365", "In 1 year"],
  ["custom", "On a date…"],
];

export async function render(ctx) {
  const { resources } = await get("/resources");
  const draft = {
    label: "",
    grants: [],
    groups: [],
    expiry: "",
    expiryDate: "",
    delivery: "secret",
    mode: "key",
    writeAcknowledged: false,
  };
  const stepper = h("ol", { class: "stepper" });
  const stage = h("div", { class: "stage" });
  const root = h(
    "div",
    {},
    pageHeader("New service credential", { back: { href: "#/credentials", text: "Credentials" } }),
    stepper,
    stage,
  );

  const go = (index, content) => {
    replace(
      stepper,
      STEPS.map((name, i) =>
        h(
          "li",
          { class: i < index ? "done" : i === index ? "current" : "", "aria-current": i === index ? "step" : null },
          h("span", { class: "step-n" }, String(i + 1)),
          name,
        ),
      ),
    );
    replace(stage, content);
    const heading = stage.querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  };

  const nameStep = () => {
    const label = h("input", {
      type: "text",
      value: draft.label,
      maxlength: "64",
      autocomplete: "off",
      spellcheck: "false",
      required: true,
    });
    const status = statusRegion();
    go(
      0,
      stepForm(
        {
          status,
          check: () => {
            const v = label.value;
            return !v || v.trim() !== v || v.length > 64 || /\p{Cc}/u.test(v)
              ? "Give it a label of 1 to 64 characters, without leading or trailing spaces."
              : null;
          },
          action: () => {
            draft.label = label.value;
            accessStep();
          },
        },
        h("h2", {}, "Name it after the automation"),
        h(
          "p",
          { class: "muted" },
          "One credential per automation, so each one can be rotated or revoked on its own and the audit log says exactly who did what. Tokens carry the name svc:<label>.",
        ),
        field("Label", label, { hint: "For example deploy-bot-prod, nightly-billing-export or support-agent." }),
        status,
        h(
          "div",
          { class: "step-actions" },
          h("a", { class: "btn btn-ghost", href: "#/credentials" }, "Cancel"),
          button("Next: access", null, { kind: "primary", type: "submit" }),
        ),
      ),
    );
  };

  const grantBlock = (grant, index, onChange) => {
    const resource = resources.find((r) => r.uri === grant.resource) ?? resources[0];
    const select = h(
      "select",
      {
        onchange: () => {
          grant.resource = select.value;
          const r = resources.find((x) => x.uri === select.value);
          grant.scopes = r.scopes.filter((s) => !s.write).map((s) => s.name);
          onChange();
        },
      },
      resources.map((r) => h("option", { value: r.uri, selected: r.uri === resource.uri }, `${r.name} (${r.uri})`)),
    );
    const scopeBox = (s) => {
      const box = h("input", {
        type: "checkbox",
        checked: grant.scopes.includes(s.name),
        onchange: () => {
          grant.scopes = box.checked ? [...grant.scopes, s.name] : grant.scopes.filter((n) => n !== s.name);
          if (s.write) onChange();
        },
      });
      return h(
        "label",
        { class: `check${s.write ? " check-write" : ""}` },
        box,
        h(
          "span",
          { class: "check-text" },
          h("code", {}, s.name),
          s.description ? h("span", { class: "muted" }, ` ${s.description}`) : null,
        ),
      );
    };
    const reads = resource.scopes.filter((s) => !s.write);
    const writes = resource.scopes.filter((s) => s.write);
    return h(
      "fieldset",
      { class: "grant" },
      h("legend", {}, `Resource ${index + 1}`),
      field("API (resource)", select),
      h(
        "div",
        { class: "scope-group" },
        h("h3", {}, "Read scopes"),
        reads.length ? reads.map(scopeBox) : h("p", { class: "muted" }, "This resource has no read scopes."),
      ),
      writes.length
        ? h(
            "details",
            { class: "scope-group scope-write", open: grant.scopes.some((n) => writes.some((w) => w.name === n)) },
            h("summary", {}, "Write scopes (let this machine change things)"),
            notice(
              "warn",
              "Grant write only if the automation must change data. Scopes can be removed from a credential later but never added: to give write access afterwards you must create a new credential.",
            ),
            writes.map(scopeBox),
          )
        : null,
      draft.grants.length > 1
        ? button(
            "Remove this resource",
            () => {
              draft.grants = draft.grants.filter((g) => g !== grant);
              onChange();
            },
            { kind: "ghost" },
          )
        : null,
    );
  };

  const accessStep = () => {
    if (!draft.grants.length) {
      const r = resources.find((x) => !x.builtin) ?? resources[0];
      draft.grants.push({ resource: r.uri, scopes: r.scopes.filter((s) => !s.write).map((s) => s.name) });
    }
    const grantsHost = h("div", {});
    const ackHost = h("div", {});
    const groups = h("input", {
      type: "text",
      value: draft.groups.join(", "),
      autocomplete: "off",
      spellcheck: "false",
    });
    const expiry = h(
      "select",
      {},
      EXPIRY.map(([v, t]) => h("option", { value: v, selected: v === draft.expiry }, t)),
    );
    const date = h("input", {
      type: "date",
      value: draft.expiryDate,
      min: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
    });
    const dateField = field("Expiry date", date);
    const status = statusRegion();
    const groupList = () =>
      groups.value
        .split(/[,\n]/)
        .map((g) => g.trim())
        .filter(Boolean);
    const paintAck = () => {
      const writes = selectedWrites();
      if (!writes.length) {
        draft.writeAcknowledged = false;
        return void replace(ackHost);
      }
      const ack = h("input", {
        type: "checkbox",
        checked: draft.writeAcknowledged,
        onchange: () => (draft.writeAcknowledged = ack.checked),
      });
      replace(
        ackHost,
        notice(
          "danger",
          h("strong", {}, "Write access selected: "),
          chips(writes),
          h(
            "label",
            { class: "check" },
            ack,
            h(
              "span",
              { class: "check-text" },
              "I understand this machine will be able to change data with these scopes.",
            ),
          ),
        ),
      );
    };
    const paintGrants = () => {
      replace(
        grantsHost,
        draft.grants.map((g, i) =>
          grantBlock(g, i, () => {
            paintGrants();
            paintAck();
          }),
        ),
      );
      paintAck();
    };
    const syncDate = () => (dateField.hidden = expiry.value !== "custom");
    expiry.addEventListener("change", syncDate);
    syncDate();
    paintGrants();
    go(
      1,
      stepForm(
        {
          status,
          check: () =>
            draft.grants.some((g) => !g.scopes.length)
              ? "Choose at least one scope for each resource."
              : selectedWrites().length && !draft.writeAcknowledged
                ? "Confirm the write access, or untick the write scopes."
                : groupList().some((g) => /\s/.test(g) || g.length > 64)
                  ? "Group names have no spaces and at most 64 characters."
                  : expiry.value === "custom" && !(Date.parse(date.value) > Date.now())
                    ? "Pick an expiry date in the future."
                    : null,
          action: () => {
            draft.groups = [...new Set(groupList())];
            draft.expiry = expiry.value;
            draft.expiryDate = date.value;
            reviewStep();
          },
        },
        h("h2", {}, `What may ${draft.label} do?`),
        h(
          "p",
          { class: "muted" },
          "Pick the APIs this automation calls and the least it needs there. Read-only is the default.",
        ),
        grantsHost,
        resources.length > 1
          ? button(
              "Add another resource",
              () => {
                draft.grants.push({ resource: resources[0].uri, scopes: [] });
                paintGrants();
              },
              { kind: "ghost" },
            )
          : null,
        ackHost,
        field("Groups", groups, {
          optional: true,
          hint: "Comma-separated team names, e.g. payments, platform. Tokens carry them; you can change them later.",
        }),
        field("Expires", expiry),
        dateField,
        status,
        h(
          "div",
          { class: "step-actions" },
          button("Back", nameStep, { kind: "ghost" }),
          button("Next: review", null, { kind: "primary", type: "submit" }),
        ),
      ),
    );
  };

  const selectedWrites = () =>
    draft.grants.flatMap((g) => {
      const r = resources.find((x) => x.uri === g.resource);
      return g.scopes.filter((n) => r?.scopes.find((s) => s.name === n)?.write);
    });

  const expiresAt = () => {
    if (!draft.expiry) return undefined;
    if (draft.expiry === "custom") return new Date(`${draft.expiryDate}T23:59:59Z`).toISOString();
    return new Date(Date.now() + Number(draft.expiry) * 86_400_000).toISOString();
  };

  const reviewStep = () => {
    const writeSet = new Set(selectedWrites());
    const radio = (value, title, text) =>
      h(
        "label",
        { class: "choice" },
        h("input", {
          type: "radio",
          name: "delivery",
          value,
          checked: draft.delivery === value,
          onchange: () => (draft.delivery = value),
        }),
        h("span", { class: "choice-text" }, h("strong", {}, title), h("span", { class: "muted" }, text)),
      );
    const status = statusRegion();
    const create = button("Create credential", null, { kind: "primary", type: "submit" });
    const expires = expiresAt();
    go(
      2,
      stepForm(
        {
          status,
          submit: create,
          clearStatus: true,
          action: async () => {
            const body = { label: draft.label, grants: draft.grants, groups: draft.groups, delivery: draft.delivery };
            if (draft.delivery === "setup_code") body.mode = draft.mode;
            if (expires) body.expires_at = expires;
            finishStep(await post("/credentials", body));
          },
        },
        h("h2", {}, "Review"),
        details([
          ["Label", h("strong", {}, draft.label)],
          ["Token subject name", h("code", {}, `svc:${draft.label}`)],
          ...draft.grants.map((g) => [
            `Access to ${resources.find((r) => r.uri === g.resource)?.name ?? g.resource}`,
            chips(g.scopes, { writeSet }),
          ]),
          ["Groups", chips(draft.groups)],
          [
            "Expires",
            expires
              ? h("time", { datetime: expires, title: expires }, new Date(expires).toLocaleDateString())
              : "Never",
          ],
        ]),
        writeSet.size
          ? notice("warn", "This credential can write. Scopes can be removed later, never added.")
          : notice("info", "Read-only. If it ever needs write access, that takes a new credential."),
        h(
          "fieldset",
          { class: "choices" },
          h("legend", {}, "How will the machine get its credential?"),
          radio(
            "secret",
            "Show a client secret once",
            "You copy the secret now and put it in the machine's secret store. Simple; works with any OAuth client.",
          ),
          radio(
            "setup_code",
            "Give the machine a setup code",
            "A one-time code valid 10 minutes. The machine (or an agent on it) runs one command, makes its own key and never sees a shared secret. You watch it claim the code here.",
          ),
        ),
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            name: "mode-secret",
            checked: draft.mode === "secret",
            onchange: (e) => (draft.mode = e.target.checked ? "secret" : "key"),
          }),
          " With a setup code: deliver a client secret instead of a key pair (only for machines that cannot keep a private key; the code then works only with --secret)",
        ),
        status,
        h("div", { class: "step-actions" }, button("Back", accessStep, { kind: "ghost" }), create),
      ),
    );
  };

  const finishStep = (created) => {
    const done = h(
      "a",
      { class: "btn btn-primary", href: `#/credentials/${encodeURIComponent(created.id)}` },
      "Done: open the credential",
    );
    let content;
    if (created.client_secret) {
      content = secretOnce({ clientId: created.client_id, clientSecret: created.client_secret });
    } else if (created.setup_code) {
      const host = h("div", {});
      const show = (code) =>
        replace(
          host,
          setupCodePanel(ctx, created.id, code, {
            onNewCode: async () =>
              show(
                (await post(`/credentials/${encodeURIComponent(created.id)}/setup-codes`, { mode: code.mode ?? "key" }))
                  .setup_code,
              ),
          }),
        );
      show(created.setup_code);
      content = host;
    } else content = notice("info", "The credential was created. Open it to issue a secret or a setup code.");
    go(
      3,
      h(
        "div",
        { class: "step-form" },
        h("h2", {}, `${created.label} is ready`),
        content,
        h("div", { class: "step-actions" }, done),
      ),
    );
  };

  nameStep();
  return root;
}
