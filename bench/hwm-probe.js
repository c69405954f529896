// Preloaded (`node --require`) into a measured child: writes the process's peak resident set, in bytes, to the
// file named by BENCH_HWM_FILE when it exits. On Linux it is /proc/self/status's VmHWM, the high-water mark of
// this process's own address space: getrusage's ru_maxrss (process.resourceUsage().maxRSS) is carried over
// from the parent through fork and exec, so a child spawned by a bench holding a few hundred MB would report
// the bench's size, not its own. Elsewhere, maxRSS is the best there is.
const { readFileSync, writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.BENCH_HWM_FILE;
  if (!file) return;
  let bytes = process.resourceUsage().maxRSS * 1024;
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (kib) bytes = Number(kib[1]) * 1024;
  } catch {
    // not Linux
  }
  writeFileSync(file, String(bytes));
});
