import { runCli } from './program';

/** Entry point of `npx pipeline` (bin/pipeline.js): wires the CLI to this process. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  process.exitCode = await runCli(argv.slice(2), {
    io: {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
      interactive: process.stderr.isTTY === true,
    },
    env: process.env,
    cwd: process.cwd(),
  });
}

if (require.main === module) void main();
