/**
 * The source that abuse limits count: an IPv4 address as is, an IPv6 address by its /64. One subscriber is
 * given at least a /64 and picks addresses in it freely, so counting single IPv6 addresses would let anyone
 * start afresh with every request. IPv4-mapped IPv6 addresses count as their IPv4 address.
 */

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function ipv6Groups(address: string): string[] | null {
  let text = address.toLowerCase();
  const tail = text.slice(text.lastIndexOf(":") + 1);
  if (IPV4.test(tail)) {
    const [a, b, c, d] = tail.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(missing).fill("0"), ...rest];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => parseInt(g, 16).toString(16)) : null;
}

/** The source an address belongs to: `a.b.c.d`, `x:x:x:x::/64`, or `unknown` when there is no address. */
export function sourceOf(ip: string | null | undefined): string {
  const address = ip?.trim().split("%")[0];
  if (!address) return "unknown";
  if (IPV4.test(address)) return address;
  const groups = address.includes(":") ? ipv6Groups(address) : null;
  if (!groups) return address.toLowerCase();
  if (groups.slice(0, 5).every((g) => g === "0") && groups[5] === "ffff") {
    const [hi, lo] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
  }
  return `${groups.slice(0, 4).join(":")}::/64`;
}
