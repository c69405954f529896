import { COMMAND_KILL_GRACE_SECONDS, COMMAND_TIMEOUT_SECONDS, ProcessorType } from '../../../contracts';
import { loadProcessorCatalog } from '../../../config/processors';
import { ConfigError } from '../../../runtime/env';
import { resolveCatalog } from '../../../runtime/processors/catalog';
import { fillTemplate, parseTemplate } from '../../../runtime/processors/command-template';

const problemsOf = (processors: Record<string, unknown>): readonly string[] => {
  try {
    resolveCatalog({ processors });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('parseTemplate and fillTemplate', () => {
  it.each([
    { case: 'plain text', template: 'gzip', filled: 'gzip' },
    { case: 'a placeholder alone', template: '{input}', filled: '/s/in/a b.txt' },
    { case: 'placeholders inside text', template: '--out={output_dir}/{input_name}.gz', filled: '--out=/s/out/a b.txt.gz' },
    { case: 'literal braces', template: '{{print $1}}', filled: '{print $1}' },
    { case: 'a value that looks like a placeholder', template: '{rest}', filled: '{input}$(x)' },
  ])('fills $case', ({ template, filled }) => {
    const parsed = parseTemplate(template);
    if (!parsed.ok) throw new Error(parsed.problem);

    expect(fillTemplate(parsed.parts, { input: '/s/in/a b.txt', output_dir: '/s/out', id: 'r1', rest: '{input}$(x)', input_name: 'a b.txt' })).toBe(filled);
  });

  it.each([
    { case: 'an unknown placeholder', template: '{file}', problem: 'an unknown placeholder {file}' },
    { case: 'an unclosed brace', template: 'x{input', problem: 'a { that is never closed' },
    { case: 'a lone closing brace', template: 'a}b', problem: 'a lone }' },
    { case: 'awk without doubled braces', template: '{print $1}', problem: 'an unknown placeholder {print $1}' },
  ])('refuses $case', ({ template, problem }) => {
    expect(parseTemplate(template)).toEqual({ ok: false, problem: expect.stringContaining(problem) });
  });
});

describe('a command processor in the catalog', () => {
  it('fills every default, so the worker runs exactly what the catalog holds', () => {
    const catalog = resolveCatalog({ processors: { sum: { type: 'command', command: ['sha256sum', '{input}'] } } });

    expect(catalog.processors.sum).toEqual({
      type: ProcessorType.command,
      command: ['sha256sum', '{input}'],
      timeoutSeconds: COMMAND_TIMEOUT_SECONDS.default,
      killGraceSeconds: COMMAND_KILL_GRACE_SECONDS.default,
      env: {},
      allowEmptyOutput: false,
    });
    expect(resolveCatalog(JSON.parse(JSON.stringify(catalog)))).toEqual(catalog);
  });

  it('keeps every setting given', () => {
    const spec = {
      type: 'command',
      command: ['/opt/tools/bin/convert', '--', '{input}', '{output_dir}/page.png'],
      timeoutSeconds: 39_600,
      killGraceSeconds: 15,
      env: { PATH: '/opt/tools/bin:/usr/bin', MODE: 'fast' },
      stdoutFile: '{input_name}.log',
      allowEmptyOutput: true,
    };

    expect(resolveCatalog({ processors: { convert: spec } }).processors.convert).toEqual(spec);
  });

  it.each([
    { case: 'one shell string', spec: { command: 'gzip -c {input}' }, problem: 'processors.p.command must be a list of strings (the program, then each argument), never one shell string, got "gzip -c {input}"' },
    { case: 'an empty argv', spec: { command: [] }, problem: 'processors.p.command must be a list of 1 to 256 strings, the program first, got []' },
    { case: 'no argv', spec: {}, problem: 'processors.p.command must be a list of 1 to 256 strings, the program first, got nothing' },
    { case: 'an argument that is not a string', spec: { command: ['gzip', 9] }, problem: 'processors.p.command[1] must be a string of at most 8192 characters without NUL, got 9' },
    { case: 'an unknown placeholder', spec: { command: ['gzip', '{file}'] }, problem: 'processors.p.command[1] must be an argument without an unknown placeholder {file} (the placeholders are {input}, {output_dir}, {id}, {rest}, {input_name}; write {{ and }} for literal braces), got "{file}"' },
    { case: 'a relative program path', spec: { command: ['./bin/scan', '{input}'] }, problem: 'processors.p.command[0] must be the program: an absolute path, or a name looked up on PATH, without placeholders' },
    { case: 'a program from a placeholder', spec: { command: ['{input}'] }, problem: 'processors.p.command[0] must be the program' },
    { case: 'an empty program', spec: { command: [''] }, problem: 'processors.p.command[0] must be the program' },
    { case: 'a timeout of 0', spec: { command: ['x'], timeoutSeconds: 0 }, problem: 'processors.p.timeoutSeconds must be an integer from 1 to 39600, got 0' },
    { case: 'a timeout past the visibility cap', spec: { command: ['x'], timeoutSeconds: 43_200 }, problem: 'processors.p.timeoutSeconds must be an integer from 1 to 39600, got 43200' },
    { case: 'a kill grace too long for the stop', spec: { command: ['x'], killGraceSeconds: 60 }, problem: 'processors.p.killGraceSeconds must be an integer from 1 to 15, got 60' },
    { case: 'env as a list', spec: { command: ['x'], env: ['A=1'] }, problem: 'processors.p.env must be an object of at most 64 variables, name → string, got ["A=1"]' },
    { case: 'an env name with a dash', spec: { command: ['x'], env: { 'MY-VAR': '1' } }, problem: 'processors.p.env.MY-VAR must be named with letters, digits and underscores, not starting with a digit, got "MY-VAR"' },
    { case: 'an env value that is a number', spec: { command: ['x'], env: { LEVEL: 9 } }, problem: 'processors.p.env.LEVEL must be a string of at most 8192 characters without NUL, got 9' },
    { case: 'a placeholder variable redefined', spec: { command: ['x'], env: { RAG_INPUT_FILE: '/etc/passwd' } }, problem: 'processors.p.env.RAG_INPUT_FILE must be left out: the worker sets RAG_INPUT_FILE for every command, got "/etc/passwd"' },
    { case: 'a stdoutFile with a path', spec: { command: ['x'], stdoutFile: 'out/{input_name}' }, problem: 'processors.p.stdoutFile must be a file name for the output directory' },
    { case: 'a stdoutFile naming the input', spec: { command: ['x'], stdoutFile: '{input}.txt' }, problem: 'whose placeholders are {input_name}, {id}, got "{input}.txt"' },
    { case: 'a stdoutFile that is the manifest', spec: { command: ['x'], stdoutFile: '_rag-manifest.json' }, problem: 'processors.p.stdoutFile must be a file name for the output directory (no /, not . or .., not _rag-manifest.json)' },
    { case: 'allowEmptyOutput as a string', spec: { command: ['x'], allowEmptyOutput: 'yes' }, problem: 'processors.p.allowEmptyOutput must be true or false, got "yes"' },
    { case: 'a misspelt setting', spec: { command: ['x'], timeout: 5 }, problem: "processors.p.timeout must be left out: a command processor's settings are type, command, timeoutSeconds, killGraceSeconds, env, stdoutFile, allowEmptyOutput, got 5" },
  ])('refuses $case, naming the setting and the value', ({ spec, problem }) => {
    expect(problemsOf({ p: { type: 'command', ...spec } })).toContainEqual(expect.stringContaining(problem));
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ p: { type: 'command', command: ['./x', '{nope}'], timeoutSeconds: -1 } })).toHaveLength(3);
  });

  it('names pipeline.config.ts in the synth error', () => {
    expect(() => loadProcessorCatalog({ processors: { p: { type: 'command', command: [] } } }, {})).toThrow(
      'pipeline.config.ts: processors.p.command must be a list of 1 to 256 strings, the program first, got []',
    );
  });
});
