// Preloaded into the CLI by the benchmarks (node --import): records the process's peak RSS at exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.RSS_PROBE_FILE) writeFileSync(process.env.RSS_PROBE_FILE, String(process.resourceUsage().maxRSS * 1024));
});
