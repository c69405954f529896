// Preloaded (`node --require`) into a measured child: writes the process's peak RSS in KiB to the file named by
// BENCH_RSS_FILE when it exits, so the bench reads the whole process's peak, loader threads included.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
