import { expect } from 'vitest';
import { STACK_LINE, type NxRun } from './chaos-workspace';

/** A run that failed the way a user should see it: non-zero exit, the expected message, no stack trace, no "bug" banner. */
export function expectClearFailure(r: NxRun, message: RegExp, context = ''): void {
  expect(r.status, `${context}\n${r.out}`).not.toBe(0);
  expect(r.out, context).toMatch(message);
  expect(r.out, `${context}: a stack trace was printed`).not.toMatch(STACK_LINE);
  expect(r.out, context).not.toMatch(/unexpected error \(a bug in evalgraph/);
}

/** A run that completed. */
export function expectSuccess(r: NxRun, context = ''): void {
  expect(r.status, `${context}\n${r.out}`).toBe(0);
}
