/** #/keys: the signing keys behind every token (read only; the hourly cron rotates them). */
import { h, time } from "../dom.js";
import { get } from "../api.js";
import { badge, pageHeader, table } from "../ui.js";

export async function render() {
  const { keys } = await get("/signing-keys");
  return h(
    "div",
    {},
    pageHeader("Signing keys", {
      lead: "Latchkey signs tokens with these keys and publishes the public halves at /.well-known/jwks.json. A new key is published before it signs, and a retired key stays published until its last token expires.",
    }),
    table(
      [
        { label: "Key ID (kid)", cell: (k) => h("code", { class: "mono wrap" }, k.kid) },
        { label: "Algorithm", cell: (k) => k.alg },
        { label: "Created", cell: (k) => time(k.created_at) },
        { label: "Signs from", cell: (k) => time(k.activates_at, "—") },
        { label: "Retired", cell: (k) => time(k.retired_at, "—") },
        { label: "Status", cell: (k) => badge(k.status) },
      ],
      keys,
      { caption: "Signing keys" },
    ),
    h(
      "p",
      { class: "fine" },
      h("a", { href: "/.well-known/jwks.json" }, "View the JWKS"),
      " · ",
      h("a", { href: "/.well-known/oauth-authorization-server" }, "Server metadata"),
    ),
  );
}
