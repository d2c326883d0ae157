import { findWorkspaceRoot } from './workspace-root';
import { writeSchemas, staleSchemas } from './schemas';

const USAGE = `usage: evalgraph <command>

  doctor                 check the environment: Node, Python, vLLM and its supported range, GPUs, CUDA driver,
                         disk, HF token, ports, the bubblewrap sandbox, Chromium (tests only)
  cache stats [--json]   size, entries and location of every cache: Nx task cache, prepared datasets,
                         dataset downloads, request cache, GPU leases, English-filter artifacts
  cache prune (--older-than-days N | --only NAME[,NAME] | --model NAME | --damaged | --all) [--dry-run]
                         remove from those caches; nothing in use (a live lease, a running nx) is removed;
                         --damaged: only Nx cache entries whose cell files fail their run.json digests
  slurm up [--gpus N]    start a local one-node Slurm (munged, slurmctld, slurmd; N fake GPUs, default 2; root)
                         under .evalgraph/slurm, for pipelines with scheduler: slurm on this machine
  slurm down             cancel its jobs, stop its daemons, remove .evalgraph/slurm
  storage show | apply   where prepared data, adapters, results, the request cache and model caches live
                         (configs/storage.yaml); apply writes what Nx must start with into .env.local
  schemas [--check]      regenerate configs/schema/*.json from the zod schemas (--check: fail if stale)
  plan [--json] (run-many | affected) [nx options]
                         what that nx command would do, run nothing: the cells that miss Nx's cache, the servers
                         that would start and their predicted GPU time (docs/plan.md)
  remote-cache serve --dir DIR --port PORT [--token-file F] [--read-token-file F] [--host H]
                         serve Nx's self-hosted remote cache API from DIR (works outside a workspace too)
  ci shas | base-summaries | summary
                         the CI workflow's steps (.github/workflows/evalgraph.yml; docs/scale.md)
`;

/** Entry point of the evalgraph CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  // A cache host needs no workspace checkout.
  if (cmd === 'remote-cache') return (await import('./remote-cache')).remoteCache(process.cwd(), sub, rest);
  const root = findWorkspaceRoot(process.cwd());
  switch (cmd) {
    case 'schemas': {
      if (sub === '--check') {
        const stale = staleSchemas(root);
        if (stale.length) {
          console.error(`stale JSON Schemas in configs/schema: ${stale.join(', ')} — run: npx evalgraph schemas`);
          return 1;
        }
        console.log('configs/schema is up to date');
        return 0;
      }
      for (const f of writeSchemas(root)) console.log(`wrote ${f}`);
      return 0;
    }
    case 'doctor':
      return (await import('./doctor')).doctor(root);
    case 'cache':
      return (await import('./cache')).cache(root, sub, rest);
    case 'plan':
      // Nx reads its workspace root from the working directory when its modules load.
      process.chdir(root);
      return (await import('./plan/plan-command')).plan(root, argv.slice(1));
    case 'slurm':
      return (await import('./slurm-cluster')).slurm(root, sub, rest);
    case 'ci':
      return (await import('./ci')).ci(root, sub, rest);
    case 'storage':
      return (await import('./storage')).storage(root, sub);
    case undefined:
    case '--help':
    case 'help':
      console.log(USAGE);
      return cmd ? 0 : 2;
    default:
      console.error(`unknown command "${cmd}"\n${USAGE}`);
      return 2;
  }
}
