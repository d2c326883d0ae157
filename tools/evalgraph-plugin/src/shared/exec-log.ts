import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Test hook, as the evaluate executor's: EVALGRAPH_EXEC_LOG names a file that gets one line per task actually executed (not restored). */
export function noteExecution(what: string): void {
  const file = process.env.EVALGRAPH_EXEC_LOG;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${what}\n`);
}
