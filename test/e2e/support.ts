/** Helpers for end-to-end tests against the real local server started by global-setup.ts. */
import { inject } from "vitest";

export const url = () => inject("latchkeyUrl");

/** A management credential and a bearer-authenticated admin API caller. */
export async function adminSession() {
  const res = await fetch(`${url()}/api/v1/bootstrap`, {
    method: "POST",
    headers: { authorization: `Bearer ${inject("bootstrapToken")}`, "content-type": "application/json" },
    body: JSON.stringify({ recreate: true }),
  });
  if (res.status !== 201) throw new Error(`bootstrap: ${res.status} ${await res.text()}`);
  const cred = (await res.json()) as { client_id: string; client_secret: string };
  const tokenRes = await fetch(`${url()}/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${cred.client_id}:${cred.client_secret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url()}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${access_token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };
  return { ...cred, accessToken: access_token, api };
}
