/**
 * The console's entry: a hash router (#/credentials/<id> ...), the signed-in layout with its navigation,
 * and focus management (each route change moves focus to the new page's heading). Pages are modules under
 * pages/ exporting `render(ctx)`; a page registers timers and polls with ctx.cleanup so leaving it stops them
 * and forgets anything it held (a secret shown once lives only in that page's closure).
 */
import { h, refreshTimes, replace } from "./dom.js";
import { onSessionEnded, post } from "./api.js";
import { can, currentMe, forget, homeRoute, loadMe } from "./session.js";
import { errorBox, pageHeader, toast } from "./ui.js";
import * as login from "./pages/login.js";
import * as setupOwner from "./pages/setup-owner.js";
import * as signup from "./pages/signup.js";
import * as acceptInvite from "./pages/accept-invite.js";
import * as credentials from "./pages/credentials.js";
import * as credentialNew from "./pages/credential-new.js";
import * as credentialDetail from "./pages/credential-detail.js";
import * as resources from "./pages/resources.js";
import * as audit from "./pages/audit.js";
import * as sessions from "./pages/sessions.js";
import * as members from "./pages/members.js";
import * as keys from "./pages/keys.js";
import * as webhooks from "./pages/webhooks.js";
import * as device from "./pages/device.js";
import { renderTenantSwitcher } from "./pages/tenant-switcher.js";

const ROUTES = [
  { path: "/login", page: login, public: true },
  { path: "/setup-owner", page: setupOwner, public: true },
  { path: "/signup", page: signup, public: true },
  { path: "/accept-invite", page: acceptInvite, public: true },
  { path: "/credentials", page: credentials, scope: "credentials:read" },
  { path: "/credentials/new", page: credentialNew, scope: "credentials:write" },
  { path: "/credentials/:id", page: credentialDetail, scope: "credentials:read" },
  { path: "/resources", page: resources, scope: "resources:read" },
  { path: "/audit", page: audit, scope: "audit:read" },
  { path: "/sessions", page: sessions },
  { path: "/members", page: members, visible: () => can("members:read") || currentMe()?.user?.role === "admin" },
  { path: "/keys", page: keys, scope: "credentials:read" },
  { path: "/webhooks", page: webhooks, scope: "webhooks:read" },
  { path: "/device", page: device },
];

const NAV = [
  ["#/credentials", "Credentials", "/credentials"],
  ["#/resources", "Resources & scopes", "/resources"],
  ["#/audit", "Audit log", "/audit"],
  ["#/sessions", "Sessions", "/sessions"],
  ["#/members", "Members", "/members"],
  ["#/keys", "Signing keys", "/keys"],
  ["#/webhooks", "Webhooks", "/webhooks"],
];

const cleanups = [];
let renderSeq = 0;

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  return { path: path.replace(/\/+$/, "") || "/", query: new URLSearchParams(qs) };
}

function match(path) {
  for (const route of ROUTES) {
    const names = [];
    const re = new RegExp(
      `^${route.path.replace(/:(\w+)/g, (_, n) => {
        names.push(n);
        return "([^/]+)";
      })}$`,
    );
    const m = re.exec(path);
    if (m) return { route, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

function allowed(route) {
  if (route.scope && !can(route.scope)) return false;
  return route.visible ? route.visible() : true;
}

/** Navigates to a hash route (replace: no new history entry). */
export function navigate(hash, { replace: replaceEntry = false } = {}) {
  if (location.hash === hash) return void render();
  if (replaceEntry) {
    history.replaceState(null, "", hash);
    render();
  } else location.hash = hash;
}

function layout(signedIn, path) {
  const app = document.getElementById("app");
  const main = document.getElementById("main");
  if (!signedIn) {
    app.className = "app app-public";
    replace(app, main);
    return main;
  }
  const me = currentMe();
  const links = NAV.filter(([, , p]) => allowed(match(p).route)).map(([href, text, p]) =>
    h("a", { href, class: "nav-link", "aria-current": path === p || path.startsWith(`${p}/`) ? "page" : null }, text),
  );
  const signOut = h("button", { type: "button", class: "btn btn-ghost btn-small", onclick: signOutNow }, "Sign out");
  const sidebar = h(
    "nav",
    { class: "sidebar", "aria-label": "Console" },
    h(
      "a",
      { class: "brand", href: homeRoute() },
      h("img", { src: "/favicon.svg", alt: "", width: "28", height: "28" }),
      h("span", {}, "Latchkey"),
    ),
    h("div", { class: "nav-links" }, links),
    h(
      "div",
      { class: "whoami" },
      h("span", { class: "whoami-name", title: me.user.email }, me.user.name || me.user.email),
      h("span", { class: "whoami-role" }, me.user.role),
      renderTenantSwitcher(me, navigate),
      signOut,
    ),
  );
  app.className = "app app-signed-in";
  replace(app, sidebar, main);
  return main;
}

async function signOutNow() {
  try {
    await post("/auth/logout", undefined, { quiet401: true });
  } catch {
    /* the session may already be gone; signing out locally is what matters */
  }
  forget();
  navigate("#/login?signed_out=1");
}

async function render() {
  for (const fn of cleanups.splice(0)) fn();
  const seq = ++renderSeq;
  const { path, query } = parseHash();
  if (path === "/") return navigate(currentMe() || (await loadMe()) ? homeRoute() : "#/login", { replace: true });
  const found = match(path);
  if (!found?.route.public && !currentMe() && !(await loadMe())) {
    return navigate(`#/login?next=${encodeURIComponent(location.hash)}`, { replace: true });
  }
  if (seq !== renderSeq) return;
  const main = layout(!found?.route.public, path);
  const ctx = {
    params: found?.params ?? {},
    query,
    me: currentMe(),
    can,
    navigate,
    cleanup: (fn) => cleanups.push(fn),
    rerender: render,
  };
  main.setAttribute("aria-busy", "true");
  let node;
  try {
    if (!found)
      node = pageHeader("Page not found", {
        lead: "There is nothing at this address. Use the navigation to find your way.",
      });
    else if (!allowed(found.route))
      node = pageHeader("Not available for your role", {
        lead: "Your role cannot open this page. Ask an owner if you need more access.",
      });
    else node = await found.route.page.render(ctx);
  } catch (err) {
    node = h("div", {}, pageHeader("This page could not load"), errorBox(err));
  }
  if (seq !== renderSeq) return;
  main.removeAttribute("aria-busy");
  replace(main, node);
  const heading = main.querySelector("h1");
  document.title = heading ? `${heading.textContent} · Latchkey` : "Latchkey console";
  (heading ?? main).focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

onSessionEnded(() => {
  if (!currentMe()) return;
  forget();
  toast("Your session has ended. Sign in again to continue.", "warn");
  navigate(`#/login?ended=1&next=${encodeURIComponent(location.hash)}`, { replace: true });
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main").focus();
});
window.addEventListener("hashchange", render);
setInterval(() => refreshTimes(), 30_000);
render();
