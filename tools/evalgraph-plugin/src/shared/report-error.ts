import { isUserFacingError } from '@evalgraph/core';

/** Prints an error the way a user should see it: one clean message for known errors, the stack only for bugs. */
export function reportError(e: unknown, prefix = ''): string {
  const text = isUserFacingError(e) ? e.message : e instanceof Error ? `unexpected error (a bug in evalgraph — please report it):\n${e.stack}` : String(e);
  const out = prefix ? `${prefix}: ${text}` : text;
  console.error(out);
  return out;
}
