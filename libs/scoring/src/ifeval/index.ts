export { ifevalScorer, IFEVAL_METRICS, IfevalDetail } from './ifeval-scorer';
export { bindInstructions, followInstructions, looseVariants, IfevalMetadata, type BoundInstructions, type FollowResult } from './evaluate';
export { buildCheck, isInstructionId, INSTRUCTION_IDS, LANGUAGE_CODES, InstructionArgsError, type Check, type InstructionId } from './instructions';
export { detectLanguage } from './language';
export { countSentences, sentTokenize, PunktSentenceTokenizer, ENGLISH_PARAMETERS, type PunktParameters } from './punkt';
export { countWords, wordTokenize, treebankTokenize } from './words';
