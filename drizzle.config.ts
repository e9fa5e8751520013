// drizzle-kit reads the schema and writes numbered SQL migrations that wrangler applies to D1.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./src/storage/schema.ts", "./src/storage/schema-console.ts"],
  out: "./migrations",
});
