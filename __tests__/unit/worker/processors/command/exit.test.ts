import { judgeEnd, lastLine, type CommandEnd } from '../../../../../worker/processors/command/exit';

describe('judgeEnd', () => {
  it.each([
    { case: 'exit 0', end: { kind: 'exited', code: 0, signal: null }, stderr: 'warning: ignored\n', verdict: { kind: 'success' } },
    {
      case: 'exit 75 (EX_TEMPFAIL)',
      end: { kind: 'exited', code: 75, signal: null },
      stderr: 'connecting…\ndatabase busy\n',
      verdict: { kind: 'transient', reason: 'command exited with code 75 (EX_TEMPFAIL): database busy' },
    },
    { case: 'exit 2', end: { kind: 'exited', code: 2, signal: null }, stderr: 'usage: tool FILE\n\n', verdict: { kind: 'failed', reason: 'command exited with code 2: usage: tool FILE' } },
    { case: 'exit 1 with nothing on stderr', end: { kind: 'exited', code: 1, signal: null }, stderr: '', verdict: { kind: 'failed', reason: 'command exited with code 1 (nothing on stderr)' } },
    {
      case: 'a signal from outside',
      end: { kind: 'exited', code: null, signal: 'SIGSEGV' },
      stderr: 'Segmentation fault',
      verdict: { kind: 'failed', reason: 'command was killed by SIGSEGV: Segmentation fault' },
    },
    { case: 'the timeout', end: { kind: 'timed-out', timeoutSeconds: 30 }, stderr: 'still working', verdict: { kind: 'failed', reason: 'timed out after 30 s' } },
    {
      case: 'a program not found',
      end: { kind: 'spawn-failed', code: 'ENOENT', message: 'spawn tool ENOENT' },
      stderr: '',
      verdict: { kind: 'failed', reason: 'command not found: ‘tool’ (ENOENT)' },
    },
    {
      case: 'a program not executable',
      end: { kind: 'spawn-failed', code: 'EACCES', message: 'spawn /opt/tool EACCES' },
      stderr: '',
      verdict: { kind: 'failed', reason: 'command not executable: ‘tool’ (EACCES)' },
    },
    {
      case: 'a start that may work later',
      end: { kind: 'spawn-failed', code: 'EAGAIN', message: 'spawn tool EAGAIN' },
      stderr: '',
      verdict: { kind: 'transient', reason: 'command ‘tool’ (EAGAIN) could not start: spawn tool EAGAIN' },
    },
  ] as Array<{ case: string; end: Exclude<CommandEnd, { kind: 'aborted' }>; stderr: string; verdict: unknown }>)('maps $case', ({ end, stderr, verdict }) => {
    expect(judgeEnd(end, 'tool', stderr)).toEqual(verdict);
  });

  it('quotes stderr template-safe: no quote, backslash or control character reaches the reason', () => {
    const verdict = judgeEnd({ kind: 'exited', code: 3, signal: null }, 'tool', 'bad "input" at C:\\x\tthere\u0007\r\n');

    expect(verdict).toEqual({ kind: 'failed', reason: 'command exited with code 3: bad \ufffdinput\ufffd at C:\ufffdx\ufffdthere\ufffd' });
  });
});

describe('lastLine', () => {
  it('takes the last line with text, trimmed, and cuts a long one', () => {
    expect(lastLine('one\n  two  \n\n   \n')).toBe('two');
    expect(lastLine('x'.repeat(400))).toBe(`${'x'.repeat(300)}…`);
    expect(lastLine(' \n\t\n')).toBeUndefined();
  });
});
