import { existsSync } from 'node:fs';
import { RequestCache, requestCacheFile } from '@evalgraph/inference';

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** `evalgraph cache stats | prune [--older-than-days N] [--model NAME]`. */
export async function cache(root: string, sub: string | undefined, rest: string[]): Promise<number> {
  const file = requestCacheFile(root);
  if (!existsSync(file)) {
    console.log(`no request cache yet (${file})`);
    return 0;
  }
  const c = RequestCache.open(file);
  try {
    if (sub === 'stats') {
      const s = c.stats();
      console.log(`${s.file}: ${s.entries} responses, ${mb(s.fileBytes)} on disk`);
      for (const m of s.models) console.log(`  ${m.model.padEnd(28)} ${String(m.entries).padStart(8)} responses  ${mb(m.bytes).padStart(10)}  ${m.oldest} … ${m.newest}`);
      return 0;
    }
    if (sub === 'prune') {
      const opt = (name: string) => {
        const i = rest.indexOf(name);
        return i >= 0 ? rest[i + 1] : undefined;
      };
      const days = opt('--older-than-days');
      if (days !== undefined && !(Number(days) >= 0)) {
        console.error(`--older-than-days: expected a number of days, found "${days}"`);
        return 2;
      }
      const removed = c.prune({ olderThanDays: days === undefined ? undefined : Number(days), model: opt('--model'), vacuum: true });
      console.log(`removed ${removed} responses`);
      return 0;
    }
    console.error('usage: evalgraph cache stats | cache prune [--older-than-days N] [--model NAME]');
    return 2;
  } finally {
    c.close();
  }
}
