/**
 * The Workers Rate Limiting binding behind one function. Counts are kept per Cloudflare location,
 * approximately, and the binding cannot be read without counting: every call is one hit against `key`.
 */

/** Counts one hit against `key`; true while `key` is within its limit. */
export async function withinLimit(limiter: RateLimit, key: string): Promise<boolean> {
  const { success } = await limiter.limit({ key });
  return success;
}
