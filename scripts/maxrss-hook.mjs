// Loaded with `node --import` by the benchmark: records the process's peak resident
// memory when it exits, so a child CLI run can be measured from outside.
import fs from 'node:fs';

process.on('exit', () => {
  const file = process.env.KAIYAKU_BENCH_RSS_FILE;
  if (file) fs.writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
