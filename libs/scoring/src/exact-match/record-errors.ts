/** A dataset record that lacks what its scorer needs (a target, choices, ...): a normalizer or config bug. */
export class InvalidRecordError extends Error {
  constructor(readonly scorer: string, readonly recordId: string, reason: string) {
    super(`${scorer}: record ${recordId}: ${reason}`);
    this.name = 'InvalidRecordError';
  }
}

/** The record's target, or an InvalidRecordError naming the scorer. */
export function requireTarget(scorer: string, record: { id: string; target?: string }): string {
  if (record.target === undefined) throw new InvalidRecordError(scorer, record.id, 'has no target');
  return record.target;
}
