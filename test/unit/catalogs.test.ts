/**
 * The catalogs agree with what they describe: the audit actions with docs/storage-schema.md (both ways, with
 * their target types), the problem codes with the rendered problem+json and the OpenAPI document, and the log
 * events with every event name written in src/. Sources are read through Vite's ?raw imports.
 */
/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import storageSchema from "../../docs/storage-schema.md?raw";
import { AUDIT_ACTIONS } from "../../src/domain/audit-actions";
import { PROBLEM_CATALOG, PROBLEM_FIELDS, ProblemError, problems, type ProblemCode } from "../../src/domain/problems";
import { LOG_EVENTS, log } from "../../src/log";
import { problemResponse } from "../../src/middleware/error-handler";
import { auditInsert } from "../../src/storage/audit";
import type { Db } from "../../src/storage/db";
import { call } from "../support/harness";

const sources = import.meta.glob(["../../src/**/*.ts", "!../../src/cli/**", "!../../src/client/**"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

function documentedAuditActions(): Map<string, string> {
  const section = storageSchema.slice(storageSchema.indexOf("### `audit_events`"));
  const table = section.slice(section.indexOf("#### Audit actions"), section.indexOf("\n## "));
  const rows = [...table.matchAll(/^\| `([a-z_.]+)` \| [^|]+ \| `([a-z_]+)` \|/gm)];
  return new Map(rows.map((m) => [m[1] as string, m[2] as string]));
}

describe("audit-action catalog", () => {
  it("lists in docs/storage-schema.md exactly the catalogued actions, with their target types", () => {
    const documented = documentedAuditActions();
    expect([...documented.keys()].sort()).toEqual(Object.keys(AUDIT_ACTIONS).sort());
    expect(Object.fromEntries(documented)).toEqual(AUDIT_ACTIONS);
  });

  it("is the only source of action names in src/", () => {
    const written = new Set<string>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/\baction: "([a-z_.]+)"/g)) written.add(m[1] as string);
    }
    expect([...written].sort()).toEqual(Object.keys(AUDIT_ACTIONS).sort());
  });
});

describe("problem-code catalog", () => {
  it("renders each code with its catalogued status and title", async () => {
    for (const [code, { status, title }] of Object.entries(PROBLEM_CATALOG)) {
      const res = problemResponse(new ProblemError(code as ProblemCode, "Something."));
      expect(res.status, code).toBe(status);
      expect(await res.json(), code).toEqual({
        type: `https://latchkey.dev/problems/${code}`,
        title,
        status,
        detail: "Something.",
        code,
      });
    }
  });

  it("sends the typed options under their wire names, and Retry-After and Allow from the same options", async () => {
    const limited = problemResponse(problems.rateLimited(7));
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(await limited.json()).toMatchObject({ code: "rate_limited", [PROBLEM_FIELDS.retryAfterSeconds]: 7 });
    const method = problemResponse(problems.methodNotAllowed("GET, HEAD"));
    expect(method.headers.get("allow")).toBe("GET, HEAD");
    expect(await method.json()).toMatchObject({ code: "method_not_allowed", allow: "GET, HEAD" });
    const extras = new ProblemError("forbidden", "No.", {
      missingScopes: ["audit:read"],
      maxBytes: 1,
      expectedMode: "key",
      errors: [{ path: "a", message: "b" }],
    });
    expect(extras.extra).toEqual({
      missing_scopes: ["audit:read"],
      max_bytes: 1,
      expected_mode: "key",
      errors: [{ path: "a", message: "b" }],
    });
    const plain = problemResponse(problems.conflict("Taken."));
    expect(plain.headers.get("retry-after")).toBeNull();
    expect(plain.headers.get("allow")).toBeNull();
  });

  it("lists every code, with its status and title, in the OpenAPI document", async () => {
    const doc = (await (await call("/api/v1/openapi.json")).json()) as {
      components: { schemas: { Problem: { properties: { code: { enum: string[] } }; "x-problem-codes": unknown[] } } };
    };
    const problem = doc.components.schemas.Problem;
    expect(problem.properties.code.enum.sort()).toEqual(Object.keys(PROBLEM_CATALOG).sort());
    expect(problem["x-problem-codes"]).toEqual(
      Object.entries(PROBLEM_CATALOG).map(([code, { status, title }]) => ({ code, status, title })),
    );
  });
});

describe("log-event catalog", () => {
  it("holds every event name written in src/", () => {
    const written = new Set<string>();
    for (const text of Object.values(sources)) {
      for (const m of text.matchAll(/\bevent: "([a-z_]+)"|\blog\.(?:info|error)\("([a-z_]+)"/g))
        written.add((m[1] ?? m[2]) as string);
    }
    expect(written.size).toBeGreaterThan(10);
    for (const event of written) expect(Object.keys(LOG_EVENTS), event).toContain(event);
  });
});

/** Never run: `npm run typecheck` fails if the catalogs stop refusing these. */
function refusedAtCompileTime(db: Db) {
  // @ts-expect-error: not a catalogued action
  auditInsert(db, { tenantId: "t", actor: "svc:a", action: "credential.delete", targetType: "credential", at: 0 });
  auditInsert(db, {
    tenantId: "t",
    actor: "svc:a",
    action: "credential.revoke",
    targetType: "credential",
    // @ts-expect-error: credential.revoke's detail has no `secret`
    detail: { label: "a", cancelled_setup_codes: 0, secret: "s" },
    at: 0,
  });
  // @ts-expect-error: credential.revoke names a credential, not a resource
  auditInsert(db, {
    tenantId: "t",
    actor: "svc:a",
    action: "credential.revoke",
    targetType: "resource",
    detail: { label: "a", cancelled_setup_codes: 0 },
    at: 0,
  });
  // @ts-expect-error: not a catalogued problem code
  void new ProblemError("teapot");
  // @ts-expect-error: unhandled_error is catalogued at error level
  log.info("unhandled_error");
}

describe("compile-time refusals", () => {
  it("are checked by the typecheck", () => {
    expect(refusedAtCompileTime).toBeTypeOf("function");
  });
});
