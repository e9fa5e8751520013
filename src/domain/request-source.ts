/**
 * The "source" abuse limits count against: an IPv4 address, or the /64 of an IPv6 address (one subscriber
 * usually holds a whole /64, so counting single IPv6 addresses would let one host rotate through 2^64 keys).
 * IPv4-mapped IPv6 addresses count as their IPv4 address. Anything unparsable is one shared "other" source.
 */

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A dotted IPv4 address in canonical form (no leading zeros), or null. */
export function ipv4(value: string): string | null {
  const m = IPV4.exec(value);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.join(".") : null;
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 becomes two groups), or null. */
export function ipv6Groups(value: string): number[] | null {
  const text = value
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "")
    .toLowerCase();
  if (!text.includes(":")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (half: string): number[] | null => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      const v4 = i === pieces.length - 1 ? ipv4(piece) : null;
      if (v4) {
        const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else if (/^[0-9a-f]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : null;
}

/**
 * The source key of a client address: `4:a.b.c.d` for IPv4 (and IPv4-mapped IPv6), `6:xxxx:xxxx:xxxx:xxxx`
 * (the /64 prefix) for IPv6, `other` when the address is missing or unparsable.
 */
export function requestSource(address: string | undefined): string {
  if (!address) return "other";
  const trimmed = address.trim();
  const v4 = ipv4(trimmed);
  if (v4) return `4:${v4}`;
  const groups = ipv6Groups(trimmed);
  if (!groups) return "other";
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `4:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  return `6:${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}`;
}
