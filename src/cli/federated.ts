/**
 * Secretless CI for the CLI (RFC 8693 token exchange): where the workload's own OIDC token comes from.
 * `LATCHKEY_FEDERATED=github-actions` asks the runner for one (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN) with the
 * audience the federated identity expects; `LATCHKEY_FEDERATED=file:PATH` reads one from a file (GitLab
 * `id_tokens`, a Kubernetes projected service-account token), again at every mint since those files rotate.
 */
import { readFile } from "node:fs/promises";
import type { FetchLike } from "../client/discovery.js";
import { githubActionsIdToken } from "../client/federated-tokens.js";
import { LatchkeyError } from "../client/errors.js";
import { CliError, ExitCode, usage } from "./errors.js";

/** A function returning a fresh subject token for each mint. */
export type SubjectTokenProducer = () => Promise<string>;

async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new CliError(
      ExitCode.error,
      `Cannot read the federated token file (${path}): ${(error as NodeJS.ErrnoException).code ?? "error"}.`,
    );
  }
  const token = text.trim();
  if (!token) throw new CliError(ExitCode.error, `The federated token file (${path}) is empty.`);
  return token;
}

/**
 * The subject-token producer for a LATCHKEY_FEDERATED value (`github-actions` or `file:PATH`).
 * @param audience the `aud` to ask GitHub for: LATCHKEY_FEDERATED_AUDIENCE, else the Latchkey URL.
 */
export function federatedSource(
  spec: string,
  env: Record<string, string | undefined>,
  fetchImpl: FetchLike,
  audience: string,
): SubjectTokenProducer {
  if (spec.startsWith("file:") && spec.length > 5) {
    const path = spec.slice(5);
    return () => readTokenFile(path);
  }
  if (spec !== "github-actions")
    throw usage(`LATCHKEY_FEDERATED must be "github-actions" or "file:PATH", not "${spec.slice(0, 40)}".`);
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    throw usage(
      "--federated github-actions needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN: give the job `permissions: id-token: write`.",
    );
  return async () => {
    try {
      return await githubActionsIdToken({ audience, env, fetch: fetchImpl });
    } catch (error) {
      const why = error instanceof LatchkeyError || error instanceof TypeError ? error.message : "error";
      throw new CliError(ExitCode.unreachable, `Cannot get the job's OIDC token from GitHub Actions: ${why}.`);
    }
  };
}
