import { definePlugin } from '@evalgraph/scoring';
import { regexAnswerScorer } from './scorer';

export { regexAnswerScorer, normalizeAnswer } from './scorer';
export { RegexAnswerOptions } from './options';

/** The plugin evalgraph loads for `scorer: ./tools/plugins/regex-answer`. */
export default definePlugin({ scorer: regexAnswerScorer });
