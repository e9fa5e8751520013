/**
 * Helpers for console API tests: the first owner through the real owner link, people through real
 * invitations, and requests that carry the session cookie and the console's Origin as a browser would.
 */
import { expect } from "vitest";
import { call, env, ISSUER } from "./harness";

export const COOKIE = "__Host-latchkey_session";
export const BROWSER_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";
export const PASSWORD = "correct horse battery staple";

/** The session cookie value a response sets (asserting its attributes). */
export function sessionCookieOf(res: Response): string {
  const header = res.headers.get("set-cookie") ?? "";
  expect(header).toMatch(
    new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$`),
  );
  return header.slice(COOKIE.length + 1, COOKIE.length + 44);
}

export interface Person {
  cookie: string;
  email: string;
  send: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Response>;
}

/** A person's console requests: cookie, same Origin, JSON. */
export function person(cookie: string, email: string, ip = "203.0.113.9"): Person {
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(`/api/v1${path}`, {
      method,
      ip,
      headers: {
        cookie: `${COOKIE}=${cookie}`,
        origin: ISSUER,
        "user-agent": BROWSER_UA,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { cookie, email, send };
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}, ip?: string) {
  return call(`/api/v1${path}`, {
    method: "POST",
    ip,
    headers: { "content-type": "application/json", origin: ISSUER, "user-agent": BROWSER_UA, ...headers },
    body: JSON.stringify(body),
  });
}

export async function ownerLink(): Promise<Response> {
  return call("/api/v1/bootstrap/owner-link", {
    method: "POST",
    headers: { authorization: `Bearer ${env.BOOTSTRAP_TOKEN}` },
  });
}

export const tokenOf = (url: string) => new URL(url.replace("/#/", "/")).searchParams.get("token")!;

/** Creates the default tenant's first owner through a real owner link. */
export async function createOwner(email = "owner@example.com", name = "Olive Owner"): Promise<Person> {
  const link = (await (await ownerLink()).json()) as { url: string };
  const res = await postJson("/auth/setup-owner", { token: tokenOf(link.url), email, name, password: PASSWORD });
  expect(res.status).toBe(201);
  return person(sessionCookieOf(res), email);
}

/** Invites and signs up a person with `role` through the owner's real invitation. */
export async function invite(owner: Person, email: string, role: "owner" | "admin" | "viewer"): Promise<Person> {
  const created = (await (await owner.send("POST", "/invitations", { email, role })).json()) as { url: string };
  const res = await postJson("/auth/accept-invite", {
    token: tokenOf(created.url),
    name: email.split("@")[0],
    password: PASSWORD,
  });
  expect(res.status).toBe(201);
  return person(sessionCookieOf(res), email);
}
