/**
 * Wire views of a credential's guardrails: the policies (every credential view), the caching flag (the list
 * shows it cheaply, from the row), and in the detail view the recent sources, each marked inside or outside
 * the current allow-list, and the caching health of the last full hour.
 */
import { guardrailsWire, isAllowedAddress } from "../../domain/guardrails";
import type { CredentialRow } from "../../storage/schema";
import type { GuardrailReadout } from "../../services/guardrail-reads";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The guardrail members of a credential view; `readout` only in the detail view. */
export function guardrailMembers(c: CredentialRow, readout?: GuardrailReadout) {
  const base = {
    guardrails: guardrailsWire(c.networkPolicy, c.quotaPolicy),
    not_caching: c.cachingFlaggedAt !== null,
  };
  if (!readout) return base;
  const policy = c.networkPolicy;
  return {
    ...base,
    recent_sources: readout.sources.map((s) => ({
      source: s.source,
      address: s.address,
      first_seen_at: iso(s.firstSeenAt),
      last_seen_at: iso(s.lastSeenAt),
      mint_count: s.mintCount,
      last_denied_at: iso(s.lastDeniedAt),
      inside_allowlist: policy ? isAllowedAddress(policy, s.address) : null,
    })),
    caching_health: {
      status: readout.caching.status,
      mints_last_hour: readout.caching.mints,
      expected_per_hour: readout.caching.expected,
      sources_last_hour: readout.caching.sources,
      flagged_at: iso(c.cachingFlaggedAt),
    },
  };
}
