/** An IPv4 CIDR block parsed into numbers, so containment and alignment can be checked exactly. */
export interface Ipv4Cidr {
  /** The block as written, e.g. `10.42.0.0/16`. */
  readonly text: string;
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns undefined when the text is not an IPv4 CIDR or its host bits are not zero
 * (`10.0.0.1/16`): AWS and the Terraform provider reject such blocks, so the error belongs at synth.
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const match = CIDR_PATTERN.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefixLength = Number(match[5]);
  if (octets.some((octet) => octet > 255) || prefixLength > 32) return undefined;
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  const hostBits = 2 ** (32 - prefixLength);
  if (address % hostBits !== 0) return undefined;
  return { text, network: address, prefixLength };
}

/** True when every address of `inner` lies in `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  if (inner.prefixLength < outer.prefixLength) return false;
  const outerSize = 2 ** (32 - outer.prefixLength);
  return Math.floor(inner.network / outerSize) === Math.floor(outer.network / outerSize);
}

/** True when the two blocks share at least one address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * The first `count` equal blocks of `outer`, each a /24 or smaller as needed to fit them all: a /16 gives
 * 10.42.0.0/24, 10.42.1.0/24, …; a /24 split in two gives two /25s. Undefined when they would be smaller
 * than `smallestPrefixLength`.
 */
export function firstSubnets(outer: Ipv4Cidr, count: number, smallestPrefixLength: number): Ipv4Cidr[] | undefined {
  const prefixLength = Math.max(24, outer.prefixLength + Math.ceil(Math.log2(count)));
  if (prefixLength > smallestPrefixLength) return undefined;
  const size = 2 ** (32 - prefixLength);
  return Array.from({ length: count }, (_, index) => {
    const network = outer.network + index * size;
    return { text: `${formatIpv4(network)}/${prefixLength}`, network, prefixLength };
  });
}

function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}
