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
