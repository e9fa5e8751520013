/**
 * Realms in the console, in a real Chromium against a real local Latchkey started with SIGNUP_ENABLED=true
 * (console.browser.test.ts runs with sign-up off and checks the link is absent). In order, like a founder's
 * first hour: sign up an organisation (the API's field errors shown beside their fields, taken names and
 * emails said in words), claim a second tenant's first-owner link as the signed-in person, hand a third
 * tenant's link to a new person instead, switch between tenants with the switcher (each shows its own
 * credentials only, and the choice survives a reload), sign up a further organisation while signed in, and
 * invite another tenant's owner, who signs in from the link and joins by membership. Over 300 lines because
 * the steps build on one server and one founder's browser; a second file would start a second wrangler dev.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chromiumAvailable,
  launchChromium,
  screenshot,
  startConsoleServer,
  type ConsoleServer,
} from "./support/console-browser";

const hasChromium = chromiumAvailable();

const ANA = { name: "Ana Founder", email: "ana@acme.example", password: "a founder's long password" };
const CARL = { name: "Carl Initech", email: "carl@initech.example", password: "carl's long enough password" };
const MANAGEMENT = "urn:latchkey:management";

describe.skipIf(!hasChromium)("realms in the console (sign-up, first-owner claims, the tenant switcher)", () => {
  let server: ConsoleServer;
  let chrome: Awaited<ReturnType<typeof launchChromium>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let globexLink: string;
  const pageErrors: string[] = [];

  const newContext = async () => {
    const c = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
    c.on("page", (p) => p.on("pageerror", (e) => pageErrors.push(e.message)));
    return c;
  };
  const settled = async (p: Page) => {
    await p
      .locator("main[aria-busy]")
      .waitFor({ state: "detached" })
      .catch(() => undefined);
    await p.locator("main h1").first().waitFor();
  };
  const go = async (p: Page, route: string) => {
    await p.goto(`${server.url}/#/${route}`);
    await settled(p);
  };
  /** POST /api/v1/tenants behind the bootstrap token; returns the first-owner link. */
  const operatorTenant = async (name: string, id: string) => {
    const res = await fetch(`${server.url}/api/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.bootstrapToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name, id }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { owner_link: { url: string } };
    expect(body.owner_link.url).toMatch(new RegExp(`^${server.url}/#/setup-owner\\?token=`));
    return body.owner_link.url;
  };
  /** Creates a credential in the page's active tenant through the admin API, with the page's own session. */
  const credentialInActiveTenant = (label: string) =>
    page.evaluate(
      async ({ label, resource }) => {
        const res = await fetch("/api/v1/credentials", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ label, grants: [{ resource, scopes: ["credentials:read"] }] }),
        });
        return { status: res.status, body: (await res.json()) as { issuer: string } };
      },
      { label, resource: MANAGEMENT },
    );
  const me = () => page.evaluate(async () => (await fetch("/api/v1/me")).json());
  const switcher = () => page.getByLabel("Switch tenant");
  const selectedTenant = () => switcher().evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent);

  beforeAll(async () => {
    server = await startConsoleServer({ SIGNUP_ENABLED: "true" });
    chrome = await launchChromium();
    browser = chrome.browser;
    context = await newContext();
    page = await context.newPage();
  });

  afterAll(async () => {
    await chrome?.close();
    server?.stop();
  });

  it("tells the sign-in page that sign-up is open, which then offers it", async () => {
    const res = await fetch(`${server.url}/api/v1/auth/options`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ signup_enabled: true });
    await go(page, "login");
    await page.getByRole("link", { name: "Create an organisation" }).click();
    await page.getByRole("heading", { name: "Create an organisation" }).waitFor();
    expect(page.url()).toBe(`${server.url}/#/signup`);
  });

  it("signs up an organisation: the API's field errors beside their fields, then the owner lands in it", async () => {
    await page.getByLabel("Organisation name").fill("Acme Corp");
    const id = page.getByLabel("Organisation id");
    await id.fill("Acme_Corp");
    await page.getByLabel("Your name").fill(ANA.name);
    await page.getByLabel("Email").fill(ANA.email);
    await page.getByLabel("Password", { exact: true }).fill(ANA.password);
    await page.getByLabel("Password again").fill(ANA.password);
    await page.getByRole("button", { name: "Create an organisation" }).click();
    await page.getByText("Check the fields marked above.").waitFor();
    const idError = page.locator(`.field:has(#${await id.getAttribute("id")}) .field-error`);
    expect(await idError.textContent()).toBe("3-32 of a-z, 0-9 and inner single hyphens; not a reserved name");
    expect(await id.getAttribute("aria-invalid")).toBe("true");
    expect(await id.getAttribute("aria-describedby")).toContain(await idError.getAttribute("id"));
    expect(await page.locator(".field-error").count()).toBe(1);
    await screenshot(page, "signup");

    await id.fill("");
    await page.getByRole("button", { name: "Create an organisation" }).click();
    await page.getByRole("heading", { name: "No service credentials yet" }).waitFor();
    await page.getByText("Acme Corp is ready. You are its owner.").waitFor();
    expect(await page.locator(".tenant-current").textContent()).toBe("Tenant: acme-corp");
    expect(await page.locator(".whoami-name").textContent()).toBe(ANA.name);
    expect(await page.locator(".whoami-role").textContent()).toBe("owner");
    expect(await me()).toMatchObject({
      user: { email: ANA.email, role: "owner" },
      tenant: { id: "acme-corp", issuer: `${server.url}/t/acme-corp` },
    });
    const acme = await credentialInActiveTenant("acme-bot");
    expect(acme.status).toBe(201);
    expect(acme.body.issuer).toBe(`${server.url}/t/acme-corp`);
  });

  it("says in words when the organisation's id or the owner's email is taken", async () => {
    const other = await newContext();
    const p = await other.newPage();
    await go(p, "signup");
    const fill = async (org: string, email: string) => {
      await p.getByLabel("Organisation name").fill(org);
      await p.getByLabel("Your name").fill("Someone Else");
      await p.getByLabel("Email").fill(email);
      await p.getByLabel("Password", { exact: true }).fill("someone else's password");
      await p.getByLabel("Password again").fill("someone else's password");
      await p.getByRole("button", { name: "Create an organisation" }).click();
    };
    await fill("Acme Corp", "someone@else.example");
    await p.getByText("An organisation with this id already exists. Choose another id (or another name).").waitFor();
    expect(await p.locator(".field-error").allTextContents()).toEqual(["This id is taken."]);
    await fill("Beta Labs", ANA.email);
    await p.getByText("A person with this email already has an account here.", { exact: false }).waitFor();
    expect(await p.locator(".field-error").allTextContents()).toEqual(["This email already has an account."]);
    expect(await p.getByRole("link", { name: "Sign in" }).first().getAttribute("href")).toBe(
      `#/login?next=${encodeURIComponent("#/signup")}`,
    );
    await other.close();
  });

  it("claims another tenant's first-owner link as the signed-in person, once", async () => {
    globexLink = await operatorTenant("Globex", "globex");
    await page.goto(globexLink);
    await page.getByRole("heading", { name: "Set up the first owner" }).waitFor();
    await page.getByText(`You are signed in as ${ANA.email}.`).waitFor();
    expect(await page.getByLabel("Your name").count()).toBe(0);
    await screenshot(page, "claim-owner", false);
    await page.getByRole("button", { name: `Become the owner of this tenant as ${ANA.email}` }).click();
    await page.getByText("You are now the owner of Globex.").waitFor();
    await page.getByRole("heading", { name: "No service credentials yet" }).waitFor();
    await switcher().waitFor();
    expect(await selectedTenant()).toBe("Globex (owner)");
    expect(await me()).toMatchObject({ user: { email: ANA.email, role: "owner" }, tenant: { id: "globex" } });
    const globex = await credentialInActiveTenant("globex-bot");
    expect(globex.status).toBe(201);
    expect(globex.body.issuer).toBe(`${server.url}/t/globex`);

    await page.goto(globexLink);
    await page.getByRole("button", { name: `Become the owner of this tenant as ${ANA.email}` }).click();
    await page.getByText("This setup link is invalid, expired or already used.", { exact: false }).waitFor();
    expect(await page.getByRole("button", { name: /Become the owner/ }).isEnabled()).toBe(true);
  });

  it("signs out from a first-owner link and creates a new person with it instead", async () => {
    const link = await operatorTenant("Initech", "initech");
    const other = await newContext();
    const p = await other.newPage();
    await go(p, "login");
    await p.getByLabel("Email").fill(ANA.email);
    await p.getByLabel("Password").fill(ANA.password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.getByRole("heading", { name: "Service credentials", exact: true }).waitFor();
    await p.goto(link);
    await p.getByRole("button", { name: "Sign out and create a new person instead" }).click();
    await p.getByLabel("Your name").fill(CARL.name);
    await p.getByLabel("Email").fill(CARL.email);
    await p.getByLabel("Password", { exact: true }).fill(CARL.password);
    await p.getByLabel("Password again").fill(CARL.password);
    await p.getByRole("button", { name: "Create owner account" }).click();
    await p.getByRole("heading", { name: "No service credentials yet" }).waitFor();
    expect(await p.locator(".whoami-name").textContent()).toBe(CARL.name);
    expect(await p.locator(".tenant-current").textContent()).toBe("Tenant: initech");
    await other.close();
  });

  it("switches tenants with the switcher: each shows only its own credentials, and the choice survives a reload", async () => {
    await go(page, "credentials");
    await switcher().waitFor();
    expect(await switcher().locator("option").allTextContents()).toEqual(["Acme Corp (owner)", "Globex (owner)"]);
    expect(await selectedTenant()).toBe("Globex (owner)");
    await page.getByRole("link", { name: "globex-bot" }).waitFor();
    expect(await page.getByRole("link", { name: "acme-bot" }).count()).toBe(0);

    const switchTo = async (id: string) => {
      await Promise.all([page.waitForEvent("load"), switcher().selectOption(id)]);
      await settled(page);
      await switcher().waitFor();
    };
    await switchTo("acme-corp");
    expect(await selectedTenant()).toBe("Acme Corp (owner)");
    await page.getByRole("link", { name: "acme-bot" }).waitFor();
    await screenshot(page, "tenant-switcher", false);
    expect(await page.getByRole("link", { name: "globex-bot" }).count()).toBe(0);
    expect((await me()).tenant.id).toBe("acme-corp");

    await page.reload();
    await settled(page);
    await switcher().waitFor();
    expect(await selectedTenant()).toBe("Acme Corp (owner)");
    await page.getByRole("link", { name: "acme-bot" }).waitFor();
    expect(await page.getByRole("link", { name: "globex-bot" }).count()).toBe(0);

    await switchTo("globex");
    await page.getByRole("link", { name: "globex-bot" }).waitFor();
    expect(await page.getByRole("link", { name: "acme-bot" }).count()).toBe(0);
    await go(page, "audit");
    await page.locator("code.action", { hasText: "session.tenant.switch" }).first().waitFor();
  });

  it("signs up a further organisation while signed in (only its name, the same person its owner), or signs out to sign up anew", async () => {
    await go(page, "signup");
    await page.getByText(`You become the owner of the new organisation as ${ANA.email}.`).waitFor();
    expect(await page.getByLabel("Your name").count()).toBe(0);
    expect(await page.getByLabel("Password", { exact: true }).count()).toBe(0);
    await page.getByLabel("Organisation name").fill("Hooli");
    await page.getByRole("button", { name: "Create an organisation" }).click();
    await page.getByText("Hooli is ready. You are its owner.").waitFor();
    await page.getByRole("heading", { name: "No service credentials yet" }).waitFor();
    await switcher().waitFor();
    expect(await selectedTenant()).toBe("Hooli (owner)");
    expect(await switcher().locator("option").count()).toBe(3);
    expect(await me()).toMatchObject({ user: { email: ANA.email }, tenant: { id: "hooli" } });

    await go(page, "signup");
    await page.getByRole("button", { name: "Sign out and sign up as someone else" }).click();
    await page.getByLabel("Your name").waitFor();
    expect(await page.getByText("You become the owner of the new organisation as").count()).toBe(0);
    expect(await page.evaluate(async () => (await fetch("/api/v1/me")).status)).toBe(401);
  });

  it("invites the owner of another tenant: signed out, they sign in through the offered path and join with the invited role", async () => {
    await go(page, "login");
    await page.getByLabel("Email").fill(ANA.email);
    await page.getByLabel("Password").fill(ANA.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Service credentials", exact: true }).waitFor();
    expect((await me()).tenant.id).toBe("acme-corp");
    await go(page, "members");
    await page.getByLabel("Email").fill(CARL.email);
    await page.getByLabel("Role").selectOption("admin");
    await page.getByRole("button", { name: "Create invitation link" }).click();
    const link = await page.getByLabel("Invitation link", { exact: true }).inputValue();
    expect(link).toMatch(new RegExp(`^${server.url}/#/accept-invite\\?token=`));
    const second = await page.evaluate(async (email) => {
      const res = await fetch("/api/v1/invitations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, role: "viewer" }),
      });
      return { status: res.status, body: (await res.json()) as { url: string } };
    }, CARL.email);
    expect(second.status).toBe(201);

    const carlContext = await newContext();
    const carl = await carlContext.newPage();
    const apiCalls: string[] = [];
    carl.on("request", (r) => {
      if (r.url().includes("/api/"))
        apiCalls.push(`${r.method()} ${new URL(r.url()).pathname}${new URL(r.url()).search}`);
    });
    await carl.goto(link);
    await carl.getByRole("heading", { name: "Join Acme Corp" }).waitFor();
    expect(await carl.locator(".invite-summary p").first().textContent()).toBe(
      `You are invited to Acme Corp as ${CARL.email} with the role admin.`,
    );
    await carl.getByText(`${CARL.email} already has a Latchkey account. Sign in with it to join Acme Corp.`).waitFor();
    expect(await carl.getByLabel("Your name").count()).toBe(0);
    await carl.getByRole("link", { name: `Sign in as ${CARL.email} to join` }).click();
    await carl.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await carl.getByLabel("Email").inputValue()).toBe(CARL.email);
    await carl.getByLabel("Password").fill(CARL.password);
    await carl.getByRole("button", { name: "Sign in" }).click();
    await carl.getByText(`You are signed in as ${CARL.email}.`).waitFor();
    expect(carl.url()).toBe(link);
    await screenshot(carl, "join-invite", false);
    // Behind the page's back, the browser's session changes to another person, then ends: each refusal in words.
    const signInAs = (who: { email: string; password: string }) =>
      carl.evaluate(
        async (body) =>
          (
            await fetch("/api/v1/auth/login", {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(body),
            })
          ).status,
        { email: who.email, password: who.password },
      );
    const join = carl.getByRole("button", { name: "Join Acme Corp" });
    expect(await signInAs(ANA)).toBe(200);
    await join.click();
    await carl.getByText(`You are no longer signed in as ${CARL.email}, whom this invitation is for.`).waitFor();
    expect(await carl.evaluate(async () => (await fetch("/api/v1/auth/logout", { method: "POST" })).status)).toBe(204);
    await join.click();
    await carl.getByText("Your session has ended. Sign in again, and this page opens once more.").waitFor();
    expect(await signInAs(CARL)).toBe(200);
    await join.click();
    await carl.getByText("You joined Acme Corp as admin.").waitFor();
    await carl.getByRole("link", { name: "acme-bot" }).waitFor();
    expect(await carl.locator(".whoami-role").textContent()).toBe("admin");
    const carlSwitcher = carl.getByLabel("Switch tenant");
    await carlSwitcher.waitFor();
    expect((await carlSwitcher.locator("option").allTextContents()).sort()).toEqual([
      "Acme Corp (admin)",
      "Initech (owner)",
    ]);
    expect(await carlSwitcher.evaluate((s: HTMLSelectElement) => s.selectedOptions[0]?.textContent)).toBe(
      "Acme Corp (admin)",
    );
    expect(await carl.evaluate(async () => (await fetch("/api/v1/me")).json())).toMatchObject({
      user: { email: CARL.email, role: "admin" },
      tenant: { id: "acme-corp" },
    });
    expect(apiCalls).toContain("POST /api/v1/auth/join");
    expect(apiCalls.filter((c) => c.includes("token="))).toEqual([]);
    expect(apiCalls.filter((c) => c.includes("accept-invite"))).toEqual([]);

    await carl.goto(link);
    await carl.getByRole("heading", { name: "Invitation not valid" }).waitFor();
    await carl.goto(second.body.url);
    await carl.getByRole("button", { name: "Join Acme Corp" }).click();
    await carl
      .getByText("You already belong to this tenant. Choose it in the tenant switcher in the sidebar.")
      .waitFor();
    await carlContext.close();

    await page.goto(second.body.url);
    await page.getByRole("heading", { name: "Join Acme Corp" }).waitFor();
    await page
      .getByText(
        `This invitation is for another email: you are signed in as ${ANA.email}. Sign out and sign in as ${CARL.email} to join Acme Corp.`,
      )
      .waitFor();
    expect(await page.getByRole("button", { name: "Join Acme Corp" }).count()).toBe(0);
    await page.getByRole("button", { name: `Sign out and sign in as ${CARL.email}` }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.getByLabel("Email").inputValue()).toBe(CARL.email);
    expect(new URL(page.url()).hash).toBe(
      `#/login?email=${encodeURIComponent(CARL.email)}&next=${encodeURIComponent(new URL(second.body.url).hash)}`,
    );
    expect(await page.evaluate(async () => (await fetch("/api/v1/me")).status)).toBe(401);
  });

  it("raised no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
