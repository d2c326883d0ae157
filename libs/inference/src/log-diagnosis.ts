import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { ServerFailureCause } from './errors';

/** A likely cause found in a server log, with what to do about it. */
export interface Diagnosis {
  cause: ServerFailureCause;
  summary: string;
  fix: string;
  /** The log line that matched. */
  evidence?: string;
}

interface Rule extends Omit<Diagnosis, 'evidence'> {
  pattern: RegExp;
}

// Order matters: the first rule that matches any line wins (OOM lines often precede a generic traceback).
const RULES: Rule[] = [
  {
    pattern: /CUDA out of memory|torch\.OutOfMemoryError|OutOfMemoryError|No available memory for the cache blocks|larger than the maximum number of tokens that can be stored in KV cache|is larger than the available KV cache memory|insufficient GPU memory/i,
    cause: 'out-of-memory',
    summary: 'the GPU ran out of memory (weights + KV cache do not fit)',
    fix: 'use a smaller preset (memory-optimized), lower max_model_len or max_num_seqs, raise gpu_memory_utilization if the GPU is otherwise free, or check that no other process holds GPU memory (nvidia-smi)',
  },
  {
    pattern: /unrecognized arguments|error: argument --|invalid choice:/i,
    cause: 'unknown-argument',
    summary: 'vLLM rejected a command-line argument',
    fix: 'remove or rename the flag in the model\'s vllm_args (the installed vLLM may be older or newer than the flag list evalgraph checks against)',
  },
  {
    pattern: /Address already in use|EADDRINUSE|\[Errno 98\]/i,
    cause: 'port-in-use',
    summary: 'the port was taken by another process',
    fix: 'retry (evalgraph picks a new free port); if it persists, look for a leftover server: ss -ltnp',
  },
  {
    pattern: /Repo id must|does not appear to have a file named|HFValidationError|not a valid model identifier|LocalEntryNotFoundError|We couldn't connect to 'https:\/\/huggingface\.co'|RepositoryNotFoundError|GatedRepoError|RevisionNotFoundError|Cannot access gated repo|401 Client Error/i,
    cause: 'missing-weights',
    summary: 'the model weights could not be found or downloaded (offline, wrong hf_id/revision, or a gated repo without a token)',
    fix: 'check hf_id and revision; pre-download with `huggingface-cli download <hf_id> --revision <sha>` on a machine with network; for gated models set HF_TOKEN; offline runs need HF_HUB_OFFLINE=1 and the weights in the HF cache',
  },
];

/** The first known failure pattern in the log lines, if any. */
export function diagnoseLog(lines: string[]): Diagnosis | null {
  for (const rule of RULES) {
    const hit = lines.find((l) => rule.pattern.test(l));
    if (hit) return { cause: rule.cause, summary: rule.summary, fix: rule.fix, evidence: hit.trim() };
  }
  return null;
}

/** The last `n` lines of a file (reads at most the last 256 KiB). */
export function tailFile(file: string, n = 30): string[] {
  let fd: number | null = null;
  try {
    const size = statSync(file).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    fd = openSync(file, 'r');
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Whole-log scan for diagnosis (the cause may be far above the last lines of a long traceback). */
export function diagnoseLogFile(file: string): Diagnosis | null {
  return diagnoseLog(tailFile(file, 2000));
}
