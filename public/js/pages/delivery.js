/**
 * The two ways a new credential reaches its machine, used by the create flow, Rotate and New setup code:
 * a secret shown exactly once, or a setup code with a live 10-minute countdown whose claim the page watches
 * (GET /api/v1/credentials/{id} every 2 s while the tab is visible). Neither value is ever stored: it lives in
 * these elements and is gone when the page changes.
 */
import { h, mmss, replace, time } from "../dom.js";
import { get } from "../api.js";
import { announce, badge, button, copyField, details, notice } from "../ui.js";

/** The once-only secret panel. */
export function secretOnce({ clientId, clientSecret, title = "Copy the secret now", extra }) {
  return h(
    "section",
    { class: "panel panel-secret", "aria-labelledby": "secret-once-title" },
    h("h2", { id: "secret-once-title" }, title),
    notice(
      "warn",
      h("strong", {}, "This is the only time this secret is shown. "),
      "Latchkey stores only a keyed hash of it: it cannot be fetched again, and it disappears when you leave this page. Put it straight into the machine's secret store (CI secrets, a vault, an environment file readable only by the service).",
    ),
    extra ?? null,
    copyField("Client ID", clientId),
    copyField("Client secret", clientSecret, { secret: true }),
    h(
      "p",
      { class: "fine" },
      "The machine trades these for tokens at ",
      h("code", {}, `${location.origin}/oauth/token`),
      " with grant_type=client_credentials. If the secret is ever lost, rotate it: nothing else changes.",
    ),
  );
}

/** What a setup code delivers, fixed by the admin when it is issued; the machine cannot choose another. */
export const modeLabel = (mode) =>
  mode === "secret" ? "client secret (redeemed with --secret)" : "key pair (private_key_jwt)";

/** Claim details of a redeemed setup code. */
export function claimDetails(setup) {
  return details([
    ["Claimed", time(setup.claimed_at, "—")],
    [
      "Machine",
      setup.claimed_hostname ? h("code", {}, setup.claimed_hostname) : h("span", { class: "muted" }, "not reported"),
    ],
    ["IP address", setup.claimed_ip ? h("code", {}, setup.claimed_ip) : h("span", { class: "muted" }, "unknown")],
    [
      "Key thumbprint",
      setup.key_thumbprint
        ? h("code", { class: "mono wrap" }, setup.key_thumbprint)
        : h("span", { class: "muted" }, "none (secret mode)"),
    ],
    setup.mode ? ["Mode", modeLabel(setup.mode)] : null,
  ]);
}

/**
 * The setup-code panel: countdown, the one line to paste, and the claim status updated live.
 * `onNewCode` (optional) issues a fresh code when this one expires.
 */
export function setupCodePanel(ctx, credentialId, setupCode, { onNewCode } = {}) {
  const expiresMs = Date.parse(setupCode.expires_at);
  const command = setupCode.command || `npx latchkey setup ${location.origin} ${setupCode.code}`;
  const countdown = h("span", { class: "countdown", "aria-hidden": "true" });
  const countdownSr = h("span", { class: "sr-only" });
  const state = h("div", { class: "claim-state", "aria-live": "polite" });
  const body = h("div", {});
  const panel = h(
    "section",
    { class: "panel panel-setup", "aria-labelledby": "setup-code-title" },
    h(
      "div",
      { class: "panel-head" },
      h("h2", { id: "setup-code-title" }, "Set up the machine"),
      h("div", { class: "timer" }, "Expires in ", countdown, countdownSr),
    ),
    body,
    state,
  );
  const secretMode = setupCode.mode === "secret";
  replace(
    body,
    h(
      "p",
      {},
      secretMode
        ? "Run this one line on the machine (or paste it to the agent working there). It redeems the code once and stores the client secret it receives on that machine."
        : "Run this one line on the machine (or paste it to the agent working there). It redeems the code once, creates a key on that machine and stores the credential there; the private key never leaves it.",
    ),
    details([["Delivers", modeLabel(setupCode.mode)]]),
    copyField("Command for the machine", command, { secret: true, multiline: true }),
    notice(
      "info",
      "The code works once and only for 10 minutes. Anyone holding it can claim this credential, so send it only to the machine's operator, over a private channel. Leaving this page hides it for good.",
    ),
  );

  let done = false;
  let finalPoll = false;
  let pollTimer = null;
  let tickTimer = null;
  const stop = () => {
    done = true;
    clearInterval(tickTimer);
    clearTimeout(pollTimer);
    document.removeEventListener("visibilitychange", onVisibility);
  };
  ctx.cleanup(stop);

  const showWaiting = () =>
    replace(
      state,
      h(
        "p",
        { class: "waiting" },
        h("span", { class: "spinner", "aria-hidden": "true" }),
        "Waiting for the machine to redeem the code…",
        badge("pending"),
      ),
    );
  const showClaimed = (setup) => {
    stop();
    panel.classList.add("panel-claimed");
    replace(countdown.parentElement, badge("claimed"));
    replace(
      body,
      h("p", { class: "claimed-lead" }, "✓ Claimed. The machine has its credential and can mint tokens now."),
    );
    replace(state, claimDetails(setup));
    announce("The setup code was claimed by the machine.");
  };
  const showExpired = () => {
    stop();
    replace(countdown.parentElement, badge("expired"));
    replace(
      body,
      notice("warn", "This setup code expired before a machine used it. Nothing was created on any machine."),
    );
    replace(state, onNewCode ? button("Create a new setup code", onNewCode, { kind: "primary" }) : null);
    announce("The setup code expired.");
  };

  const tick = () => {
    const left = (expiresMs - Date.now()) / 1000;
    countdown.textContent = mmss(left);
    countdownSr.textContent =
      Math.floor(left) % 60 === 0 ? `${Math.round(left / 60)} minutes left` : countdownSr.textContent;
    if (left <= 0 && !finalPoll) {
      finalPoll = true;
      void poll(true);
    }
  };
  const poll = async (final = false) => {
    if (done) return;
    clearTimeout(pollTimer);
    try {
      const credential = await get(`/credentials/${encodeURIComponent(credentialId)}`);
      if (done) return;
      const setup = credential.setup;
      if (setup?.status === "claimed") return void showClaimed(setup);
      if (setup?.status === "expired" || final || Date.now() >= expiresMs) return void showExpired();
    } catch {
      /* a transient failure: try again on the next tick */
    }
    if (!done && document.visibilityState === "visible") pollTimer = setTimeout(poll, 2000);
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible") void poll();
  };
  document.addEventListener("visibilitychange", onVisibility);
  showWaiting();
  tick();
  tickTimer = setInterval(tick, 1000);
  pollTimer = setTimeout(poll, 2000);
  return panel;
}
