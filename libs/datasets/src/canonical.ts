import { DatasetRecord } from '@evalgraph/core';

/** A record with its keys in canonical order (id, input, target, choices, gold, metadata), so output bytes are stable. */
export function canonicalRecord(r: DatasetRecord): DatasetRecord {
  const ordered: Record<string, unknown> = { id: r.id, input: r.input };
  if (r.target !== undefined) ordered.target = r.target;
  if (r.choices !== undefined) ordered.choices = r.choices;
  if (r.gold !== undefined) ordered.gold = r.gold;
  ordered.metadata = r.metadata ?? {};
  return ordered as DatasetRecord;
}

/** Validates records against the DatasetRecord schema; ids must be unique. Errors name the record. */
export function validateRecords(records: readonly unknown[], where: string): DatasetRecord[] {
  const seen = new Set<string>();
  return records.map((r, i) => {
    const parsed = DatasetRecord.safeParse(r);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const id = (r as { id?: unknown })?.id;
      throw new Error(`${where}: record ${i}${typeof id === 'string' ? ` (id ${id})` : ''} is not a valid DatasetRecord: ${issue.path.join('.') || '(record)'}: ${issue.message}`);
    }
    const rec = parsed.data;
    if (rec.choices && rec.gold !== undefined && rec.gold >= rec.choices.length) {
      throw new Error(`${where}: record ${i} (id ${rec.id}): gold ${rec.gold} is not an index of its ${rec.choices.length} choices`);
    }
    if (seen.has(rec.id)) throw new Error(`${where}: record ${i}: duplicate id ${rec.id}`);
    seen.add(rec.id);
    return rec;
  });
}
