/** GET /healthz: liveness without touching storage (also the benchmark's trivial endpoint). */
import { Hono } from "hono";
import type { AppEnv } from "../context";

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/healthz", (c) => c.json({ ok: true }, 200, { "Cache-Control": "no-store" }));
