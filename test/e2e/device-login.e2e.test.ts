/**
 * People in the terminal, end to end against the real local server (wrangler dev): the real `latchkey login`
 * (bundled CLI in a child process, private config dir) prints a code and a link, a real Chromium signs in to
 * the console and approves it on #/device, the CLI stores the tokens privately and the admin commands act as
 * that person (JSON and table output); a viewer's create is refused by the server (exit 6); the session is
 * listed in the console and `latchkey logout` ends it on the server.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { buildCli, removeTempDirs, spawnCli, tempConfigDir } from "../client/cli-helpers";
import { url } from "./support";
import { CHROMIUM, launchChromium } from "./support/console-browser";

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === "true") throw new Error(`${CHROMIUM} is missing: CI must install chromium.`);

const OWNER = { email: "dana.owner@device-e2e.test", name: "Dana Owner", password: "correct horse battery staple" };
const VIEWER = { email: "vik.viewer@device-e2e.test", password: "viewer password long enough" };

let cli: string;
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let browser: Browser;
let ownerCookie: string;

const json = async (res: Response) => (await res.json()) as Record<string, any>;
const consoleHeaders = (cookie?: string) => ({
  "content-type": "application/json",
  origin: url(),
  ...(cookie ? { cookie } : {}),
});
const cookieOf = (res: Response) => (res.headers.get("set-cookie") ?? "").split(";")[0] as string;

/** The first owner through the real owner link, and a viewer through a real invitation. */
async function createPeople(): Promise<void> {
  const link = await fetch(`${url()}/api/v1/bootstrap/owner-link`, {
    method: "POST",
    headers: { authorization: `Bearer ${inject("bootstrapToken")}` },
  });
  expect(link.status).toBe(201);
  const token = new URL((await json(link)).url.replace("/#/", "/")).searchParams.get("token");
  const setup = await fetch(`${url()}/api/v1/auth/setup-owner`, {
    method: "POST",
    headers: consoleHeaders(),
    body: JSON.stringify({ token, ...OWNER }),
  });
  expect(setup.status).toBe(201);
  ownerCookie = cookieOf(setup);
  const invitation = await fetch(`${url()}/api/v1/invitations`, {
    method: "POST",
    headers: consoleHeaders(ownerCookie),
    body: JSON.stringify({ email: VIEWER.email, role: "viewer" }),
  });
  const inviteToken = new URL((await json(invitation)).url.replace("/#/", "/")).searchParams.get("token");
  const accepted = await fetch(`${url()}/api/v1/auth/accept-invite`, {
    method: "POST",
    headers: consoleHeaders(),
    body: JSON.stringify({ token: inviteToken, name: "Vik Viewer", password: VIEWER.password }),
  });
  expect(accepted.status).toBe(201);
}

/** `latchkey login` in a child process; resolves the link it prints, then its exit. */
function startLogin(configDir: string, hostname: string) {
  const child = spawn(process.execPath, [cli, "login", url(), "--hostname", hostname], {
    env: { PATH: process.env.PATH, LATCHKEY_CONFIG_DIR: configDir, HOME: configDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const link = new Promise<{ link: string; code: string }>((resolve) => {
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const found = /(http:\/\/\S+#\/device\?user_code=\S+)[\s\S]*Code: ([A-Z]{4}-[A-Z]{4})/.exec(stdout);
      if (found) resolve({ link: found[1] as string, code: found[2] as string });
    });
  });
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { link, done };
}

/** Signs in to the console at `link` (the router sends us through #/login) and decides on #/device. */
async function approveInBrowser(link: string, person: { email: string; password: string }, decision = "Approve") {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  await page.goto(link);
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill(person.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Sign in a tool" }).waitFor();
  await page.getByRole("button", { name: "Continue" }).click();
  const review = page.locator(".device-review");
  await review.waitFor();
  const text = (await review.textContent()) ?? "";
  await page.getByRole("button", { name: decision }).click();
  await page.getByText(decision === "Approve" ? "Approved." : "Denied.").waitFor();
  return { text, page, close: () => context.close() };
}

const run = (configDir: string, args: string[]) =>
  spawnCli(cli, args, { env: { LATCHKEY_CONFIG_DIR: configDir, HOME: configDir } });

beforeAll(async () => {
  cli = await buildCli();
  await createPeople();
  if (hasChromium) {
    chrome = await launchChromium();
    browser = chrome.browser;
  }
});

afterAll(async () => {
  await chrome?.close();
  await removeTempDirs();
});

describe.skipIf(!hasChromium)("latchkey login approved in Chromium, then admin commands as that person", () => {
  let ownerDir: string;

  it("prints the code and the link, the console names the tool and host, and the CLI stores the tokens privately", async () => {
    ownerDir = await tempConfigDir();
    const login = startLogin(ownerDir, "e2e-box");
    const { link, code } = await login.link;
    expect(link).toBe(`${url()}/#/device?user_code=${code}`);
    const approval = await approveInBrowser(link, OWNER);
    expect(approval.text).toContain("latchkey CLI wants to sign in as you");
    expect(approval.text).toContain("e2e-box");
    expect(approval.text).toContain("Tenant it will act indefault");
    expect(approval.text).toContain(code);
    expect(approval.text).toContain("credentials:write");
    const result = await login.done;
    expect(result.code, result.stderr).toBe(0);
    await approval.page.goto(`${url()}/#/sessions`);
    await approval.page.getByText("latchkey CLI on e2e-box").waitFor();
    await approval.page.getByText("Ending one stops its refresh token at once").waitFor();
    await approval.close();

    expect(result.stdout).toContain(`Signed in as user:${OWNER.email} (owner) in profile "default".`);
    const file = join(ownerDir, "profiles", "default.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const profile = JSON.parse(await readFile(file, "utf8"));
    expect(profile).toMatchObject({ auth_method: "device_login", client_id: "latchkey-cli", role: "owner" });
    expect(result.stdout).not.toContain(profile.refresh_token);
    expect(result.stdout).not.toContain(profile.access_token);
  });

  it("runs each admin command as the person, with tables by default and --json", async () => {
    const resource = await run(ownerDir, [
      "resources",
      "create",
      "https://billing.e2e.example",
      "--name",
      "Billing",
      "--scope",
      "billing:read",
      "--write-scope",
      "billing:write",
    ]);
    expect(resource.code, resource.stderr).toBe(0);
    expect(resource.stdout).toMatch(/scopes:\s+billing:read billing:write\(write\)/);
    const resources = await run(ownerDir, ["resources", "list", "--json"]);
    expect(JSON.parse(resources.stdout).resources.map((r: { uri: string }) => r.uri)).toContain(
      "https://billing.e2e.example",
    );
    expect((await run(ownerDir, ["resources", "list"])).stdout).toMatch(/^URI\s+NAME\s+SCOPES\n/);

    const created = await run(ownerDir, [
      "credentials",
      "create",
      "billing-job",
      "--grant",
      "https://billing.e2e.example=billing:read",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const id = /client_id:\s+(lkc_\S+)/.exec(created.stdout)?.[1] as string;
    expect(created.stdout).toMatch(/client_secret \(shown once, store it now\): lks_\S+/);

    const withCode = await run(ownerDir, [
      "credentials",
      "create",
      "billing-box",
      "--grant",
      "https://billing.e2e.example=billing:read",
      "--setup-code",
    ]);
    expect(withCode.code, withCode.stderr).toBe(0);
    expect(withCode.stdout).toMatch(new RegExp(`\\n  npx latchkey setup ${url().replace(/[.]/g, "\\.")} lksc_\\S+\\n`));

    const table = await run(ownerDir, ["credentials", "list"]);
    expect(table.stdout).toMatch(/^CLIENT_ID\s+LABEL\s+STATUS\s+SCOPES\s+GROUPS\s+LAST_USED_AT\n/);
    expect(table.stdout).toContain("billing-job");
    const listed = JSON.parse((await run(ownerDir, ["credentials", "list", "--json"])).stdout);
    expect(listed.credentials.map((c: { label: string }) => c.label)).toEqual(
      expect.arrayContaining(["billing-job", "billing-box"]),
    );

    const shown = JSON.parse((await run(ownerDir, ["credentials", "show", id, "--json"])).stdout);
    expect(shown).toMatchObject({ client_id: id, label: "billing-job", status: "active" });
    const shownTable = (await run(ownerDir, ["credentials", "show", id])).stdout;
    expect(shownTable).toMatch(/^secrets:\s+sec_\S+ \(\.\.\.\S+, active, expires /m);
    expect(shownTable).toMatch(/^keys:\s+-$/m);
    expect(shownTable).toMatch(/^setup:\s+none$/m);
    const rotated = await run(ownerDir, ["credentials", "rotate", id, "--grace", "0"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/client_secret \(shown once, store it now\): lks_\S+/);
    const code = JSON.parse((await run(ownerDir, ["credentials", "setup-code", id, "--json"])).stdout);
    expect(code.setup_code.command).toMatch(/^npx latchkey setup /);
    const refused = await run(ownerDir, ["credentials", "revoke", id, "--confirm", "wrong-label"]);
    expect(refused.code).toBe(1);
    const revoked = await run(ownerDir, ["credentials", "revoke", id, "--confirm", "billing-job"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/status:\s+revoked/);

    const audit = JSON.parse((await run(ownerDir, ["audit", "--action", "credential.revoke", "--json"])).stdout);
    expect(audit.events.find((e: { target_id: string }) => e.target_id === id)).toMatchObject({
      actor: `user:${OWNER.email}`,
      action: "credential.revoke",
    });
    const auditTable = await run(ownerDir, ["audit", "--action", "auth.device_sign_in", "--limit", "5"]);
    expect(auditTable.stdout).toMatch(/^AT\s+ACTOR\s+ACTION\s+TARGET\s+IP\n/);
    expect(auditTable.stdout).toContain("auth.device_sign_in");
    expect((await run(ownerDir, ["credentials", "bogus"])).code).toBe(2);
    // The server's field errors reach the person: which input was refused, and why.
    const badQuery = await run(ownerDir, ["credentials", "list", "--status", "bogus"]);
    expect(badQuery.code).toBe(1);
    expect(badQuery.stderr).toMatch(/\(invalid_request\)\n {2}status: \S/);
  });

  it("runs the same commands with a management credential instead of a sign-in, within its scopes", async () => {
    const made = await run(ownerDir, [
      "credentials",
      "create",
      "cli-reader",
      "--grant",
      "urn:latchkey:management=credentials:read,audit:read",
    ]);
    expect(made.code, made.stderr).toBe(0);
    const env = {
      LATCHKEY_URL: url(),
      LATCHKEY_CLIENT_ID: /client_id:\s+(lkc_\S+)/.exec(made.stdout)?.[1],
      LATCHKEY_CLIENT_SECRET: /store it now\): (lks_\S+)/.exec(made.stdout)?.[1],
    };
    const dir = await tempConfigDir();
    const asMachine = (args: string[]) => spawnCli(cli, args, { env: { LATCHKEY_CONFIG_DIR: dir, HOME: dir, ...env } });
    const list = await asMachine(["credentials", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).credentials.map((c: { label: string }) => c.label)).toContain("cli-reader");
    const create = await asMachine(["resources", "create", "https://x.e2e.example", "--name", "X", "--scope", "x"]);
    expect(create.code).toBe(6);
    expect(create.stderr).toContain("resources:write");
  });

  it("signs a viewer in whose create the server refuses (exit 6), while reads work", async () => {
    const viewerDir = await tempConfigDir();
    const login = startLogin(viewerDir, "viewer-box");
    const approval = await approveInBrowser((await login.link).link, VIEWER);
    expect(approval.text).not.toContain("credentials:write");
    await approval.close();
    expect((await login.done).code).toBe(0);
    const create = await run(viewerDir, [
      "credentials",
      "create",
      "nope",
      "--grant",
      "https://billing.e2e.example=billing:read",
    ]);
    expect(create.code).toBe(6);
    expect(create.stderr).toContain("Refused by the server: This action needs the credentials:write scope.");
    const list = await run(viewerDir, ["credentials", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(list.stdout).credentials)).toBe(true);
  });

  it("fails the login with exit 3 when the person denies it", async () => {
    const dir = await tempConfigDir();
    const login = startLogin(dir, "denied-box");
    const denial = await approveInBrowser((await login.link).link, OWNER, "Deny");
    await denial.close();
    const result = await login.done;
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("The sign-in was denied in the console.");
  });

  it("logs out on the server too: the session leaves the console's list and the profile is forgotten", async () => {
    const out = await run(ownerDir, ["logout"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Ended the sign-in of user:${OWNER.email}`);
    const sessions = await json(await fetch(`${url()}/api/v1/sessions`, { headers: consoleHeaders(ownerCookie) }));
    expect(sessions.sessions.map((s: { device: string }) => s.device)).not.toContain("latchkey CLI on e2e-box");
    const after = await run(ownerDir, ["credentials", "list"]);
    expect(after.code).not.toBe(0);
  });
});
