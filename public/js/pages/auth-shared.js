/** Pieces shared by the sign-in, first-owner and accept-invitation pages: the centred card and password rules. */
import { h } from "../dom.js";

export const MIN_PASSWORD = 12;

/** The centred card the public pages live in. */
export function authCard(title, lead, ...body) {
  return h(
    "section",
    { class: "auth-card" },
    h("div", { class: "auth-brand" }, h("img", { src: "/favicon.svg", alt: "", width: "36", height: "36" }), h("span", {}, "Latchkey")),
    h("h1", { tabindex: "-1" }, title),
    lead ? h("p", { class: "lead" }, lead) : null,
    body,
  );
}

/** Checks a new password pair; returns a message or null. */
export function passwordProblem(password, confirm) {
  if (password.length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters. A few unrelated words make a good one.`;
  if (password !== confirm) return "The two passwords are different.";
  return null;
}

/** Where to go after signing in: the `next` route if it is a safe in-app hash, else the home route. */
export function safeNext(next, fallback) {
  return next && /^#\/[A-Za-z0-9/_\-?=&%.]*$/.test(next) && !next.startsWith("#/login") ? next : fallback;
}
