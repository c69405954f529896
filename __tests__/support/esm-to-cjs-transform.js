// Jest runs suites as CommonJS: this turns the one ES module the suites load at run time (PDF.js, as unpdf
// ships it) into CommonJS, the way tsup's esbuild does when it bundles the worker.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node22',
      sourcefile: filename,
      sourcemap: 'external',
      banner: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
      define: { 'import.meta.url': '__importMetaUrl' },
    });
    return { code, map };
  },
};
