export { gsm8kScorer, gsm8kTemplate, GSM8K_METRICS } from './gsm8k-scorer';
export { extractGsm8k, gsm8kExactMatch, validOrNull, type Gsm8kExtraction } from './extract';
export { GSM8K_TEMPLATES, FLEXIBLE_EXTRACT, GSM8K_EXACT_MATCH, type Gsm8kTemplate, type Gsm8kTemplateName } from './templates';
