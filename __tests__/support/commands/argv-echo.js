// A command for the command processor's suites: writes what it was given (its arguments, the RAG_* variables,
// its directory) as JSON to $RAG_OUTPUT_DIR/argv.json, so a test can check each value arrived as one argument.
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('RAG_') || ['HOME', 'TMPDIR', 'LANG', 'GREETING'].includes(name)));
writeFileSync(path.join(process.env.RAG_OUTPUT_DIR, 'argv.json'), JSON.stringify({ argv: process.argv.slice(2), env, cwd: process.cwd() }));
