import { ProcessorType, type CommandProcessorSpec } from '../../../../../contracts';
import { compileCommand, planInvocation } from '../../../../../worker/processors/command/invocation';
import { jobLayout, scratchFileName } from '../../../../../worker/processors/command/layout';

const spec = (overrides: Partial<CommandProcessorSpec> = {}): CommandProcessorSpec => ({
  type: ProcessorType.command,
  command: ['convert', '{input}', '--out={output_dir}/{input_name}.png', '--id', '{id}', '--', '{rest}'],
  timeoutSeconds: 60,
  killGraceSeconds: 5,
  env: {},
  allowEmptyOutput: false,
  ...overrides,
});
const request = (rest: string, itemId = 'row-1') => ({ itemId, bucketName: 'b', sourceKey: `data/input/${rest}`, rest, outputKey: `data/output/${rest}` });

describe('planInvocation', () => {
  it.each([
    { case: 'spaces', rest: 'a/my report.pdf' },
    { case: 'a command substitution', rest: 'a/$(rm -rf ~).pdf' },
    { case: 'backticks', rest: 'a/`reboot`.pdf' },
    { case: 'quotes', rest: `a/it's "x".pdf` },
    { case: 'a newline', rest: 'a/two\nlines.pdf' },
    { case: 'a leading dash', rest: '-rf' },
    { case: 'braces that look like a placeholder', rest: 'a/{output_dir}.pdf' },
  ])('passes a <rest> with $case as exactly one argument, never interpreted', ({ rest }) => {
    const layout = jobLayout('/scratch/job-1', rest);
    const plan = planInvocation(compileCommand(spec()), request(rest), layout, '/usr/bin');
    if (!plan.ok) throw new Error(plan.reason);
    const name = rest.slice(rest.lastIndexOf('/') + 1);

    expect(plan.invocation.program).toBe('convert');
    expect(plan.invocation.args).toEqual([layout.inputFile, `--out=/scratch/job-1/output/${name}.png`, '--id', 'row-1', '--', rest]);
    expect(plan.invocation.env).toMatchObject({ RAG_INPUT_REST: rest, RAG_INPUT_NAME: name, RAG_INPUT_FILE: `/scratch/job-1/input/${name}` });
  });

  it('builds the environment from nothing: PATH, HOME and TMPDIR in the job, LANG, the extra env, the placeholders', () => {
    const layout = jobLayout('/scratch/job-1', 'x.txt');
    const plan = planInvocation(compileCommand(spec({ env: { MODE: 'fast', PATH: '/opt/bin' } })), request('x.txt'), layout, '/usr/bin');

    expect(plan).toEqual({
      ok: true,
      invocation: expect.objectContaining({
        cwd: '/scratch/job-1/input',
        env: {
          PATH: '/opt/bin',
          HOME: '/scratch/job-1/home',
          TMPDIR: '/scratch/job-1/tmp',
          LANG: 'C.UTF-8',
          MODE: 'fast',
          RAG_INPUT_FILE: '/scratch/job-1/input/x.txt',
          RAG_OUTPUT_DIR: '/scratch/job-1/output',
          RAG_ITEM_ID: 'row-1',
          RAG_INPUT_REST: 'x.txt',
          RAG_INPUT_NAME: 'x.txt',
        },
      }),
    });
  });

  it('writes stdout to the named file of the output directory', () => {
    const plan = planInvocation(compileCommand(spec({ stdoutFile: '{input_name}.sha256' })), request('a/b.txt'), jobLayout('/s/j', 'a/b.txt'), '/usr/bin');

    expect(plan).toMatchObject({ ok: true, invocation: { stdoutPath: '/s/j/output/b.txt.sha256' } });
  });

  it.each([
    { case: 'an id with a slash', stdoutFile: '{id}.log', itemId: 'a/b', reason: 'stdoutFile would be ‘a/b.log’ for this row, which holds a /' },
    { case: 'an id that is ..', stdoutFile: '{id}', itemId: '..', reason: 'stdoutFile would be ‘..’ for this row, which is not a file name' },
    { case: 'an id naming the manifest', stdoutFile: '{id}', itemId: '_rag-manifest.json', reason: 'is the name of the pipeline’s manifest' },
  ])('fails the row when stdoutFile is $case', ({ stdoutFile, itemId, reason }) => {
    const plan = planInvocation(compileCommand(spec({ stdoutFile })), request('x.txt', itemId), jobLayout('/s/j', 'x.txt'), '/usr/bin');

    expect(plan).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('fails the row when a value holds a NUL character, which no program can receive', () => {
    const plan = planInvocation(compileCommand(spec()), request('x.txt', 'a\0b'), jobLayout('/s/j', 'x.txt'), '/usr/bin');

    expect(plan).toEqual({ ok: false, reason: "the row's values cannot be passed to the command: argument 4 would hold a NUL character" });
  });
});

describe('scratchFileName', () => {
  it('keeps a name that fits, and shortens a longer one on a character boundary, keeping its extension', () => {
    expect(scratchFileName('report.pdf')).toBe('report.pdf');
    const long = `${'é'.repeat(200)}.pdf`;
    const short = scratchFileName(long);

    expect(Buffer.byteLength(short)).toBeLessThanOrEqual(255);
    expect(short.endsWith('é.pdf')).toBe(true);
    expect(scratchFileName('x'.repeat(300))).toBe('x'.repeat(255));
  });
});
