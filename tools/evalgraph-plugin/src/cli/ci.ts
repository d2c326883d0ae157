import { isAbsolute, resolve } from 'node:path';
import { isUserFacingError } from '@evalgraph/core';
import { baseSummaries } from '../ci/base-summaries';
import { CiError, githubShas } from '../ci/shas';
import { reportedPipelines, stepSummary } from '../ci/step-summary';

export const CI_USAGE = `usage: evalgraph ci shas                  print base=<sha> and head=<sha> for nx affected (append to $GITHUB_OUTPUT)
       evalgraph ci base-summaries --base SHA --out DIR [--install CMD] [--nx CMD]
                                          summary.json of each reported pipeline as the base commit has it
       evalgraph ci summary [--base-summaries DIR] [--base SHA --head SHA]
                                          Markdown for $GITHUB_STEP_SUMMARY: readiness and changed metrics`;

function flags(args: string[], known: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    if (!known.includes(args[i])) throw new CiError(`unknown option "${args[i]}"\n${CI_USAGE}`);
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) throw new CiError(`${args[i]}: expected a value`);
    out.set(args[i], v);
    i++;
  }
  return out;
}

/** `evalgraph ci ...`: the GitHub Actions workflow's steps, runnable and testable anywhere. */
export async function ci(root: string, sub: string | undefined, rest: string[]): Promise<number> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(process.cwd(), p));
  try {
    switch (sub) {
      case 'shas': {
        flags(rest, []);
        const s = githubShas(process.env, root);
        console.error(`nx affected: ${s.why} → ${s.head.slice(0, 12)}`);
        console.log(`base=${s.base}\nhead=${s.head}`);
        return 0;
      }
      case 'base-summaries': {
        const f = flags(rest, ['--base', '--out', '--install', '--nx']);
        const base = f.get('--base');
        const out = f.get('--out');
        if (!base || !out) throw new CiError(`--base and --out are required\n${CI_USAGE}`);
        const written = baseSummaries({ root, base, outDir: abs(out), pipelines: reportedPipelines(root), install: f.get('--install') ?? 'npm ci --no-audit --no-fund', nx: f.get('--nx') ?? 'npx nx', log: (l) => console.error(l) });
        console.error(`base summaries: ${written.length ? written.join(', ') : 'none'}`);
        return 0;
      }
      case 'summary': {
        const f = flags(rest, ['--base-summaries', '--base', '--head']);
        const dir = f.get('--base-summaries');
        process.stdout.write(stepSummary({ root, baseDir: dir ? abs(dir) : undefined, base: f.get('--base'), head: f.get('--head') }));
        return 0;
      }
      default:
        console.error(sub ? `unknown ci command "${sub}"\n${CI_USAGE}` : CI_USAGE);
        return 2;
    }
  } catch (e) {
    if (isUserFacingError(e)) {
      console.error(e.message);
      return e instanceof CiError ? 2 : 1;
    }
    throw e;
  }
}
