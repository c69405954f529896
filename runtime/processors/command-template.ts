import { COMMAND_PLACEHOLDERS, type CommandPlaceholder } from '../../contracts/command-processor';

/**
 * Pure: the placeholders of the command processor's templates (its argv and its `stdoutFile`), parsed once by the
 * resolver (at synth, and again by the worker on the catalog it reads) and filled by the worker for each row.
 * `{name}` is a placeholder, `{{` and `}}` are literal braces, and anything else with a brace is refused, so a
 * typo (`{inptu}`) fails the synth instead of reaching the program as text.
 */

export type TemplatePart = { readonly literal: string } | { readonly placeholder: CommandPlaceholder };

export type TemplateParse =
  | { readonly ok: true; readonly parts: readonly TemplatePart[] }
  /** `problem` says what is wrong, for a sentence "… must …, got <value>". */
  | { readonly ok: false; readonly problem: string };

const PLACEHOLDER_NAMES = Object.keys(COMMAND_PLACEHOLDERS) as CommandPlaceholder[];

/** `{input}, {output_dir}, …`: how problems list the placeholders a template may use. */
export function describePlaceholders(names: readonly CommandPlaceholder[] = PLACEHOLDER_NAMES): string {
  return names.map((name) => `{${name}}`).join(', ');
}

export function parseTemplate(text: string): TemplateParse {
  const parts: TemplatePart[] = [];
  let literal = '';
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === '}') {
      if (text[index + 1] !== '}') return { ok: false, problem: 'a lone } (write }} for a literal })' };
      literal += '}';
      index += 1;
      continue;
    }
    if (char !== '{') {
      literal += char;
      continue;
    }
    if (text[index + 1] === '{') {
      literal += '{';
      index += 1;
      continue;
    }
    const close = text.indexOf('}', index + 1);
    if (close === -1) return { ok: false, problem: 'a { that is never closed (write {{ for a literal {)' };
    const name = text.slice(index + 1, close);
    if (!isPlaceholder(name)) {
      return { ok: false, problem: `an unknown placeholder {${name}} (the placeholders are ${describePlaceholders()}; write {{ and }} for literal braces)` };
    }
    if (literal !== '') parts.push({ literal });
    literal = '';
    parts.push({ placeholder: name });
    index = close;
  }
  if (literal !== '') parts.push({ literal });
  return { ok: true, parts };
}

/** The placeholders a parsed template uses. */
export function placeholdersIn(parts: readonly TemplatePart[]): CommandPlaceholder[] {
  return parts.flatMap((part) => ('placeholder' in part ? [part.placeholder] : []));
}

/**
 * The template with each placeholder replaced by its value, as one string: a value is never split, quoted or
 * interpreted, whatever it holds.
 */
export function fillTemplate(parts: readonly TemplatePart[], values: Readonly<Record<CommandPlaceholder, string>>): string {
  return parts.map((part) => ('placeholder' in part ? values[part.placeholder] : part.literal)).join('');
}

function isPlaceholder(name: string): name is CommandPlaceholder {
  return Object.hasOwn(COMMAND_PLACEHOLDERS, name);
}
