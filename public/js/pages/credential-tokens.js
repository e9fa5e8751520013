/**
 * The "Issued tokens" section of #/credentials/<id>: when the credential's tokens were last revoked, and
 * the action "Revoke issued tokens" (POST /api/v1/credentials/{id}/tokens/revoke). It ends every access
 * token the credential holds now, at introspection, the admin API and resource servers that read the
 * revocation feed, while the credential keeps minting new ones; the dialog says which verifiers it reaches.
 */
import { h, time } from "../dom.js";
import { post } from "../api.js";
import { button, notice, openDialog, toast } from "../ui.js";

/** The section for credential `c`; `canWrite` shows the action, `reload` repaints the page after it. */
export function tokensSection(c, canWrite, reload) {
  const revokeTokens = async () => {
    const ok = await openDialog(
      `Revoke the tokens ${c.label} holds now?`,
      h(
        "div",
        {},
        notice(
          "warn",
          "Every access token this credential was issued until now is refused: by introspection and the admin API at once, and by resource servers that poll the revocation feed within their poll interval (20 s by default). Resource servers that only check signatures keep accepting them until they expire.",
        ),
        h("p", {}, "The credential itself keeps working: the automation mints a new token on its next request."),
      ),
      {
        text: "Revoke issued tokens",
        kind: "danger",
        onConfirm: () => post(`/credentials/${encodeURIComponent(c.id)}/tokens/revoke`),
      },
    );
    if (ok) {
      toast(`Tokens issued to ${c.label} until now are revoked.`);
      await reload();
    }
  };
  return h(
    "section",
    { class: "section tokens-section" },
    h("h2", {}, "Issued tokens"),
    h(
      "p",
      {},
      c.tokens_not_before
        ? h("span", {}, "Tokens issued before ", time(c.tokens_not_before), " are revoked.")
        : "No issued tokens have been revoked.",
    ),
    canWrite ? button("Revoke issued tokens…", revokeTokens, { kind: "danger" }) : null,
  );
}
