/**
 * The two Durable Objects of setup and private_key_jwt, driven directly in workerd: a setup code is
 * consumed once, fails after its expiry, can be released after a failed follow-up and cancelled, and its
 * alarm deletes it; the assertion replay object refuses a jti it holds and its alarm purges expired ones.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SetupCodeRecord } from "../../src/durable-objects/setup-code";
import { env } from "../support/harness";

const TEN_MINUTES = 600_000;

function codeObject() {
  return env.SETUP_CODES.get(env.SETUP_CODES.idFromName(`hash-${crypto.randomUUID()}`));
}

function record(nowMs: number): Omit<SetupCodeRecord, "consumedAt"> {
  return {
    tenantId: "do-tests",
    credentialId: "lkc_test",
    createdBy: "test",
    createdAt: nowMs,
    expiresAt: nowMs + TEN_MINUTES,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("SetupCode", () => {
  it("is consumed exactly once, and a second redeem reports the replay with the record", async () => {
    const stub = codeObject();
    const now = Date.now();
    expect(await stub.create(record(now))).toBe(true);
    expect(await stub.create(record(now))).toBe(false);
    const first = await stub.redeem(now + 1);
    expect(first).toEqual({ ok: true, record: { ...record(now), consumedAt: now + 1 } });
    expect(await stub.redeem(now + 2)).toEqual({
      ok: false,
      reason: "replayed",
      record: { ...record(now), consumedAt: now + 1 },
    });
    expect(await codeObject().redeem(now)).toEqual({ ok: false, reason: "unknown" });
  });

  it("lets exactly one of many concurrent redeems win", async () => {
    const stub = codeObject();
    const now = Date.now();
    await stub.create(record(now));
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => stub.redeem(now)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok && o.reason === "replayed")).toHaveLength(49);
  });

  it("fails once expired (fake clock), before its alarm has even run", async () => {
    const stub = codeObject();
    // Alarms follow the real clock: a fake "now" a day ahead keeps this alarm from firing during the test.
    const start = Date.now() + 86_400_000;
    vi.useFakeTimers();
    vi.setSystemTime(start);
    await stub.create(record(Date.now()));
    vi.setSystemTime(start + TEN_MINUTES - 1);
    expect(await stub.peek()).toMatchObject({ expiresAt: start + TEN_MINUTES, consumedAt: null });
    vi.setSystemTime(start + TEN_MINUTES);
    expect(await stub.redeem(Date.now())).toMatchObject({ ok: false, reason: "expired", record: { consumedAt: null } });
    vi.setSystemTime(start + TEN_MINUTES - 1);
    expect(await stub.redeem(Date.now())).toMatchObject({ ok: true });
  });

  it("schedules its alarm at expiry, and the alarm deletes everything", async () => {
    const stub = codeObject();
    const now = Date.now();
    await stub.create(record(now));
    await stub.redeem(now);
    const alarmAt = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarmAt).toBe(now + TEN_MINUTES);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.peek()).toBeNull();
    expect(await runInDurableObject(stub, async (_i, state) => (await state.storage.list()).size)).toBe(0);
    expect(await stub.redeem(now)).toEqual({ ok: false, reason: "unknown" });
  });

  it("can be released after a failed follow-up (only by the consume that took it) and cancelled", async () => {
    const stub = codeObject();
    const now = Date.now();
    await stub.create(record(now));
    await stub.redeem(now + 5);
    await stub.release(now + 4); // not the consume that took it: no effect
    expect(await stub.redeem(now + 6)).toMatchObject({ ok: false, reason: "replayed" });
    await stub.release(now + 5);
    expect(await stub.redeem(now + 7)).toMatchObject({ ok: true, record: { consumedAt: now + 7 } });
    await stub.cancel();
    expect(await stub.peek()).toBeNull();
    expect(await stub.redeem(now + 8)).toEqual({ ok: false, reason: "unknown" });
  });
});

describe("AssertionReplay", () => {
  const replayObject = (clientId: string) => env.ASSERTION_REPLAY.get(env.ASSERTION_REPLAY.idFromName(clientId));

  it("refuses a jti it holds, per client, and purges expired ones on its alarm", async () => {
    const stub = replayObject(`lkc_${crypto.randomUUID()}`);
    const now = Date.now();
    expect(await stub.remember("jti-1", now + 60_000)).toBe(true);
    expect(await stub.remember("jti-1", now + 60_000)).toBe(false);
    expect(await stub.remember("jti-2", now + 120_000)).toBe(true);
    expect(await replayObject(`lkc_${crypto.randomUUID()}`).remember("jti-1", now + 60_000)).toBe(true);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(now + 60_000);

    vi.useFakeTimers();
    vi.setSystemTime(now + 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.size()).toBe(1);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBe(now + 120_000);
    expect(await stub.remember("jti-1", now + 180_000)).toBe(true);
    expect(await stub.remember("jti-2", now + 180_000)).toBe(false);
  });
});
