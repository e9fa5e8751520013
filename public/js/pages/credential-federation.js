/**
 * The "Federated identities" section of a credential's page: trust rules that let a CI job or workload trade
 * its own OIDC token for this credential's tokens (RFC 8693), with no secret. Presets for GitHub Actions,
 * GitLab CI and Kubernetes pin what those issuers make immutable; the console looks nothing up on the
 * internet, so the help text says where to find each id. A dry run tests a pasted token against the rules.
 * Over 200 lines because each preset's form and help belong together here.
 */
import { h, replace, time } from "../dom.js";
import { get, post, del } from "../api.js";
import { statusRegion, submitForm } from "../forms.js";
import { button, errorBox, field, notice, openDialog, table, toast } from "../ui.js";

const PRESETS = {
  "github-actions": {
    name: "GitHub Actions",
    fields: [
      ["owner", "Owner (organisation or user)", "acme", false],
      ["owner_id", "Owner id", "Numeric. `gh api repos/OWNER/REPO --jq .owner.id`", true],
      ["repo", "Repository", "api", false],
      ["repo_id", "Repository id", "Numeric. `gh api repos/OWNER/REPO --jq .id`", true],
      ["ref", "Branch or tag ref", "e.g. refs/heads/main; `*` globs, as in refs/heads/release-*", false],
      ["environment", "Environment", "e.g. production: only jobs deploying to it", false],
      ["workflow", "Workflow file", "e.g. deploy.yml: only this workflow", false],
    ],
    help: "Rules pin the numeric repository and owner ids: a renamed, deleted or re-created repository of the same name does not inherit trust. Pin a ref or an environment too, so pull requests from forks and other branches cannot mint.",
    body: (v) => ({
      claims: clean({
        repository_owner_id: v.owner_id,
        repository_id: v.repo_id,
        repository: v.owner && v.repo ? `${v.owner}/${v.repo}` : "",
        ref: v.ref,
        environment: v.environment,
        workflow_ref: v.workflow && v.owner && v.repo ? `${v.owner}/${v.repo}/.github/workflows/${v.workflow}@*` : "",
      }),
    }),
  },
  gitlab: {
    name: "GitLab CI",
    fields: [
      ["issuer", "GitLab URL", "https://gitlab.com, or your self-managed instance", false],
      ["namespace_id", "Group (namespace) id", "Numeric, on the group's overview page", true],
      ["project_id", "Project id", "Numeric, on the project's overview page", true],
      ["ref", "Ref", "e.g. main", false],
      ["ref_type", "Ref type", "branch or tag", false],
      ["environment", "Environment", "e.g. production", false],
    ],
    help: "Rules pin the numeric group and project ids, which survive renames and transfers. In .gitlab-ci.yml give the job `id_tokens: LATCHKEY_ID_TOKEN: aud: <audience>`.",
    body: (v) => ({
      ...(v.issuer ? { issuer: v.issuer } : {}),
      claims: clean({
        namespace_id: v.namespace_id,
        project_id: v.project_id,
        ref: v.ref,
        ref_type: v.ref_type,
        environment: v.environment,
      }),
    }),
  },
  kubernetes: {
    name: "Kubernetes",
    fields: [
      [
        "issuer",
        "Cluster issuer",
        "`kubectl get --raw /.well-known/openid-configuration` shows it; must be public https",
        true,
      ],
      ["namespace", "Namespace", "e.g. ci", true],
      ["service_account", "Service account", "e.g. deployer", true],
    ],
    help: "The subject is system:serviceaccount:<namespace>:<name>. Mount a projected service-account token with this rule's audience and an expiry of at most one hour.",
    body: (v) => ({ issuer: v.issuer, subject: `system:serviceaccount:${v.namespace}:${v.service_account}` }),
  },
  generic: {
    name: "Other OIDC issuer",
    fields: [
      ["issuer", "Issuer", "Exactly the tokens' iss; https with a public host name", true],
      ["subject", "Subject (sub)", "Exact value, or `*` globs", false],
      ["claims", "Claim conditions", "One per line: name=value (`*` globs)", false],
    ],
    help: "A rule needs a subject or at least one claim condition: one that would accept every token of the issuer is refused.",
    body: (v) => ({
      issuer: v.issuer,
      ...(v.subject ? { subject: v.subject } : {}),
      claims: Object.fromEntries(
        (v.claims ?? "")
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf("=")).trim(), line.slice(line.indexOf("=") + 1).trim()]),
      ),
    }),
  },
};

/** Drops empty values. */
function clean(claims) {
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v));
}

function conditions(f) {
  const parts = [f.subject ? `sub = ${f.subject}` : null, ...Object.entries(f.claims).map(([k, v]) => `${k} = ${v}`)];
  return h(
    "ul",
    { class: "federation-conditions" },
    parts.filter(Boolean).map((p) => h("li", {}, h("code", {}, p))),
  );
}

async function addDialog(enc, reload) {
  const preset = h(
    "select",
    {},
    Object.entries(PRESETS).map(([key, p]) => h("option", { value: key }, p.name)),
  );
  const slot = h("div", {});
  const inputs = {};
  const audience = h("input", { type: "text", placeholder: "Latchkey's own URL" });
  const lifetime = h("input", { type: "number", min: "60", max: "86400", placeholder: "the credential's" });
  const paint = () => {
    const p = PRESETS[preset.value];
    for (const key of Object.keys(inputs)) delete inputs[key];
    replace(
      slot,
      notice("info", p.help),
      p.fields.map(([key, label, hint, required]) => {
        inputs[key] = key === "claims" ? h("textarea", { rows: "3" }) : h("input", { type: "text", required });
        return field(label, inputs[key], { hint, optional: !required });
      }),
    );
  };
  preset.addEventListener("change", paint);
  paint();
  const body = h(
    "div",
    {},
    field("Platform", preset),
    slot,
    field("Audience", audience, { optional: true, hint: "The aud the job asks its platform for." }),
    field("Longest token lifetime (seconds)", lifetime, { optional: true }),
  );
  await openDialog("Add a federated identity", body, {
    text: "Add",
    onConfirm: async () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim()]));
      await post(`/credentials/${enc}/federated-identities`, {
        preset: preset.value,
        ...PRESETS[preset.value].body(values),
        ...(audience.value.trim() ? { audience: audience.value.trim() } : {}),
        ...(lifetime.value ? { max_token_lifetime: Number(lifetime.value) } : {}),
      });
      toast("Federated identity added");
      await reload();
    },
  });
}

/** An inline dry run: a pasted token checked against the rules as an exchange would, minting nothing. */
function testPanel(enc) {
  const token = h("textarea", { rows: "4", spellcheck: "false", autocomplete: "off" });
  const result = h("div", { "aria-live": "polite" });
  const status = statusRegion();
  const submit = button("Test", null, { type: "submit" });
  return h(
    "details",
    { class: "federation-test" },
    h("summary", {}, "Test a token"),
    submitForm(
      {
        status,
        submit,
        clearStatus: true,
        check: () => (token.value.trim() ? null : "Paste a token first."),
        action: async () => {
          const r = await post(`/credentials/${enc}/federated-identities/test`, { subject_token: token.value.trim() });
          submit.disabled = false;
          const verdict = r.matched
            ? notice("ok", `Matches ${r.matched}.`)
            : notice("danger", r.token_problem ?? "No rule matched.");
          const failures = r.rules
            .filter((x) => x.failed)
            .map((x) => h("p", {}, h("code", {}, x.id), ` fails on ${x.failed}`));
          const claims = r.claims ? h("pre", { class: "federation-claims" }, JSON.stringify(r.claims, null, 2)) : null;
          replace(result, verdict, failures, claims);
        },
      },
      h("p", { class: "fine" }, "Paste an OIDC token from the job. Nothing is minted and the token stays usable."),
      field("Subject token", token),
      submit,
      status,
      result,
    ),
  );
}

/** The section for credential `c`; loads its rules itself. `canWrite`: the caller may add and delete. */
export function federationSection(c, canWrite) {
  const enc = encodeURIComponent(c.id);
  const list = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const reload = async () => {
    try {
      const { federated_identities: rules } = await get(`/credentials/${enc}/federated-identities`);
      replace(
        list,
        rules.length ? rulesTable(rules) : h("p", { class: "muted" }, "None: this credential needs a secret or a key."),
      );
    } catch (err) {
      replace(list, errorBox(err));
    }
  };
  const remove = async (f) => {
    const ok = await openDialog(
      "Delete this federated identity?",
      h("p", {}, `Jobs from ${f.issuer} matching it stop minting at once.`),
      {
        text: "Delete",
        kind: "danger",
        onConfirm: () => del(`/credentials/${enc}/federated-identities/${encodeURIComponent(f.id)}`),
      },
    );
    if (ok) await reload();
  };
  const rulesTable = (rules) =>
    table(
      [
        { label: "Platform", cell: (f) => PRESETS[f.preset]?.name ?? f.preset },
        { label: "Issuer", cell: (f) => h("code", {}, f.issuer) },
        { label: "Conditions", cell: conditions },
        {
          label: "Last used",
          cell: (f) =>
            h("span", {}, time(f.last_used_at), f.last_subject ? h("div", { class: "fine" }, f.last_subject) : null),
        },
        ...(canWrite ? [{ label: "", cell: (f) => button("Delete", () => remove(f), { kind: "ghost" }) }] : []),
      ],
      rules,
      { caption: "Federated identities" },
    );
  reload();
  return h(
    "section",
    { class: "section federation" },
    h("h2", {}, "Federated identities"),
    h(
      "p",
      { class: "fine" },
      "CI jobs and workloads exchange their own OIDC token for this credential's tokens: no secret to store or rotate. See docs/federation.md.",
    ),
    list,
    h("div", { class: "actions" }, canWrite ? button("Add federated identity", () => addDialog(enc, reload)) : null),
    testPanel(enc),
  );
}
