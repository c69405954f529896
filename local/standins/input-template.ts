/**
 * A small evaluator of EventBridge Pipes input templates, for the local pipe: the emulator stores pipes but
 * runs none, so the local run renders the deployed template itself, next to the deployed filter
 * (filter-matcher.ts).
 *
 * It follows AWS's documented rules for what the product's template uses, and refuses the rest loudly:
 *  - a placeholder is `<$.a.b.c>`: a JSON path in dot notation (letters, digits, `_`, `-`);
 *  - inside a JSON string ("quoted", as AWS asks for paths holding strings) the value is inserted escaped, so
 *    the output stays valid JSON; a number or boolean is inserted as its text. The escaping is an
 *    ASSUMPTION, not AWS's documented rule: the Pipes page does not say, and for rules AWS says "EventBridge
 *    does not escape values extracted by Input Path" (docs/events.md, "Characters AWS may not escape").
 *    A value with `"`, `\` or a control character renders here but may break the event on AWS;
 *    __tests__/unit/contracts/unescaped-template.test.ts renders without escaping;
 *  - outside a string the value is inserted as JSON;
 *  - the template must render to valid JSON.
 * AWS does not document what a placeholder becomes when its path is absent from the record. The local run
 * makes the one choice docs/events.md documents: a quoted placeholder becomes the empty string. An unquoted
 * one is refused. Array indices, wildcards and the reserved `<aws.pipes.…>` variables are refused too.
 */

/** What a quoted placeholder becomes locally when its path is absent from the record (docs/events.md). */
export const ABSENT_PATH_VALUE = '';

const PATH = /^\$(\.[A-Za-z0-9_-]+)+$/;

/** Renders `template` against `record` and parses the result. Throws on anything it does not support. */
export function renderInputTemplate(template: string, record: unknown): unknown {
  let output = '';
  let inString = false;
  for (let at = 0; at < template.length; at++) {
    const char = template[at];
    if (char === '<') {
      const end = template.indexOf('>', at);
      if (end < 0) throw new Error(`input template: "<" at ${at} has no closing ">"`);
      const placeholder = template.slice(at + 1, end);
      output += inString ? quotedValue(placeholder, record) : unquotedValue(placeholder, record);
      at = end;
      continue;
    }
    if (inString && char === '\\') {
      output += char + (template[at + 1] ?? '');
      at++;
      continue;
    }
    if (char === '"') inString = !inString;
    output += char;
  }
  try {
    return JSON.parse(output);
  } catch (error) {
    throw new Error(`input template rendered invalid JSON (${(error as Error).message}): ${output}`);
  }
}

function quotedValue(placeholder: string, record: unknown): string {
  const value = lookUp(placeholder, record);
  if (value === undefined) return ABSENT_PATH_VALUE;
  // Assumed, not documented by AWS (see the header).
  if (typeof value === 'string') return JSON.stringify(value).slice(1, -1);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`input template: <${placeholder}> inside quotes holds ${JSON.stringify(value)}, not a string, number or boolean`);
}

function unquotedValue(placeholder: string, record: unknown): string {
  const value = lookUp(placeholder, record);
  if (value === undefined) {
    throw new Error(`input template: <${placeholder}> is absent from the record and unquoted; AWS documents no result for that`);
  }
  return JSON.stringify(value);
}

function lookUp(placeholder: string, record: unknown): unknown {
  if (!PATH.test(placeholder)) {
    throw new Error(`input template: placeholder <${placeholder}> is not supported locally (only $.dot.paths of letters, digits, _ and -)`);
  }
  let value: unknown = record;
  for (const name of placeholder.slice(2).split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}
