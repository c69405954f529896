/**
 * Where the workers' subnets go, by availability zone ID. AZ names (`us-east-1a`) map to physical zones
 * differently in every account; AZ IDs (`use1-az1`) name the same zone everywhere, so a default can be
 * written down once and a subnet lands in the same zone in every account. The IDs are chosen at synth,
 * never looked up at plan time: the offline plan stays offline.
 */

/**
 * Zones known to offer the default instance type (t3), by region. Only regions whose zone IDs were
 * sourced are listed; any other region must set PIPELINE_AVAILABILITY_ZONE_IDS.
 *
 * us-east-1 has six zones, use1-az1 to use1-az6. use1-az3 offers no t3: RunInstances answers
 * `Unsupported: Your requested instance type (t3.micro) is not supported in your requested Availability
 * Zone (us-east-1e)` in accounts where us-east-1e is use1-az3 (ned1313/Getting-Started-Terraform#44,
 * magenx/Magento-2-aws-cluster-terraform#16), so it is left out.
 */
export const DEFAULT_AVAILABILITY_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['use1-az1', 'use1-az2', 'use1-az4'],
};

/** The AWS CLI command that lists a region's zone IDs, for messages and docs. */
export function listZoneIdsCommand(region: string): string {
  return `aws ec2 describe-availability-zones --region ${region} --query 'AvailabilityZones[].ZoneId'`;
}

/** `use1-az1`, `euw1-az3`, `apne1-az4`: the region code, `-az` and a number. Local Zones are not accepted. */
export const AVAILABILITY_ZONE_ID = /^[a-z]+\d+-az\d+$/;
