import { setFlagsFromString } from 'node:v8';

/** How far V8 lets the heap grow past what survived the last full GC before the next one: 1.5×. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = '--heap-growing-percent';

/**
 * Makes an evaluating process collect its garbage before it piles up. A cell holds ~40 MB between requests but
 * allocates hundreds of MB of short-lived bodies and answers, and V8's default lets the heap grow to up to 4× what
 * survived the last full GC, so peak RSS followed V8's heuristics rather than the work (bench/findings.md: 10,000
 * GSM8K samples peaked at 300–316 MB by default, 220–228 MB at 50%, no slower). A growth factor, not a limit: a cell
 * that needs more memory still gets it. A growth factor the user chose (node flag or NODE_OPTIONS) is left alone.
 * Returns the percent it set, or null when it left the user's choice.
 */
export function tuneHeapForEvaluation(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | null {
  // Node accepts V8 flags with dashes or underscores.
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => a.split('=')[0].replace(/_/g, '-') === FLAG);
  if (chosen) return null;
  setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
  return HEAP_GROWING_PERCENT;
}
