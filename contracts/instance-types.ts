/** `t3.micro`, `m7i-flex.large`: a family, a dot and a size. */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/**
 * True for instance types that are not x86_64 Linux: Graviton (arm64) families carry a `g` after their
 * generation digit (`t4g`, `m7g`, `c6gn`, `x2gd`, `im4gn`, `is4gen`, `g5g`), `a1` is the first arm64
 * family, and `mac*` families run macOS on dedicated hosts. The worker's runtime (the Node.js build the
 * bootstrap installs) is linux-x64, so none of these can run it.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html (the `g` attribute)
 */
export function isNotX86Linux(instanceType: string): boolean {
  const family = instanceType.split('.')[0];
  return family === 'a1' || family.startsWith('mac') || /^[a-z]+\d+[a-z]*g/.test(family);
}
