import { exactMatch, regexFilter, INVALID } from '../exact-match';
import { FLEXIBLE_EXTRACT, GSM8K_EXACT_MATCH, type Gsm8kTemplate } from './templates';

/** Both GSM8K filters' output for one response ("[invalid]" when a filter found nothing). */
export interface Gsm8kExtraction {
  strict: string;
  flexible: string;
}

/** Runs the variant's strict-match filter and flexible-extract on a response (regex + take_first). */
export function extractGsm8k(response: string, template: Gsm8kTemplate): Gsm8kExtraction {
  return {
    strict: regexFilter(response, template.strict.pattern, template.strict.groupSelect),
    flexible: regexFilter(response, FLEXIBLE_EXTRACT.pattern, FLEXIBLE_EXTRACT.groupSelect),
  };
}

/** The harness's exact_match of a filtered answer against the reference, with GSM8K's normalization. */
export function gsm8kExactMatch(filtered: string, reference: string): 0 | 1 {
  return exactMatch(filtered, reference, GSM8K_EXACT_MATCH);
}

/** null for the filter fallback, so "[invalid]" is reported as "no answer extracted". */
export function validOrNull(filtered: string): string | null {
  return filtered === INVALID ? null : filtered;
}
