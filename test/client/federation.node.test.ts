/**
 * The CLI's secretless mode in-process, with a recording fetch standing in for the two servers it talks to
 * (GitHub's runner token endpoint and Latchkey's token endpoint): what is sent (RFC 8693 form, no
 * Authorization header, the audience asked of GitHub), a token file read at every mint, and every usage
 * mistake refused with exit 2 before any request. The real servers are exercised in test/e2e/federation.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, runCli, tempConfigDir } from "./cli-helpers.js";

const LATCHKEY = "https://latchkey.example.com";
const RUNNER = "https://runner.example.com/token?api-version=2.0";

afterAll(removeTempDirs);

/** A fetch answering discovery, GitHub's runner and the token endpoint, recording every request. */
function recordingFetch() {
  const requests: { url: string; headers: Headers; body: string }[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    requests.push({ url, headers: new Headers(init?.headers), body: String(init?.body ?? "") });
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    if (url.endsWith("/.well-known/oauth-authorization-server"))
      return json({ issuer: LATCHKEY, token_endpoint: `${LATCHKEY}/oauth/token` });
    if (url.startsWith("https://runner.example.com/")) return json({ count: 1, value: "eyJ.subject.token" });
    return json({ access_token: `at-${requests.length}`, token_type: "Bearer", expires_in: 600, scope: "deploy" });
  };
  return { requests, fetch };
}

async function env(extra: Record<string, string> = {}) {
  const dir = await tempConfigDir();
  return {
    LATCHKEY_CONFIG_DIR: dir,
    LATCHKEY_URL: LATCHKEY,
    LATCHKEY_CLIENT_ID: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
    ...extra,
  };
}

describe("latchkey token --federated", () => {
  it("asks the runner for a token with Latchkey's URL as audience and exchanges it without a secret", async () => {
    const { requests, fetch } = recordingFetch();
    const runner = { ACTIONS_ID_TOKEN_REQUEST_URL: RUNNER, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "rt" };
    const r = await runCli(["token", "--federated", "github-actions"], { env: await env(runner), io: { fetch } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^at-\d+\n$/);
    const asked = requests.find((q) => q.url.startsWith("https://runner.example.com/"));
    expect(new URL(asked!.url).searchParams.get("audience")).toBe(LATCHKEY);
    expect(new URL(asked!.url).searchParams.get("api-version")).toBe("2.0");
    expect(asked!.headers.get("authorization")).toBe("bearer rt");
    const mint = requests.find((q) => q.url === `${LATCHKEY}/oauth/token`)!;
    expect(mint.headers.get("authorization")).toBeNull();
    expect(Object.fromEntries(new URLSearchParams(mint.body))).toEqual({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      client_id: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
      subject_token: "eyJ.subject.token",
      subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
    });
  });

  it("reads a token file at every mint (LATCHKEY_FEDERATED=file:PATH or --federated-token-file)", async () => {
    const { requests, fetch } = recordingFetch();
    const base = await env();
    const file = join(base.LATCHKEY_CONFIG_DIR, "jwt");
    await writeFile(file, "first.token.jwt\n");
    expect(
      (await runCli(["token", "--no-cache", "--federated-token-file", file], { env: base, io: { fetch } })).code,
    ).toBe(0);
    await writeFile(file, "second.token.jwt\n");
    const viaEnv = await runCli(["token", "--no-cache"], {
      env: { ...base, LATCHKEY_FEDERATED: `file:${file}` },
      io: { fetch },
    });
    expect(viaEnv.code).toBe(0);
    const sent = requests
      .filter((q) => q.url.endsWith("/oauth/token"))
      .map((q) => new URLSearchParams(q.body).get("subject_token"));
    expect(sent).toEqual(["first.token.jwt", "second.token.jwt"]);
    const missing = await runCli(["token", "--no-cache", "--federated-token-file", `${file}.nope`], {
      env: base,
      io: { fetch },
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot read the federated token file/);
  });

  it("refuses usage mistakes with exit 2 before any request", async () => {
    const { requests, fetch } = recordingFetch();
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["token", "--federated", "github-actions"], {}, /id-token: write/],
      [["token", "--federated", "gitlab"], {}, /--federated-token-file/],
      [["token", "--federated", "github-actions", "--federated-token-file", "/x"], {}, /not both/],
      [["token"], { LATCHKEY_FEDERATED: "circleci" }, /github-actions" or "file:PATH/],
      [["token"], { LATCHKEY_FEDERATED: "github-actions", LATCHKEY_CLIENT_SECRET: "lks_x" }, /exactly one/],
    ];
    for (const [args, extra, message] of cases) {
      const r = await runCli(args, { env: await env(extra), io: { fetch } });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    const noClient = await runCli(["token"], {
      env: { LATCHKEY_CONFIG_DIR: (await env()).LATCHKEY_CONFIG_DIR, LATCHKEY_FEDERATED: "github-actions" },
      io: { fetch },
    });
    expect(noClient.code).toBe(2);
    expect(noClient.stderr).toMatch(/LATCHKEY_CLIENT_ID/);
    expect(requests).toEqual([]);
  });
});
