#!/usr/bin/env node
// `node scripts/scale-model.mjs [--json]`: the scale model of docs/scale.md. For 1k, 10k and 100k mints/s
// worldwide it computes the platform operations Latchkey's token path causes (D1 reads and writes, KV reads
// and writes, Durable Object requests, rate-limit calls, Analytics Engine data points, queue messages) from
// stated assumptions, each against its documented Cloudflare limit, for the usage flush before and after the
// isolate-wide batching (services/usage-recorder.ts). Pure arithmetic: change an assumption below, rerun.

/** Assumptions (docs/scale.md says why each is what it is). */
export const ASSUMPTIONS = {
  locations: 100, // Cloudflare locations that carry the traffic
  mintsPerIsolatePerSecond: 200, // an isolate's share before a location spreads load over more isolates
  minIsolatesPerLocation: 2,
  credentials: 20_000, // active credentials (each a fleet of machines sharing it, or one machine)
  locationsPerCredential: 2, // a credential's machines are near one or two locations
  privateKeyJwtShare: 0.3,
  tokenLifetimeSeconds: 3600, // clients refresh at ~80% of it: mints/s x 2,880 s = machines holding tokens
  credentialCacheSeconds: 30,
  revocationMemoSeconds: 10,
  kvCacheTtlSeconds: 30,
  keyRingSeconds: 300,
  usageWindowSeconds: 20,
  isolateLifetimeSeconds: 600, // how long an isolate lives before eviction (new credential-isolate pairs)
  d1ReadReplicas: 6, // D1 read replication: one replica in each supported region (6), reads spread evenly
  adminWritesPerSecond: 1, // console and API changes (each one KV write for the revocation entry)
};

/** Documented limits (docs/scale.md cites each page). */
export const LIMITS = {
  d1QueriesPerSecondPerDatabase: 1000, // one query at a time; ~1,000 q/s at 1 ms each (D1 limits FAQ)
  durableObjectRequestsPerSecondPerObject: 1000, // soft limit per object (Durable Objects FAQ)
  kvWritesPerSecondPerKey: 1, // KV limits
  queueMessagesPerSecondPerQueue: 5000, // Queues limits
  analyticsEngineDataPointsPerInvocation: 250, // Analytics Engine limits
};

const activeShare = (ratePerSecond, seconds) => 1 - Math.exp(-ratePerSecond * seconds);

/** Operations per second at `mintsPerSecond` with the given usage-flush design ("per-credential" or "batched"). */
export function model(mintsPerSecond, design, a = ASSUMPTIONS) {
  const perLocation = mintsPerSecond / a.locations;
  const isolatesPerLocation = Math.max(a.minIsolatesPerLocation, Math.ceil(perLocation / a.mintsPerIsolatePerSecond));
  const isolates = isolatesPerLocation * a.locations;
  const pairs = a.credentials * a.locationsPerCredential * isolatesPerLocation;
  const perPair = mintsPerSecond / pairs;
  const isolatesPerCredential = a.locationsPerCredential * isolatesPerLocation;
  const perCredential = mintsPerSecond / a.credentials;

  const credentialReads = (pairs * activeShare(perPair, a.credentialCacheSeconds)) / a.credentialCacheSeconds;
  const keyRingReads = isolates / a.keyRingSeconds;
  const kvReads = (pairs * activeShare(perPair, a.revocationMemoSeconds)) / a.revocationMemoSeconds;
  const pairFlushes = (pairs * activeShare(perPair, a.usageWindowSeconds)) / a.usageWindowSeconds;
  const perIsolate = mintsPerSecond / isolates;
  const newPairs = pairs / a.isolateLifetimeSeconds;
  // Before: each credential-isolate pair writes its credential row and its secret or key row (2 statements).
  // After: an isolate writes all its pending usage at most ~once per window (<= 3 statements), plus once for
  // each credential it sees for the first time.
  const isolateFlushes =
    (isolates * activeShare(perIsolate, a.usageWindowSeconds)) / a.usageWindowSeconds + Math.min(newPairs, pairFlushes);
  const usageStatements = design === "per-credential" ? pairFlushes * 2 : isolateFlushes * 3;
  const pkjwt = mintsPerSecond * a.privateKeyJwtShare;
  return {
    mintsPerSecond,
    design,
    isolates,
    machinesHoldingTokens: Math.round(mintsPerSecond * a.tokenLifetimeSeconds * 0.8),
    rows: [
      {
        what: "D1 replica reads (credential lookups, key ring)",
        perSecond: credentialReads + keyRingReads,
        limit: LIMITS.d1QueriesPerSecondPerDatabase * a.d1ReadReplicas,
        unit: "queries/s over all replicas",
      },
      {
        what: "D1 primary writes (usage flushes)",
        perSecond: usageStatements,
        limit: LIMITS.d1QueriesPerSecondPerDatabase,
        unit: "statements/s (one database)",
      },
      { what: "D1 rows written (usage)", perSecond: pairFlushes * 2, limit: null, unit: "rows/s (no rate limit)" },
      { what: "KV reads (revocation entries)", perSecond: kvReads, limit: null, unit: "reads/s (unlimited on Paid)" },
      {
        what: "KV writes per key (revocation entry)",
        perSecond: a.adminWritesPerSecond / a.credentials,
        limit: LIMITS.kvWritesPerSecondPerKey,
        unit: "writes/s per key",
      },
      {
        what: "Durable Object requests per object (one client's jti guard)",
        perSecond: perCredential * a.privateKeyJwtShare,
        limit: LIMITS.durableObjectRequestsPerSecondPerObject,
        unit: "requests/s per object (average credential)",
      },
      {
        what: "Durable Object requests, all objects",
        perSecond: pkjwt,
        limit: null,
        unit: "requests/s (objects unlimited)",
      },
      {
        what: "Rate-limit calls (TOKEN_CLIENT_LIMITER, per location)",
        perSecond: perLocation,
        limit: null,
        unit: "calls/s per location (no documented cap)",
      },
      {
        what: "Analytics Engine data points per invocation",
        perSecond: 1,
        limit: LIMITS.analyticsEngineDataPointsPerInvocation,
        unit: "points per request (if used)",
      },
      {
        what: "Queue messages",
        perSecond: 0,
        limit: LIMITS.queueMessagesPerSecondPerQueue,
        unit: "messages/s (no queue on the token path)",
      },
    ],
    isolatesPerCredential,
  };
}

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(n >= 1 ? 1 : 3));

function print(result) {
  console.log(
    `\n${result.mintsPerSecond.toLocaleString("en-US")} mints/s, usage flush ${result.design}: ${result.isolates} isolates, ~${result.machinesHoldingTokens.toLocaleString("en-US")} machines holding tokens`,
  );
  for (const row of result.rows) {
    const share = row.limit ? row.perSecond / row.limit : null;
    const verdict = share === null ? "" : share > 1 ? "  BREAKS" : share > 0.5 ? "  over half" : "";
    console.log(
      `  ${row.what.padEnd(62)} ${fmt(row.perSecond).padStart(9)} ${row.unit}${share === null ? "" : ` = ${(share * 100).toFixed(1)}% of ${fmt(row.limit)}`}${verdict}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = [];
  for (const design of ["per-credential", "batched"])
    for (const rate of [1_000, 10_000, 100_000]) results.push(model(rate, design));
  if (process.argv.includes("--json"))
    console.log(JSON.stringify({ assumptions: ASSUMPTIONS, limits: LIMITS, results }, null, 2));
  else {
    console.log("Latchkey scale model (docs/scale.md). Assumptions:", JSON.stringify(ASSUMPTIONS));
    results.forEach(print);
  }
}
