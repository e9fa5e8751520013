// Bindings the test pool adds to the Worker's own.
import type { Env } from "../../src/config";

declare module "cloudflare:test" {
  interface ProvidedEnv extends Env {
    TEST_MIGRATIONS: import("@cloudflare/vitest-pool-workers").D1Migration[];
  }
}
declare global {
  namespace Cloudflare {
    interface Env extends import("../../src/config").Env {
      TEST_MIGRATIONS: import("@cloudflare/vitest-pool-workers").D1Migration[];
    }
  }
}
