/**
 * The console in a real Chromium against a real local Latchkey (wrangler dev, local D1/KV/DOs). The tests
 * run in order and build on each other like a person's first hour: set up the owner, add an API, create
 * credentials both ways (one claimed by the real `latchkey` CLI), rotate, retire, revoke issued tokens, revoke,
 * invite a viewer, end a session from elsewhere. Screenshots of the main pages go to docs/screenshots with UPDATE_SCREENSHOTS=1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumAvailable,
  launchChromium,
  mintStatus,
  runCli,
  screenshot,
  startConsoleServer,
  type ConsoleServer,
} from "./support/console-browser";

const hasChromium = chromiumAvailable();

const OWNER = { name: "Ana Owner", email: "ana@example.com", password: "correct horse battery staple" };
const VIEWER = { name: "Vic Viewer", email: "vic@example.com", password: "viewer password long enough" };
const XSS_LABEL = "<img src=x onerror=alert(1)>";

describe.skipIf(!hasChromium)("console in Chromium", () => {
  let server: ConsoleServer;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  let viewerContext: BrowserContext;
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const created: Record<string, { id: string; secret?: string }> = {};

  const go = async (p: Page, route: string) => {
    await p.goto(`${server.url}/#/${route}`);
    await p
      .locator("main[aria-busy]")
      .waitFor({ state: "detached" })
      .catch(() => undefined);
    await p.locator("main h1").first().waitFor();
  };
  const heading = (p: Page) => p.locator("main h1").first().textContent();
  const newContext = async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    context.on("page", (p) => watch(p));
    return context;
  };
  const watch = (p: Page) => {
    p.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    p.on("pageerror", (e) => pageErrors.push(e.message));
  };

  /** Walks the create flow; returns the new credential's id (from the Done link). */
  const createCredential = async (
    label: string,
    opts: { delivery: "secret" | "setup_code"; write?: boolean; shots?: boolean },
  ) => {
    await go(page, "credentials/new");
    await page.getByLabel("Label").fill(label);
    await page.getByRole("button", { name: "Next: access" }).click();
    await page.getByRole("heading", { name: /What may .* do\?/ }).waitFor();
    expect(await page.getByLabel("API (resource)").inputValue()).toBe("https://orders.example.com");
    expect(await page.getByRole("checkbox", { name: /orders:read/ }).isChecked()).toBe(true);
    if (opts.write) {
      await page.getByText("Write scopes (let this machine change things)").click();
      await page.getByRole("checkbox", { name: /orders:write/ }).check();
      await page.getByRole("button", { name: "Next: review" }).click();
      await page.getByText("Confirm the write access, or untick the write scopes.").waitFor();
      await page.getByRole("checkbox", { name: /I understand this machine will be able to change data/ }).check();
    }
    await page.getByLabel("Groups").fill("platform, ci");
    await page.getByRole("button", { name: "Next: review" }).click();
    await page.getByRole("heading", { name: "Review" }).waitFor();
    if (opts.delivery === "setup_code")
      await page.getByRole("radio", { name: /Give the machine a setup code/ }).check();
    if (opts.shots) await screenshot(page, "create-review");
    await page.getByRole("button", { name: "Create credential" }).click();
    await page.getByRole("heading", { name: `${label} is ready` }).waitFor();
    const href = await page.getByRole("link", { name: "Done: open the credential" }).getAttribute("href");
    return decodeURIComponent(href!.replace("#/credentials/", ""));
  };

  beforeAll(async () => {
    server = await startConsoleServer();
    chrome = await launchChromium();
    browser = chrome.browser;
    owner = await newContext();
    page = await owner.newPage();
  });

  afterAll(async () => {
    await chrome?.close();
    server?.stop();
  });

  it("serves the console shell with a strict CSP and no-store", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
    );
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(res.headers.get("permissions-policy")).toContain("camera=()");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
  });

  it("sets up the first owner from the one-time link and shows the empty state", async () => {
    const res = await fetch(`${server.url}/api/v1/bootstrap/owner-link`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.bootstrapToken}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(new RegExp(`^${server.url}/#/setup-owner\\?token=`));
    await page.goto(url);
    await page.getByRole("heading", { name: "Set up the first owner" }).waitFor();
    await page.getByLabel("Your name").fill(OWNER.name);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password", { exact: true }).fill("too short");
    await page.getByLabel("Password again").fill("too short");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByText("Use at least 12 characters.", { exact: false }).waitFor();
    await page.getByLabel("Password", { exact: true }).fill(OWNER.password);
    await page.getByLabel("Password again").fill(OWNER.password);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await page.getByRole("heading", { name: "No service credentials yet" }).waitFor();
    expect(await page.getByText("A service credential is an identity for a machine, not a person").count()).toBe(1);
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    expect(await page.locator(".whoami-name").textContent()).toBe(OWNER.name);
  });

  it("signs out, refuses a wrong password, and signs back in", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    // Sign-up is off unless SIGNUP_ENABLED (realms.browser.test.ts has it on): no link, and its page says so.
    expect(await page.getByRole("link", { name: "Create an organisation" }).count()).toBe(0);
    await screenshot(page, "sign-in", false);
    await page.getByLabel("Email").fill(OWNER.email);
    await page.getByLabel("Password").fill("not the password at all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("That email and password do not match an account here.").waitFor();
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Service credentials", exact: true }).waitFor();
    await go(page, "signup");
    await page.getByText("Sign-up is not open on this Latchkey.", { exact: false }).waitFor();
  });

  it("adds a resource with a read and a write scope", async () => {
    await go(page, "resources");
    await page.getByText("Add a resource").click();
    await page.getByLabel("Resource URI").fill("https://orders.example.com");
    await page.getByLabel("Name", { exact: true }).fill("Orders API");
    await page.getByLabel("Scope name").fill("orders:read");
    await page.getByLabel("Description").fill("Read orders");
    await page.getByRole("button", { name: "Add a scope" }).click();
    await page.getByLabel("Scope name").nth(1).fill("orders:write");
    await page.getByLabel("Description").nth(1).fill("Create and change orders");
    await page.getByRole("checkbox", { name: "Write scope" }).nth(1).check();
    await page.getByRole("button", { name: "Add resource" }).click();
    await page.getByRole("heading", { name: "Orders API" }).waitFor();
    expect(await page.getByRole("cell", { name: "orders:write" }).count()).toBe(1);
  });

  it("creates a credential with a secret shown exactly once", async () => {
    const id = await createCredential("deploy-bot-prod", { delivery: "secret", write: true, shots: true });
    const secret = await page.getByLabel("Client secret", { exact: true }).inputValue();
    expect(await page.getByLabel("Client ID", { exact: true }).inputValue()).toBe(id);
    expect(secret.length).toBeGreaterThan(40);
    await page.getByText("This is the only time this secret is shown.").waitFor();
    await screenshot(page, "secret-once");
    await page.getByRole("button", { name: "Copy Client secret" }).click();
    await page.getByText("Copied").waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await mintStatus(server.url, id, secret)).toBe(200);

    await page.getByRole("link", { name: "Done: open the credential" }).click();
    await page.getByRole("heading", { name: "deploy-bot-prod", level: 1 }).waitFor();
    await go(page, "credentials");
    await page.goBack();
    await page.getByRole("heading", { name: "deploy-bot-prod", level: 1 }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await go(page, "credentials/new");
    await page.goBack();
    expect(await page.content()).not.toContain(secret);
    const apiText = await page.evaluate(async (cid) => {
      const one = await (await fetch(`/api/v1/credentials/${cid}`)).text();
      const all = await (await fetch("/api/v1/credentials")).text();
      return one + all;
    }, id);
    expect(apiText).toContain(id);
    expect(apiText).not.toContain(secret);
    created.deploy = { id, secret };
  });

  it("creates a credential with a setup code that the real CLI claims while the page watches", async () => {
    const id = await createCredential("nightly-export", { delivery: "setup_code" });
    const command = await page.getByLabel("Command for the machine", { exact: true }).inputValue();
    const code = /lksc_[A-Za-z0-9_-]+/.exec(command)?.[0];
    expect(code, command).toBeTruthy();
    expect(command).toContain(server.url);
    await page.getByText("Waiting for the machine to redeem the code").waitFor();
    const countdown = await page.locator(".countdown").textContent();
    expect(countdown).toMatch(/^(10:00|9:[0-5]\d)$/);
    await screenshot(page, "setup-code-waiting");

    const home = mkdtempSync(path.join(tmpdir(), "latchkey-cli-home-"));
    try {
      const cli = await runCli(["setup", server.url, code!], home);
      expect(cli.code, cli.stderr + cli.stdout).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    await page
      .getByText("Claimed. The machine has its credential and can mint tokens now.")
      .waitFor({ timeout: 15_000 });
    expect(await page.locator(".claim-state").textContent()).toContain(hostname());
    expect(await page.locator(".claim-state").textContent()).toContain("127.0.0.1");
    expect(await page.locator(".claim-state code.mono").textContent()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await screenshot(page, "setup-code-claimed");
    created.nightly = { id };
  });

  it("rotates a secret, then retires the old one", async () => {
    const { id, secret: oldSecret } = created.deploy!;
    await go(page, `credentials/${id}`);
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Rotate the secret" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Old secrets keep working for").inputValue()).toBe("86400");
    await dialog.getByRole("button", { name: "Create new secret" }).click();
    await page.getByRole("heading", { name: "New secret: copy it now" }).waitFor();
    await page.getByText("The previous secret keeps working for 24 hours.", { exact: false }).waitFor();
    const newSecret = await page.getByLabel("Client secret", { exact: true }).inputValue();
    expect(newSecret).not.toBe(oldSecret);
    expect(await mintStatus(server.url, id, newSecret)).toBe(200);
    expect(await mintStatus(server.url, id, oldSecret!)).toBe(200);
    const rows = page.locator("section:has(h2:text-is('Secrets')) tbody tr");
    expect(await rows.count()).toBe(2);
    await screenshot(page, "credential-detail");

    const hints = await page
      .locator("section:has(h2:text-is('Secrets')) tbody td[data-label='Secret'] code")
      .allTextContents();
    const oldHint = hints.find((hint) => oldSecret!.startsWith(hint.replace("…", "")));
    expect(oldHint, hints.join(", ")).toBeTruthy();
    await page.getByRole("button", { name: `Retire secret ${oldHint}` }).click();
    await page.getByRole("dialog", { name: "Retire secret?" }).getByRole("button", { name: "Retire secret" }).click();
    await page.getByText("The secret was retired.").waitFor();
    await page.locator("section:has(h2:text-is('Secrets')) .badge-retired").waitFor();
    expect(await mintStatus(server.url, id, oldSecret!)).toBe(401);
    expect(await mintStatus(server.url, id, newSecret)).toBe(200);
    created.deploy = { id, secret: newSecret };
  });

  it("sets a network allow-list from the Guardrails section, refuses a bad range, and removes it", async () => {
    const { id, secret } = created.deploy!;
    await go(page, `credentials/${id}`);
    const section = page.locator("section.guardrails");
    await section.getByRole("heading", { name: "Guardrails" }).waitFor();
    const ranges = section.getByLabel("Allowed ranges (CIDR, one per line; IPv4 or IPv6)");
    await ranges.fill("10.0.0.0/33");
    await section.getByRole("button", { name: "Save allow-list" }).click();
    await section.getByRole("alert").getByText("The request body is invalid.", { exact: false }).waitFor();
    await ranges.fill("203.0.113.7/24\n2001:DB8::/32");
    await section.getByLabel("Outside the list").selectOption("monitor");
    await section.getByRole("button", { name: "Save allow-list" }).click();
    await page.getByText("Allow-list saved.").waitFor();
    await page.locator("section.guardrails code.chip", { hasText: "203.0.113.0/24" }).waitFor();
    await page.locator("section.guardrails code.chip", { hasText: "2001:db8::/32" }).waitFor();
    expect(await mintStatus(server.url, id, secret!)).toBe(200);
    await page.locator("section.guardrails").getByRole("button", { name: "Remove allow-list" }).click();
    await page.getByText("Allow-list removed.").waitFor();
    await page.getByText("No allow-list: this credential may be used from anywhere.").waitFor();
  });

  it("shows a label with markup as plain text and never runs it", async () => {
    const id = await createCredential(XSS_LABEL, { delivery: "secret" });
    await go(page, "credentials");
    await page.getByRole("link", { name: XSS_LABEL, exact: true }).waitFor();
    await go(page, `credentials/${id}`);
    expect(await heading(page)).toBe(XSS_LABEL);
    await go(page, `audit?target=${id}`);
    await page.getByText("credential.create").first().waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    created.xss = { id };
  });

  it("revokes the tokens a credential holds now; it keeps minting, and the revocation feed names it", async () => {
    const { id, secret } = created.deploy!;
    await go(page, `credentials/${id}`);
    await page.getByText("No issued tokens have been revoked.").waitFor();
    await page.getByRole("button", { name: "Revoke issued tokens…" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke the tokens deploy-bot-prod holds now?" });
    await dialog.getByText("resource servers that poll the revocation feed", { exact: false }).waitFor();
    await dialog.getByRole("button", { name: "Revoke issued tokens" }).click();
    await page.getByText("Tokens issued before", { exact: false }).waitFor();
    expect(await mintStatus(server.url, id, secret!)).toBe(200);
    const feed = await (await fetch(`${server.url}/.well-known/latchkey-revocations`)).text();
    const claims = JSON.parse(Buffer.from(feed.split(".")[1]!, "base64url").toString()) as {
      revoked_clients: { client_id: string }[];
    };
    expect(claims.revoked_clients.map((c) => c.client_id)).toContain(id);
  });

  it("revokes only after the label is typed exactly", async () => {
    const { id, secret } = created.deploy!;
    await go(page, `credentials/${id}`);
    await page.getByText("Create the replacement first", { exact: false }).waitFor();
    await page.getByRole("button", { name: "Revoke…" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke deploy-bot-prod?" });
    const confirm = dialog.getByRole("button", { name: "Revoke credential" });
    const typed = dialog.getByLabel(/Type the label to confirm/);
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill("deploy-bot-pro");
    expect(await confirm.isDisabled()).toBe(true);
    await typed.fill("deploy-bot-prod");
    expect(await confirm.isEnabled()).toBe(true);
    await confirm.click();
    await page.locator(".subhead .badge-revoked").waitFor();
    expect(await page.getByRole("button", { name: "Rotate secret" }).count()).toBe(0);
    expect(await mintStatus(server.url, id, secret!)).toBe(401);
  });

  it("pages through the audit log with filters", async () => {
    await go(page, "audit?limit=3");
    expect(await page.locator("main tbody tr").count()).toBe(3);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.getByText("6 events shown").waitFor();
    await page.getByLabel("Action").fill("credential.revoke");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByText("1 event shown").waitFor();
    expect(await page.locator("main tbody tr").first().textContent()).toContain(`user:${OWNER.email}`);
    await go(page, "audit");
    await screenshot(page, "audit-log");
  });

  it("invites a viewer through the UI; the viewer sees a read-only console", async () => {
    await go(page, "members");
    await page.getByLabel("Email").fill(VIEWER.email);
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const link = await page.getByLabel("Invitation link", { exact: true }).inputValue();
    expect(link).toMatch(new RegExp(`^${server.url}/#/accept-invite\\?token=`));
    await page.locator("[data-invitations] .badge-pending").waitFor();
    await screenshot(page, "members");

    viewerContext = await newContext();
    const viewer = await viewerContext.newPage();
    const apiCalls: string[] = [];
    viewer.on("request", (r) => {
      if (r.url().includes("/api/")) apiCalls.push(`${r.method()} ${r.url()}`);
    });
    await viewer.goto(link);
    await viewer.getByRole("heading", { name: "Join Latchkey" }).waitFor();
    // The invitation token is looked up in a POST body, never in a URL the server (or its logs) sees.
    expect(apiCalls).toContain(`POST ${server.url}/api/v1/auth/invitation`);
    expect(apiCalls.filter((c) => c.includes("token="))).toEqual([]);
    expect(await viewer.locator(".invite-summary").textContent()).toContain("with the role viewer");
    await viewer.getByLabel("Your name").fill(VIEWER.name);
    await viewer.getByLabel("Password", { exact: true }).fill(VIEWER.password);
    await viewer.getByLabel("Password again").fill(VIEWER.password);
    await viewer.getByRole("button", { name: "Accept and create account" }).click();
    await viewer.getByRole("heading", { name: "Service credentials", exact: true }).waitFor();
    expect(await viewer.getByRole("link", { name: "New credential" }).count()).toBe(0);
    expect(await viewer.getByRole("link", { name: "Members" }).count()).toBe(0);
    await go(viewer, `credentials/${created.nightly!.id}`);
    await viewer.getByRole("heading", { name: "Secrets" }).waitFor();
    for (const name of ["Rotate secret", "New setup code", "Revoke…", "Edit groups"]) {
      expect(await viewer.getByRole("button", { name }).count(), name).toBe(0);
    }
    await go(viewer, "credentials/new");
    expect(await heading(viewer)).toBe("Not available for your role");
  });

  it("ends the viewer's session from the owner's browser; the viewer is signed out on the next click", async () => {
    await go(page, "sessions");
    await page
      .getByRole("cell", { name: new RegExp(VIEWER.email) })
      .first()
      .waitFor();
    expect(await page.locator("tr.row-current").count()).toBe(1);
    await screenshot(page, "sessions");
    await page.getByRole("button", { name: new RegExp(`^End session of ${VIEWER.email}`) }).click();
    await page.getByRole("dialog", { name: "End this session?" }).getByRole("button", { name: "End session" }).click();
    await page.getByText("The session was ended.").waitFor();

    const viewer = viewerContext.pages()[0]!;
    await viewer.getByRole("link", { name: "Audit log" }).click();
    await viewer.getByRole("heading", { name: "Sign in", exact: true }).waitFor();
    expect(await viewer.locator(".auth-card").textContent()).toContain("Your session has ended");
    expect(viewer.url()).toContain("#/login?ended=1");
  });

  it("adds a webhook endpoint, offering exactly the server's event types, and shows its secret once", async () => {
    await go(page, "webhooks");
    await page.getByText("Add an endpoint").click();
    const boxes = page.locator(".webhook-events input[type=checkbox]");
    const offered = await boxes.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    const listed = (await (await page.request.get(`${server.url}/api/v1/webhooks`)).json()) as {
      event_types: string[];
    };
    expect(offered).toEqual(listed.event_types);
    expect(offered).toContain("credential.not_caching");
    expect(offered).not.toContain("webhook.test");
    await page.getByLabel("Endpoint URL").fill("http://127.0.0.1:9/latchkey-hook");
    await page.getByRole("checkbox", { name: "credential.revoked" }).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    await page.getByText("Copy the signing secret now: it is shown only once.").waitFor();
    expect(await page.locator("main").textContent()).toMatch(/whsec_/);
    expect(await page.getByText("http://127.0.0.1:9/latchkey-hook").count()).toBeGreaterThan(0);
  });

  it("lists the signing keys read only", async () => {
    await go(page, "keys");
    expect(await heading(page)).toBe("Signing keys");
    const rows = page.locator("main tbody tr");
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await page.locator("main tbody .badge-current").count()).toBe(1);
    expect(await rows.first().locator("td[data-label='Algorithm']").textContent()).toBe("ES256");
    expect(await page.locator("main button").count()).toBe(0);
  });

  it("turns tables into cards on a narrow screen", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "light" });
    await phone.addCookies(await owner.cookies());
    const p = await phone.newPage();
    watch(p);
    await go(p, "credentials");
    const display = await p.locator("main table thead").evaluate((el) => getComputedStyle(el).position);
    expect(display).toBe("absolute");
    const before = await p
      .locator("main tbody td")
      .first()
      .evaluate((el) => getComputedStyle(el, "::before").content);
    expect(before).toBe('"Label"');
    await screenshot(p, "credentials-mobile");
    await phone.close();

    const dark = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "dark" });
    await dark.addCookies(await owner.cookies());
    const d = await dark.newPage();
    watch(d);
    await go(d, `credentials/${created.nightly!.id}`);
    expect(await d.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(17, 20, 24)");
    await screenshot(d, "credential-detail-dark");
    await dark.close();
    await go(page, "credentials");
    await screenshot(page, "credentials-list");
  });

  it("shows how long to wait after too many failed sign-ins", async () => {
    const context = await newContext();
    const p = await context.newPage();
    await go(p, "login");
    let throttled = false;
    for (let i = 0; i < 12 && !throttled; i += 1) {
      await p.getByLabel("Email").fill(VIEWER.email);
      await p.getByLabel("Password").fill(`wrong password ${i}`);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.locator(".form-status .notice").waitFor();
      throttled = (await p.getByText("Too many sign-in attempts.").count()) > 0;
    }
    expect(throttled).toBe(true);
    expect(await p.getByRole("button", { name: "Sign in" }).isDisabled()).toBe(true);
    expect(await p.locator(".form-status").textContent()).toMatch(/wait \d+:\d\d before trying again/);
    await context.close();
  });

  it("raised no page errors and no browser dialogs", () => {
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
