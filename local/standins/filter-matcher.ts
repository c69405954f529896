/**
 * A small EventBridge content-filter matcher for the local pipe. The emulator neither forwards pipe
 * records nor implements TestEventPattern, so the local run evaluates the product's filter itself.
 *
 * It follows EventBridge's semantics for exactly the operators the product's filter uses, and refuses
 * every other operator loudly rather than guessing:
 *  - a field's rules are an array, matched as OR; fields of one object are AND-ed; objects nest;
 *  - exact values: string, number or null, compared without case folding;
 *  - `anything-but` with one value or a list of values (the field must be present);
 *  - `exists: true|false`, on leaves only: an object is not a leaf, and a missing parent means missing;
 *  - an array in the event matches when any of its elements matches;
 *  - several patterns are OR-ed, as a pipe's filter criteria are.
 */

export type Pattern = { readonly [field: string]: unknown };

type Scalar = string | number | null;

type Rule =
  | { readonly kind: 'equals'; readonly value: Scalar }
  | { readonly kind: 'anything-but'; readonly values: readonly Scalar[] }
  | { readonly kind: 'exists'; readonly exists: boolean };

const MISSING = Symbol('missing');

/** True when the event matches at least one pattern. Throws on an unsupported or malformed pattern. */
export function matchesAnyPattern(event: unknown, patterns: readonly Pattern[]): boolean {
  patterns.forEach((pattern) => assertSupportedPattern(pattern));
  return patterns.some((pattern) => matchesObject(event, pattern));
}

/** True when the event matches the pattern. Throws on an unsupported or malformed pattern. */
export function matchesPattern(event: unknown, pattern: Pattern): boolean {
  assertSupportedPattern(pattern);
  return matchesObject(event, pattern);
}

/** Checks the whole pattern up front, so an unsupported operator fails even where the event would not reach it. */
export function assertSupportedPattern(pattern: unknown, path = ''): void {
  if (!isPlainObject(pattern)) throw new Error(`event pattern ${describePath(path)} must be an object, got ${JSON.stringify(pattern)}`);
  for (const [field, value] of Object.entries(pattern)) {
    const fieldPath = path ? `${path}.${field}` : field;
    if (field.startsWith('$')) throw new Error(`unsupported event pattern operator "${field}" at ${fieldPath}`);
    if (Array.isArray(value)) value.forEach((rule) => parseRule(rule, fieldPath));
    else if (isPlainObject(value)) assertSupportedPattern(value, fieldPath);
    else throw new Error(`event pattern field ${fieldPath} must be an array of rules or an object, got ${JSON.stringify(value)}`);
  }
}

function matchesObject(event: unknown, pattern: Pattern): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = isPlainObject(event) && Object.hasOwn(event, field) ? event[field] : MISSING;
    if (Array.isArray(expected)) return matchesRules(actual, expected, field);
    return matchesObject(actual === MISSING ? undefined : actual, expected as Pattern);
  });
}

function matchesRules(actual: unknown, rules: readonly unknown[], field: string): boolean {
  const leaves = leafValues(actual);
  return rules.some((raw) => {
    const rule = parseRule(raw, field);
    switch (rule.kind) {
      case 'exists':
        return rule.exists === leaves.length > 0;
      case 'equals':
        return leaves.some((leaf) => leaf === rule.value);
      case 'anything-but':
        return leaves.some((leaf) => !rule.values.includes(leaf));
    }
  });
}

/** The leaf values at a field: none when it is missing, an object, or an array of objects/nothing. */
function leafValues(actual: unknown): Scalar[] {
  const values = Array.isArray(actual) ? actual : [actual];
  return values.filter(isScalar);
}

function parseRule(rule: unknown, field: string): Rule {
  if (isScalar(rule)) return { kind: 'equals', value: rule };
  if (!isPlainObject(rule)) throw new Error(`event pattern rule at ${field} is not supported: ${JSON.stringify(rule)}`);
  const operators = Object.keys(rule);
  if (operators.length !== 1) {
    throw new Error(`event pattern rule at ${field} must have exactly one operator, got ${JSON.stringify(rule)}`);
  }
  const [operator] = operators;
  const operand = rule[operator];
  if (operator === 'exists') {
    if (typeof operand !== 'boolean') throw new Error(`"exists" at ${field} must be true or false, got ${JSON.stringify(operand)}`);
    return { kind: 'exists', exists: operand };
  }
  if (operator === 'anything-but') {
    const values = Array.isArray(operand) ? operand : [operand];
    if (values.length === 0 || !values.every(isScalar)) {
      throw new Error(
        `"anything-but" at ${field} supports only a value or a list of values in the local matcher, got ${JSON.stringify(operand)}`,
      );
    }
    return { kind: 'anything-but', values };
  }
  throw new Error(`unsupported event pattern operator "${operator}" at ${field}: the local matcher implements exact values, anything-but and exists only`);
}

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describePath(path: string): string {
  return path ? `at ${path}` : '(top level)';
}
