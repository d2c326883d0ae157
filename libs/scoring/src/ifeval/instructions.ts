/**
 * The 25 instruction checks of Google's IFEval (google-research instruction_following_eval/
 * instructions.py and instructions_registry.py; the copy in lm-evaluation-harness
 * lm_eval/tasks/ifeval is the same code). Each `check` ports `check_following` line by line;
 * the kwargs schemas accept exactly what `build_description` accepts without drawing a random
 * value (the reference picks random thresholds for missing arguments, which no dataset record
 * relies on, so a missing or out-of-range argument is an error here).
 */
import { z } from 'zod';
import { detectLanguage } from './language';
import {
  pyFindall, pyIsLower, pyIsUpper, pyLstrip, PyPatternError, pyRe, pyRstrip, pySearch, pySplit, pySplitWs, pyStrip, removePrefix, removeSuffix,
  type PyFlags,
} from './py';
import { countSentences } from './punkt';
import { countWords, wordTokenize } from './words';

/** instructions_util.LANGUAGE_CODES: the languages response_language may ask for. */
export const LANGUAGE_CODES = {
  en: 'English', es: 'Spanish', pt: 'Portuguese', ar: 'Arabic', hi: 'Hindi', fr: 'French', ru: 'Russian', de: 'German',
  ja: 'Japanese', it: 'Italian', bn: 'Bengali', uk: 'Ukrainian', th: 'Thai', ur: 'Urdu', ta: 'Tamil', te: 'Telugu',
  bg: 'Bulgarian', ko: 'Korean', pl: 'Polish', he: 'Hebrew', fa: 'Persian', vi: 'Vietnamese', ne: 'Nepali',
  sw: 'Swahili', kn: 'Kannada', mr: 'Marathi', gu: 'Gujarati', pa: 'Punjabi', ml: 'Malayalam', fi: 'Finnish',
} as const;

const Relation = z.enum(['less than', 'at least']);
type Relation = z.infer<typeof Relation>;
const Count = z.number().int().min(0);
const Text = z.string().min(1);

function compare(actual: number, relation: Relation, threshold: number): boolean {
  return relation === 'less than' ? actual < threshold : actual >= threshold;
}

/** A check of one response against one instruction with its arguments bound. */
export type Check = (response: string) => boolean;

interface InstructionDef<S extends z.ZodType> {
  kwargs: S;
  build(kwargs: z.infer<S>): Check;
}

function def<S extends z.ZodType>(kwargs: S, build: (kwargs: z.infer<S>) => Check): InstructionDef<S> {
  return { kwargs, build };
}

const none = z.object({}).strict();

// Arguments the reference uses as regex patterns are compiled when the check is bound, so a
// pattern JavaScript cannot express fails before any request is sent.
function compiled(patterns: string[], flags?: PyFlags): string[] {
  for (const p of patterns) pyRe(p, flags);
  return patterns;
}

// langdetect raising (no letters) counts as followed in the reference.
function isLanguage(value: string, code: string): boolean {
  const detected = detectLanguage(value);
  return detected === null || detected === code;
}

const INSTRUCTIONS = {
  // KeywordChecker: every keyword is searched as a regex, case-insensitively.
  'keywords:existence': def(z.object({ keywords: z.array(Text).min(1) }).strict(), ({ keywords }) => {
    const sorted = compiled([...keywords].sort(), { ignoreCase: true });
    return (value) => sorted.every((k) => pySearch(k, value, { ignoreCase: true }));
  }),
  // KeywordFrequencyChecker: non-overlapping regex matches of the stripped keyword.
  'keywords:frequency': def(z.object({ keyword: Text, frequency: Count, relation: Relation }).strict(), ({ keyword, frequency, relation }) => {
    const [k] = compiled([pyStrip(keyword)], { ignoreCase: true });
    return (value) => compare(pyFindall(k, value, { ignoreCase: true }).length, relation, frequency);
  }),
  // ForbiddenWords: \b-delimited regex search for each word.
  'keywords:forbidden_words': def(z.object({ forbidden_words: z.array(Text).min(1) }).strict(), ({ forbidden_words }) => {
    const patterns = compiled([...new Set(forbidden_words)].sort().map((w) => `\\b${w}\\b`), { ignoreCase: true });
    return (value) => !patterns.some((p) => pySearch(p, value, { ignoreCase: true }));
  }),
  // LetterFrequencyChecker (Google's version: any single character, e.g. "#" or "!", is counted as
  // given; the harness's copy replaces non a-z letters by a random one).
  'keywords:letter_frequency': def(
    z.object({ letter: z.string().refine((l) => [...l].length === 1, 'one character'), let_frequency: Count, let_relation: Relation }).strict(),
    ({ letter, let_frequency, let_relation }) => {
      const l = pyStrip(letter).toLowerCase();
      return (value) => {
        let n = 0;
        for (const ch of value.toLowerCase()) if (ch === l) n++;
        return compare(n, let_relation, let_frequency);
      };
    },
  ),
  'language:response_language': def(
    z.object({ language: z.enum(Object.keys(LANGUAGE_CODES) as [keyof typeof LANGUAGE_CODES, ...(keyof typeof LANGUAGE_CODES)[]]) }).strict(),
    ({ language }) => (value) => isLanguage(value, language),
  ),
  'length_constraints:number_sentences': def(z.object({ num_sentences: Count, relation: Relation }).strict(), ({ num_sentences, relation }) => (value) =>
    compare(countSentences(value), relation, num_sentences),
  ),
  // ParagraphChecker: paragraphs split on "***"; an empty paragraph is allowed only first or last.
  'length_constraints:number_paragraphs': def(z.object({ num_paragraphs: Count }).strict(), ({ num_paragraphs }) => (value) => {
    const paragraphs = pySplit('\\s?\\*\\*\\*\\s?', value);
    let n = paragraphs.length;
    for (const [i, p] of paragraphs.entries()) {
      if (pyStrip(p)) continue;
      if (i === 0 || i === paragraphs.length - 1) n -= 1;
      else return false;
    }
    return n === num_paragraphs;
  }),
  'length_constraints:number_words': def(z.object({ num_words: Count, relation: Relation }).strict(), ({ num_words, relation }) => (value) =>
    compare(countWords(value), relation, num_words),
  ),
  // ParagraphFirstWordCheck: paragraphs split on "\n\n"; empty ones are not counted but still indexed.
  'length_constraints:nth_paragraph_first_word': def(
    z
      .object({ num_paragraphs: Count, nth_paragraph: z.number().int().min(1), first_word: z.string() })
      .strict()
      .refine((k) => k.nth_paragraph <= k.num_paragraphs, { message: 'nth_paragraph must be at most num_paragraphs', path: ['nth_paragraph'] }),
    ({ num_paragraphs, nth_paragraph, first_word }) => {
      const expected = first_word.toLowerCase();
      return (value) => {
        const paragraphs = value.split('\n\n');
        const n = paragraphs.filter((p) => pyStrip(p) !== '').length;
        if (nth_paragraph > n) return false;
        const paragraph = pyStrip(paragraphs[nth_paragraph - 1]);
        if (!paragraph) return false;
        const word = pyLstrip(pyLstrip(pyStrip(pySplitWs(paragraph)[0]), "'"), '"');
        let first = '';
        for (const ch of word) {
          if ('.,?!\'"'.includes(ch)) break;
          first += ch.toLowerCase();
        }
        return n === num_paragraphs && first === expected;
      };
    },
  ),
  'detectable_content:number_placeholders': def(z.object({ num_placeholders: Count }).strict(), ({ num_placeholders }) => (value) =>
    pyFindall('\\[.*?\\]', value).length >= num_placeholders,
  ),
  // PostscriptChecker: the two markers the dataset uses have fixed patterns; any other is a regex.
  'detectable_content:postscript': def(z.object({ postscript_marker: Text }).strict(), ({ postscript_marker }) => {
    const marker = pyStrip(postscript_marker);
    const [pattern] = compiled([marker === 'P.P.S' ? '\\s*p\\.\\s?p\\.\\s?s.*$' : marker === 'P.S.' ? '\\s*p\\.\\s?s\\..*$' : `\\s*${marker.toLowerCase()}.*$`], { multiline: true });
    return (value) => pySearch(pattern, value.toLowerCase(), { multiline: true });
  }),
  // BulletListChecker: "* item" and "- item" lines, exactly num_bullets of them.
  'detectable_format:number_bullet_lists': def(z.object({ num_bullets: Count }).strict(), ({ num_bullets }) => (value) =>
    pyFindall('^\\s*\\*[^\\*].*$', value, { multiline: true }).length + pyFindall('^\\s*-.*$', value, { multiline: true }).length === num_bullets,
  ),
  'detectable_format:constrained_response': def(none, () => (value) => {
    const v = pyStrip(value);
    return ['My answer is yes.', 'My answer is no.', 'My answer is maybe.'].some((o) => v.includes(o));
  }),
  // HighlightSectionChecker: *x* spans, plus **x** spans counted again.
  'detectable_format:number_highlighted_sections': def(z.object({ num_highlights: Count }).strict(), ({ num_highlights }) => (value) => {
    let n = 0;
    for (const h of pyFindall('\\*[^\\n\\*]*\\*', value)) if (pyStrip(pyStrip(h, '*'))) n++;
    for (const h of pyFindall('\\*\\*[^\\n\\*]*\\*\\*', value)) if (pyStrip(removeSuffix(removePrefix(h, '**'), '**'))) n++;
    return n >= num_highlights;
  }),
  // SectionChecker: the splitter is used as a regex, followed by a number.
  'detectable_format:multiple_sections': def(z.object({ section_spliter: Text, num_sections: Count }).strict(), ({ section_spliter, num_sections }) => {
    const [pattern] = compiled([`\\s?${pyStrip(section_spliter)}\\s?\\d+\\s?`]);
    return (value) => pySplit(pattern, value).length - 1 >= num_sections;
  }),
  'detectable_format:json_format': def(none, () => (value) => {
    const v = pyStrip(
      removeSuffix(removePrefix(removePrefix(removePrefix(removePrefix(pyStrip(value), '```json'), '```Json'), '```JSON'), '```'), '```'),
    );
    return isPythonJson(v);
  }),
  'detectable_format:title': def(none, () => (value) =>
    pyFindall('<<[^\\n]+>>', value).some((t) => pyStrip(pyRstrip(pyLstrip(t, '<'), '>')) !== ''),
  ),
  // TwoResponsesChecker: exactly two non-empty, different parts around "******".
  'combination:two_responses': def(none, () => (value) => {
    const valid: string[] = [];
    const parts = value.split('******');
    for (const [i, p] of parts.entries()) {
      if (!pyStrip(p)) {
        if (i !== 0 && i !== parts.length - 1) return false;
      } else valid.push(p);
    }
    return valid.length === 2 && pyStrip(valid[0]) !== pyStrip(valid[1]);
  }),
  'combination:repeat_prompt': def(z.object({ prompt_to_repeat: Text }).strict(), ({ prompt_to_repeat }) => {
    const prefix = pyStrip(prompt_to_repeat).toLowerCase();
    return (value) => pyStrip(value).toLowerCase().startsWith(prefix);
  }),
  'startend:end_checker': def(z.object({ end_phrase: z.string() }).strict(), ({ end_phrase }) => {
    const suffix = pyStrip(pyStrip(end_phrase)).toLowerCase();
    return (value) => pyStrip(pyStrip(value), '"').toLowerCase().endsWith(suffix);
  }),
  // CapitalWordFrequencyChecker: NLTK word_tokenize tokens that are str.isupper().
  'change_case:capital_word_frequency': def(
    z.object({ capital_frequency: z.number().int(), capital_relation: Relation }).strict(),
    ({ capital_frequency, capital_relation }) => (value) =>
      compare(wordTokenize(value).filter(pyIsUpper).length, capital_relation, capital_frequency),
  ),
  // `value.isupper() and langdetect.detect(value) == "en"`: detection runs only on cased text.
  'change_case:english_capital': def(none, () => (value) => pyIsUpper(value) && isLanguage(value, 'en')),
  'change_case:english_lowercase': def(none, () => (value) => pyIsLower(value) && isLanguage(value, 'en')),
  'punctuation:no_comma': def(none, () => (value) => !value.includes(',')),
  'startend:quotation': def(none, () => (value) => {
    const v = pyStrip(value);
    return v.length > 1 && v[0] === '"' && v[v.length - 1] === '"';
  }),
} satisfies Record<string, InstructionDef<z.ZodType>>;

/** The instruction ids of IFEval's INSTRUCTION_DICT. */
export type InstructionId = keyof typeof INSTRUCTIONS;

/** Every instruction id the registry knows, in the reference registry's order. */
export const INSTRUCTION_IDS = Object.keys(INSTRUCTIONS) as InstructionId[];

/** Whether `id` is an instruction of the registry. */
export function isInstructionId(id: string): id is InstructionId {
  return Object.prototype.hasOwnProperty.call(INSTRUCTIONS, id);
}

/** Why an instruction's arguments were rejected. */
export class InstructionArgsError extends Error {
  constructor(readonly instructionId: string, reason: string) {
    super(`${instructionId}: ${reason}`);
    this.name = 'InstructionArgsError';
  }
}

/**
 * Binds an instruction to its kwargs (one dict of the record's kwargs list). None/null values are
 * dropped first, as the harness does before calling build_description.
 */
export function buildCheck(id: string, kwargs: Record<string, unknown>): Check {
  if (!isInstructionId(id)) throw new InstructionArgsError(id, 'unknown instruction id');
  const present = Object.fromEntries(Object.entries(kwargs).filter(([, v]) => v !== null && v !== undefined));
  const instruction: InstructionDef<z.ZodType> = INSTRUCTIONS[id];
  const parsed = instruction.kwargs.safeParse(present);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(kwargs)'}: ${i.message}`).join('; ');
    throw new InstructionArgsError(id, `invalid kwargs ${JSON.stringify(present)}: ${reason}`);
  }
  try {
    return instruction.build(parsed.data);
  } catch (e) {
    if (e instanceof PyPatternError || e instanceof SyntaxError) throw new InstructionArgsError(id, e.message);
    throw e;
  }
}

/**
 * Python's json.loads accepting `value`: JSON.parse plus Python's extra literals NaN, Infinity
 * and -Infinity outside strings (replaced by null, which keeps "--Infinity" invalid).
 */
function isPythonJson(value: string): boolean {
  const normalized = value.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/gs, (m) => (m.startsWith('"') ? m : 'null'));
  try {
    JSON.parse(normalized);
    return true;
  } catch {
    return false;
  }
}
