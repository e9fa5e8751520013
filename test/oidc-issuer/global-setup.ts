/**
 * vitest globalSetup of the workers project: starts the local OIDC issuer (server.ts) in node
 * and hands its base URL to the workerd tests with provide(), which reach it through workerd's real fetch.
 */
import type { TestProject } from "vitest/node";
import { startOidcIssuer } from "./server";

declare module "vitest" {
  export interface ProvidedContext {
    oidcIssuerBase: string;
  }
}

export default async function setup(project: TestProject) {
  const issuer = await startOidcIssuer();
  project.provide("oidcIssuerBase", issuer.base);
  return () => issuer.stop();
}
