export { multipleChoiceScorer, MultipleChoiceOptions } from './multiple-choice-scorer';
export { toChoiceItem, argmax, pyLen, type ChoiceItem } from './choice-item';
export { choicePairs, choiceVerdict, fewshotPrefix, loglikelihoodRequests, mc2TrueMass, renderChoicePrompt, TARGET_DELIMITER, FEWSHOT_DELIMITER, type ChoiceVerdict } from './loglikelihood';
export { extractLetter, letterPrompt, letterQuestion, optionLetters } from './letter-choice';
