/**
 * The options that make up a job's policy, as a definition (export/import, the config), an audit entry
 * and their schemas list them. One list, so that a new job option reaches all of them: a field missing
 * from one of them was silently dropped by an export -> import round trip, or changed without the audit
 * entry showing it.
 */
import type { JobPolicy } from './job.js';

export const POLICY_FIELDS = [
  'coalesce',
  'maxInstances',
  'overlap',
  'misfireGraceTime',
  'jitterSeconds',
  'timeoutSeconds',
  'retries',
  'retryLost',
  'expectSuccessWithinSeconds',
  'overdueAfterMissedFires',
  'maxRuns',
  'pauseAfterFailures',
] as const satisfies readonly (keyof JobPolicy)[];

export type PolicyField = (typeof POLICY_FIELDS)[number];

/** A job's policy values, as JobPolicy and JobInfo both hold them. */
export type PolicyValues = Pick<JobPolicy, PolicyField>;

/** The policy fields of `source` (a JobPolicy or a JobInfo), in POLICY_FIELDS order. */
export function policyValues(source: PolicyValues): PolicyValues {
  const values: Partial<Record<PolicyField, unknown>> = {};
  for (const field of POLICY_FIELDS) values[field] = source[field];
  return values as PolicyValues;
}

/** `properties` of a schema for the policy fields, taken from the job schema's, and their names for `required`. */
export function policySchemaProperties<P extends Record<PolicyField, unknown>>(
  jobProperties: P,
): { properties: Pick<P, PolicyField>; required: PolicyField[] } {
  const properties: Partial<Pick<P, PolicyField>> = {};
  for (const field of POLICY_FIELDS) properties[field] = jobProperties[field];
  return { properties: properties as Pick<P, PolicyField>, required: [...POLICY_FIELDS] };
}
