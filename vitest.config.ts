// Two test projects: "workers" runs inside workerd with real D1, KV and Durable Objects (the pool);
// "node" runs the CLI/SDK tests, the source-tree checks (test/unit/*.node.test.ts) and the end-to-end tests against a
// real `wrangler dev`.
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { configDefaults, defineConfig } from "vitest/config";

export const TEST_SECRETS = {
  SECRET_PEPPER: "dGVzdC1wZXBwZXItdGVzdC1wZXBwZXItdGVzdC1wZXA",
  KEY_ENCRYPTION_KEY: "dGVzdC1rZWstdGVzdC1rZWstdGVzdC1rZWstdGVzdC0",
  BOOTSTRAP_TOKEN: "test-bootstrap-token-test-bootstrap-token",
  ISSUER: "https://latchkey.test",
};

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: { bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: migrations } },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/durable-objects/**/*.test.ts"],
            // *.node.test.ts files read the source tree with node:fs: they run in the node project.
            exclude: [...configDefaults.exclude, "**/*.node.test.ts"],
            setupFiles: ["./test/support/apply-migrations.ts"],
            // Real local servers (node, on 127.0.0.1) for outside systems: an OIDC issuer for the federation
            // tests, a webhook receiver and a GitHub-style key set.
            globalSetup: ["./test/oidc-issuer/global-setup.ts", "./test/support/outside-servers.global.ts"],
            // Some tests send a few hundred requests (rate limits, races) through workerd on 2 shared cores.
            testTimeout: 30_000,
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/client/**/*.test.ts", "test/e2e/**/*.test.ts", "test/unit/**/*.node.test.ts"],
            globalSetup: ["./test/e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
