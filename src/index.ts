/**
 * The Worker entry: HTTP through the hono app, hourly maintenance through the cron trigger, webhook
 * delivery through the queue consumer, and the Durable Object classes (which must be named exports of this
 * module). Nothing else is exported.
 */
import { app } from "./app";
import type { Env } from "./config";
import { buildContext } from "./context";
import { runMaintenance } from "./services/maintenance";
import { handleWebhookBatch } from "./services/webhook-delivery";

export { AssertionReplay } from "./durable-objects/assertion-replay";
export { SetupCode } from "./durable-objects/setup-code";

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runMaintenance(
        buildContext(env, (work) => ctx.waitUntil(work)),
        controller.scheduledTime,
      ),
    );
  },
  async queue(batch, env, ctx) {
    const context = buildContext(env, (work) => ctx.waitUntil(work));
    await handleWebhookBatch(context, batch, context.clock());
  },
} satisfies ExportedHandler<Env>;
