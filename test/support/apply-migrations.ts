// Applies the drizzle-kit migrations to this test file's D1 before its tests run (idempotent).
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
