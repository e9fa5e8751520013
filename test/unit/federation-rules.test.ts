/**
 * The pure federation policy at its boundaries: the issuer URL policy (https and a public host; loopback only
 * while Latchkey is on loopback), the creation safety rules and pins of each preset, and condition matching
 * (exact values, `*` globs, audiences as string or array, non-scalar claims failing).
 */
import { describe, expect, it } from "vitest";
import { audienceContains, failedCondition, matchesCondition } from "../../src/domain/federation-match";
import {
  buildFederatedRule,
  GITHUB_ACTIONS_ISSUER,
  issuerUrlProblem,
  type FederatedIdentityInput,
} from "../../src/domain/federation-rules";

const SELF = "https://latchkey.example.com";
const LOCAL = "http://127.0.0.1:8787";

describe("issuer URL policy", () => {
  it("accepts https with a public host name, paths included", () => {
    for (const url of [
      GITHUB_ACTIONS_ISSUER,
      "https://gitlab.example.com",
      "https://oidc.eks.eu-west-1.amazonaws.com/id/AB12",
    ])
      expect(issuerUrlProblem(url, SELF), url).toBeNull();
  });

  it("refuses http, IP literals, local names, credentials, queries and fragments", () => {
    for (const url of [
      "http://issuer.example.com",
      "https://10.0.0.1",
      "https://[fe80::1]",
      "https://printer.local",
      "https://intranet",
      "https://u:p@issuer.example.com",
      "https://issuer.example.com/?x=1",
      "https://issuer.example.com/#f",
      "not a url",
    ])
      expect(issuerUrlProblem(url, SELF), url).not.toBeNull();
  });

  it("accepts loopback only while Latchkey itself is on loopback", () => {
    expect(issuerUrlProblem("http://127.0.0.1:9000/x", SELF)).toMatch(/loopback/);
    expect(issuerUrlProblem("http://127.0.0.1:9000/x", LOCAL)).toBeNull();
    expect(issuerUrlProblem("http://localhost:9000", LOCAL)).toBeNull();
  });
});

describe("creation safety rules", () => {
  const build = (input: Partial<FederatedIdentityInput>) =>
    buildFederatedRule({ preset: "generic", claims: {}, ...input }, SELF);

  it("fills the preset's issuer and Latchkey's issuer as the default audience", () => {
    const built = build({ preset: "github-actions", claims: { repository_owner_id: "1", repository_id: "2" } });
    expect(built).toEqual({
      ok: true,
      rule: {
        preset: "github-actions",
        issuer: GITHUB_ACTIONS_ISSUER,
        audience: SELF,
        subject: null,
        claims: { repository_owner_id: "1", repository_id: "2" },
        maxTokenLifetime: null,
      },
    });
  });

  it("requires the pinned ids of shared issuers, whatever the preset, as exact numbers", () => {
    expect(build({ preset: "github-actions", claims: { repository_id: "2" } }).ok).toBe(false);
    expect(build({ issuer: GITHUB_ACTIONS_ISSUER, subject: "repo:a/b:ref:refs/heads/main" }).ok).toBe(false);
    expect(build({ preset: "gitlab", claims: { namespace_id: "1", project_id: "2*" } }).ok).toBe(false);
    expect(build({ preset: "gitlab", claims: { namespace_id: "1", project_id: "2" } }).ok).toBe(true);
  });

  it("refuses a rule without conditions, match-all conditions and reserved claim names", () => {
    expect(build({ issuer: "https://issuer.example.com" })).toMatchObject({ ok: false });
    expect(build({ issuer: "https://issuer.example.com", subject: "**" })).toMatchObject({ ok: false });
    expect(build({ issuer: "https://issuer.example.com", claims: { iss: "x" } })).toMatchObject({ ok: false });
    expect(build({ issuer: "https://issuer.example.com", subject: "svc-*" }).ok).toBe(true);
  });

  it("checks the Kubernetes subject shape", () => {
    const k8s = (subject: string) => build({ preset: "kubernetes", issuer: "https://k8s.example.com", subject }).ok;
    expect(k8s("system:serviceaccount:ci:deployer")).toBe(true);
    expect(k8s("system:serviceaccount:ci")).toBe(false);
    expect(k8s("system:serviceaccount:*:deployer")).toBe(false);
  });
});

describe("condition matching", () => {
  it("compares exactly, or with * globs that match any run of characters and nothing else", () => {
    expect(matchesCondition("refs/heads/main", "refs/heads/main")).toBe(true);
    expect(matchesCondition("refs/heads/main", "refs/heads/main2")).toBe(false);
    expect(matchesCondition("refs/heads/release-*", "refs/heads/release-1.2")).toBe(true);
    expect(matchesCondition("repo:a.b:*", "repo:aXb:x")).toBe(false);
    expect(matchesCondition("123", 123)).toBe(true);
    expect(matchesCondition("x", ["x"])).toBe(false);
    expect(matchesCondition("x", { x: 1 })).toBe(false);
  });

  it("reports the first failed condition: aud, then sub, then claims in order", () => {
    const rule = { audience: SELF, subject: "job-*", claims: { env: "prod", team: "ops" } };
    expect(failedCondition(rule, { aud: [SELF, "other"], sub: "job-1", env: "prod", team: "ops" })).toBeNull();
    expect(failedCondition(rule, { aud: "other", sub: "job-1" })).toBe("aud");
    expect(failedCondition(rule, { aud: SELF, sub: "task-1" })).toBe("sub");
    expect(failedCondition(rule, { aud: SELF, sub: "job-1", env: "dev" })).toBe("claim env");
    expect(failedCondition(rule, { aud: SELF, sub: "job-1", env: "prod" })).toBe("claim team");
    expect(audienceContains(undefined, SELF)).toBe(false);
  });
});
