import type { ExecutorContext } from '@nx/devkit';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MissingDependencyError, TrainDataManifest, TrainMetrics, TrainRunFile, fileDigest, resolveTrainRun, type ResolvedTrainRun } from '@evalgraph/core';
import { GpuLeaseManager, TrainerError, cudaDeviceEnv, detectCapacity, buildTrainerJob, leaseDbFile, runTrainer, trainingLeaseGiB, type Lease } from '@evalgraph/inference';
import { reportError } from '../../shared/report-error';
import { noteExecution } from '../../shared/exec-log';
import { installSignalHandlers, releaseSignalHandlers } from '../../shared/signals';
import { trainOutDir, TRAINER_SCRIPT } from '../../nodes/train-project';
import { trainDataOutDir } from '../../nodes/train-data-project';

const TRAINER_LABEL = { transformers: 'transformers + peft', fake: 'fake (CPU stand-in: nothing trained)' } as const;

function readTrainDataManifest(root: string, data: string): TrainDataManifest {
  const file = join(root, trainDataOutDir(data), 'manifest.json');
  if (!existsSync(file)) throw new MissingDependencyError(`the fine-tuning set ${data} is not prepared (${relative(root, file)} is missing)`, `npx nx run train-data-${data}:prepare`);
  const parsed = TrainDataManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a valid train-data manifest (${parsed.error.issues[0].message}) — prepare it again`);
  return parsed.data;
}

/** Every file under dir (relative, sorted), for run.json digests. */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? listFiles(join(dir, f), base) : [relative(base, join(dir, f))]))
    .sort();
}

/** The whole of one GPU, as nvidia-smi reports it where it can (the profile's numbers otherwise). */
async function takeLease(leases: GpuLeaseManager, r: ResolvedTrainRun, signal: AbortSignal): Promise<Lease> {
  const cap = await detectCapacity(r.gpuProfile, r.gpu);
  if (cap.note) console.log(`train-${r.run}: ${cap.note}`);
  const onMachine = { ...r, gpuProfile: cap.gpu };
  return leases.acquire(
    { key: `train-${r.run}`, gib: trainingLeaseGiB(onMachine), deviceMemoryGiB: cap.gpu.memory_gib, deviceCount: cap.gpu.count, ...(cap.devices ? { devices: cap.devices } : {}) },
    { signal, onWait: (h) => console.log(`train-${r.run}: waiting for the GPU (held by ${h.map((x) => x.key).join(', ')})`) },
  );
}

/**
 * Trains a LoRA adapter: checks the run's configs (before any GPU time), writes the trainer's job, takes the whole GPU
 * in the lease (transformers trainer only), runs the trainer in its own process group and swaps the finished
 * folder in: adapter/, metrics.json, job.json, train.log and run.json (versions, digests). Nothing is left on failure.
 */
export default async function trainExecutor(options: { run: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  const root = context.root;
  const signal = installSignalHandlers();
  const finalDir = trainOutDir(options.run);
  const staging = `${finalDir}.staging-${process.pid}`;
  let lease: Lease | undefined;
  let leases: GpuLeaseManager | undefined;
  try {
    const r = resolveTrainRun(root, options.run);
    const data = readTrainDataManifest(root, r.data);
    console.log(`train-${r.run}: ${r.config.trainer === 'fake' ? 'FAKE trainer (CPU stand-in, nothing is trained); ' : ''}${r.model} + LoRA r=${r.config.lora.rank} on ${r.data} (${data.examples} examples), ${r.gpu}: batch ${r.batchSize} (${r.from.batch_size}) × accumulation ${r.gradientAccumulation} (${r.from.gradient_accumulation}), ${r.precision} (${r.from.precision})`);
    rmSync(join(root, staging), { recursive: true, force: true });
    // A staging folder left by a SIGKILLed run of this target.
    const parent = join(root, finalDir, '..');
    if (existsSync(parent)) for (const f of readdirSync(parent)) if (f.startsWith(`${options.run}.staging-`)) rmSync(join(parent, f), { recursive: true, force: true });
    mkdirSync(join(root, staging), { recursive: true });
    const job = buildTrainerJob(r, { dataFile: `${trainDataOutDir(r.data)}/data.jsonl`, outDir: `${staging}/adapter`, metricsFile: `${staging}/metrics.json` });
    writeFileSync(join(root, staging, 'job.json'), JSON.stringify({ ...job, out_dir: `${finalDir}/adapter`, metrics_file: `${finalDir}/metrics.json` }, null, 2) + '\n');
    const jobFile = join(staging, 'job-staging.json');
    writeFileSync(join(root, jobFile), JSON.stringify(job, null, 2) + '\n');
    const env: Record<string, string> = {};
    if (r.config.trainer === 'transformers') {
      leases = new GpuLeaseManager(leaseDbFile(root));
      lease = await takeLease(leases, r, signal);
      Object.assign(env, cudaDeviceEnv(lease.devices));
    }
    const python = process.env.EVALGRAPH_PYTHON || 'python3';
    const command = [python, TRAINER_SCRIPT, '--job', jobFile];
    await runTrainer({ run: `train-${r.run}`, command, cwd: root, logFile: join(root, staging, 'train.log'), env, signal, onSpawn: (pgid) => lease?.attachServer(pgid) });
    rmSync(join(root, jobFile));
    const metrics = TrainMetrics.parse(JSON.parse(readFileSync(join(root, staging, 'metrics.json'), 'utf8')));
    const files = Object.fromEntries(listFiles(join(root, staging)).map((f) => [f, fileDigest(join(root, staging, f))]));
    const runFile = TrainRunFile.parse({
      run: r.run,
      trainer: TRAINER_LABEL[r.config.trainer],
      model: { name: r.model, hf_id: r.modelConfig.hf_id, revision: r.modelConfig.revision },
      data: { name: r.data, sha256: data.sha256, examples: data.examples },
      gpu: { profile: r.gpu, name: r.gpuProfile.name },
      recipe: { batch_size: r.batchSize, gradient_accumulation: r.gradientAccumulation, precision: r.precision, from: r.from },
      versions: { node: process.version, ...metrics.versions },
      command: [python, TRAINER_SCRIPT, '--job', `${finalDir}/job.json`],
      files,
    });
    writeFileSync(join(root, staging, 'run.json'), JSON.stringify(runFile, null, 2) + '\n');
    rmSync(join(root, finalDir), { recursive: true, force: true });
    renameSync(join(root, staging), join(root, finalDir));
    console.log(`train-${r.run}: loss ${metrics.first_loss.toFixed(4)} → ${metrics.final_loss.toFixed(4)} over ${metrics.steps} steps; adapter ${metrics.adapter_bytes} bytes in ${finalDir}/adapter`);
    noteExecution(`train-${r.run}`);
    return { success: true };
  } catch (e) {
    rmSync(join(root, staging), { recursive: true, force: true });
    // Interrupted while waiting for the GPU lease (the trainer reports its own interruption).
    if (signal.aborted && !(e instanceof TrainerError)) console.error(`train-${options.run}: ${(signal.reason as Error).message}; nothing was written`);
    else reportError(e);
    return { success: false };
  } finally {
    lease?.release();
    leases?.close();
    releaseSignalHandlers();
  }
}
