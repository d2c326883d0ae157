export { humanevalScorer, humanevalProgram, humanevalCompletion } from './humaneval';
export { mbppScorer, mbppProgram, mbppCode } from './mbpp';
export { evalplusScorer, evalplusSolution, evalplusVariant, evalplusMetrics, type EvalplusVariant } from './evalplus';
export { estimatePassAtK, passAtKMetrics, countsPerTask } from './pass-at-k';
export { extractCode, fencedBlocks, definesFunction, stripThinking, topLevelFunctions, mbppEntryPoint, type CodeBlock, type ExtractedCode } from './extract';
export { CodeScorerOptions, codeOptions } from './options';
export { runHarness, harnessCode, type HarnessJob, type CheckJob, type EvalplusJob, type SanitizeJob, type HarnessRun, type HarnessEvent, PhaseResult } from './harness';
export { sandboxFor, type CodeScoringServices } from './sandbox-service';
export { EVALPLUS_INSTRUCTION, evalplusChatPrompt, mbppQuestion, MBPP_FEWSHOT, HUMANEVAL_STOP, EVALPLUS_STOP, MBPP_STOP } from './prompts';
