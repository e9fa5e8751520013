/**
 * The DPoP panel of a credential's page (RFC 9449): whether the token endpoint requires a DPoP proof for it,
 * and, for an admin who may write, the switch that changes it (PATCH require_dpop; the change is audited).
 * Required: every token is bound to the machine's proof key, so a copied token is useless elsewhere.
 */
import { h } from "../dom.js";
import { patch } from "../api.js";
import { badge, button, errorBox, toast } from "../ui.js";

/** Renders the panel for credential `c`; `reload` repaints the page after a change. */
export function renderCredentialDpop(c, canWrite, reload) {
  const host = h("div", { class: "credential-dpop" });
  const change = async () => {
    try {
      await patch(`/credentials/${encodeURIComponent(c.id)}`, { require_dpop: !c.require_dpop });
      toast(c.require_dpop ? "DPoP is now optional." : "DPoP is now required.");
      await reload();
    } catch (err) {
      host.append(errorBox(err));
    }
  };
  host.append(
    h(
      "p",
      {},
      c.require_dpop ? badge("DPoP required", "active") : badge("DPoP optional", "pending"),
      " ",
      c.require_dpop
        ? "Tokens are minted only with a DPoP proof and are bound to the machine's key (token_type DPoP)."
        : "Tokens are bound when the machine sends a DPoP proof (latchkey token --dpop), Bearer otherwise.",
    ),
    canWrite
      ? button(c.require_dpop ? "Make DPoP optional" : "Require DPoP", change, { "data-testid": "toggle-dpop" })
      : null,
  );
  return host;
}
