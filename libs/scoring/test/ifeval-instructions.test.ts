import { describe, expect, it } from 'vitest';
import { buildCheck, followInstructions, INSTRUCTION_IDS, InstructionArgsError, type InstructionId } from '../src/ifeval';

const check = (id: InstructionId, kwargs: Record<string, unknown>, response: string) => buildCheck(id, kwargs)(response);

// Triple-quoted test messages of google-research instruction_following_eval/instructions_test.py
// (some shortened) start with "\n", indent every non-blank line by two spaces and often end with
// "\n  "; `py` rebuilds them from the visible lines ('' last = that closing "  ").
const py = (lines: string[]) => `\n${lines.map((l, i) => (l === '' && i < lines.length - 1 ? '' : `  ${l}`)).join('\n')}`;

interface Case {
  kwargs: Record<string, unknown>;
  response: string;
  expected: boolean;
  source: string;
}

const GOOGLE = 'google-research instruction_following_eval/instructions_test.py';
const HAND = 'hand-checked against instructions.py';

/**
 * At least one response that follows and one that does not, per instruction id. `source` says
 * where the expected verdict comes from: Google's own unit tests, or reading check_following.
 */
const CASES: Record<InstructionId, Case[]> = {
  'keywords:existence': [
    { kwargs: { keywords: ['romantic', 'river', 'Mona Lisa'] }, response: py(['Paris is a city of beauty and romance. The romantic river Seine winds its way', 'past the Louvre Museum, where the Mona Lisa resides.']), expected: true, source: `${GOOGLE} test_keyword_checker` },
    { kwargs: { keywords: ['romantic', 'river', 'Mona Lisa'] }, response: py(['Paris is a city of beauty, romance, and history. The city is also known for its romantic', 'river cruises, its delicious food, and its stylish people.']), expected: false, source: `${GOOGLE} test_keyword_checker` },
    // re.search without word boundaries: "cat" is found inside "concatenate".
    { kwargs: { keywords: ['cat'] }, response: 'We concatenate strings.', expected: true, source: HAND },
  ],
  'keywords:frequency': [
    { kwargs: { keyword: '  keyword ', frequency: 4, relation: 'less than' }, response: py(['keyword, Keyword, KEYWORD', '']), expected: true, source: `${GOOGLE} test_keyword_frequency_checker` },
    { kwargs: { keyword: '  keyword ', frequency: 3, relation: 'at least' }, response: py(['keyword, Keyword, KEYWORD', '']), expected: true, source: `${GOOGLE} test_keyword_frequency_checker` },
    { kwargs: { keyword: 'KEYWORD', frequency: 4, relation: 'at least' }, response: py(['  *keyword', '  *Keyword', '  *KEYWORD', '']), expected: false, source: `${GOOGLE} test_keyword_frequency_checker` },
  ],
  'keywords:forbidden_words': [
    { kwargs: { forbidden_words: ['HOUSE', 'POWER', 'BECOME'] }, response: 'The Nazis came to power in 1933.', expected: false, source: `${GOOGLE} test_forbidden_words` },
    { kwargs: { forbidden_words: ['GOOGLE', 'TEXT'] }, response: 'Dinosaurs were a diverse group of reptiles.', expected: true, source: `${GOOGLE} test_forbidden_words` },
    { kwargs: { forbidden_words: ['GENE', 'TRANSFORM'] }, response: 'GPT, or Generative Pre-trained Transformer, uses the transformer architecture.', expected: true, source: `${GOOGLE} test_forbidden_words (\\b excludes "Generative", "Transformer")` },
  ],
  'keywords:letter_frequency': [
    { kwargs: { letter: 'T', let_frequency: 4, let_relation: 'at least' }, response: py(["There is the T. Four T's.", '']), expected: true, source: `${GOOGLE} test_letter_frequency_checker` },
    { kwargs: { letter: 'a', let_frequency: 4, let_relation: 'less than' }, response: py(['asdfghjkl!!aA', '']), expected: true, source: `${GOOGLE} test_letter_frequency_checker` },
    { kwargs: { letter: 'p', let_frequency: 4, let_relation: 'at least' }, response: py(['asdfghjkl!!aA', '']), expected: false, source: `${GOOGLE} test_letter_frequency_checker` },
    { kwargs: { letter: '#', let_frequency: 4, let_relation: 'at least' }, response: '#one #two #three #four', expected: true, source: `${GOOGLE} test_letter_frequency_checker_accepts_punctuation` },
    { kwargs: { letter: '#', let_frequency: 4, let_relation: 'at least' }, response: '#one #two #three', expected: false, source: `${GOOGLE} test_letter_frequency_checker_accepts_punctuation` },
  ],
  'language:response_language': [
    { kwargs: { language: 'en' }, response: 'The response is English', expected: true, source: `${GOOGLE} test_response_language` },
    { kwargs: { language: 'es' }, response: "Desayunamos en McDonald's hoy", expected: true, source: `${GOOGLE} test_response_multilanguage` },
    { kwargs: { language: 'en' }, response: 'Today we visit the Louvre', expected: true, source: `${GOOGLE} test_response_multilanguage` },
    { kwargs: { language: 'de' }, response: 'This answer is written in English, not in German.', expected: false, source: HAND },
    { kwargs: { language: 'hi' }, response: 'यह हिंदी में एक छोटा सा पाठ है और यह बहुत लंबा नहीं है।', expected: true, source: HAND },
    { kwargs: { language: 'mr' }, response: 'यह हिंदी में एक छोटा सा पाठ है और यह बहुत लंबा नहीं है।', expected: false, source: HAND },
    // langdetect raises on text without letters; the reference counts that as followed.
    { kwargs: { language: 'ko' }, response: '1234 !!! 5678', expected: true, source: `${HAND} (LangDetectException → True)` },
  ],
  'length_constraints:number_sentences': [
    { kwargs: { num_sentences: 4, relation: 'less than' }, response: 'xx,x. xx,x! xx/x. x{x}x?', expected: false, source: `${GOOGLE} test_number_sentences` },
    { kwargs: { num_sentences: 5, relation: 'less than' }, response: 'xxxx. xx,x! xxxx. x(x)x?', expected: true, source: `${GOOGLE} test_number_sentences` },
    { kwargs: { num_sentences: 4, relation: 'at least' }, response: 'xxxx. xx,x! xx|x. x&x x?', expected: true, source: `${GOOGLE} test_number_sentences` },
    { kwargs: { num_sentences: 5, relation: 'at least' }, response: 'xx-x. xx,x! xx}x. x,xx?', expected: false, source: `${GOOGLE} test_number_sentences` },
  ],
  'length_constraints:number_paragraphs': [
    { kwargs: { num_paragraphs: 3 }, response: py(['paragraph 1', '***', 'paragraph 2', '***', 'paragraph 3']), expected: true, source: `${GOOGLE} test_paragraph_checker` },
    { kwargs: { num_paragraphs: 3 }, response: py(['        ***', 'paragraph 1', '        ***', '    paragraph 2', '        ***', '    paragraph 3']), expected: true, source: `${GOOGLE} test_paragraph_checker` },
    { kwargs: { num_paragraphs: 3 }, response: py(['paragraph 1', '        ***', '    paragraph 2', '        ***', '    paragraph 3', '        ***']), expected: true, source: `${GOOGLE} test_paragraph_checker` },
    { kwargs: { num_paragraphs: 2 }, response: py(['paragraph 1', '        ***', '    paragraph 2', '        ***', '        ***']), expected: false, source: `${GOOGLE} test_paragraph_checker` },
  ],
  'length_constraints:number_words': [
    { kwargs: { num_words: 8, relation: 'less than' }, response: py(['d3sCRi7 lArge lAnguagE M0del w1tH 20 w0RdS.']), expected: true, source: `${GOOGLE} test_num_words_checker` },
    { kwargs: { num_words: 16, relation: 'less than' }, response: py(['L4RGE L4NGU4GE M0DEL: AI syst3m th4t und3rstands, g3n3r4tes, or tr4nsforms', 'l4ngu4g3 b4s3d on pr3vious l3arning & d4t4.']), expected: false, source: `${GOOGLE} test_num_words_checker` },
    { kwargs: { num_words: 16, relation: 'at least' }, response: py(['L4RGE L4NGU4GE M0DEL: AI syst3m th4t und3rstands, g3n3r4tes, or tr4nsforms', 'l4ngu4g3 b4s3d on pr3vious l3arning & d4t4.']), expected: true, source: `${GOOGLE} test_num_words_checker` },
  ],
  'length_constraints:nth_paragraph_first_word': [
    { kwargs: { num_paragraphs: 3, nth_paragraph: 2, first_word: 'I' }, response: py(['paragraph 1', '', 'I paragraph 2', '', 'paragraph 3']), expected: true, source: `${GOOGLE} test_paragraph_first_word (TEST_1)` },
    { kwargs: { num_paragraphs: 3, nth_paragraph: 2, first_word: 'I' }, response: py(['paragraph 1', '', 'I paragraph 2']), expected: false, source: `${GOOGLE} test_paragraph_first_word (TEST_2)` },
    { kwargs: { num_paragraphs: 3, nth_paragraph: 2, first_word: 'I' }, response: py(['paragraph 1', '', 'fail paragraph 2', '', 'paragraph 3']), expected: false, source: `${GOOGLE} test_paragraph_first_word (TEST_3)` },
    { kwargs: { num_paragraphs: 5, nth_paragraph: 3, first_word: 'Really' }, response: py(['Wow this is a very long response.', '', "I can't believe there is more than three paragraphs.", '', '"Really?! more than three? No way!"', '', 'I can\'t believe it but I guess I am living proof.', '', 'Haha, you go that right.']), expected: true, source: `${GOOGLE} test_paragraph_first_word (TEST_5)` },
    { kwargs: { num_paragraphs: 5, nth_paragraph: 3, first_word: 'Really' }, response: py(['Wow this is a very long response.', '', "I can't believe there is more than three paragraphs.", '', 'Rea!lly more than three? No way!', '', 'I can\'t believe it but I guess I am living proof.', '', 'Haha, you go that right.']), expected: false, source: `${GOOGLE} test_paragraph_first_word (TEST_6)` },
  ],
  'detectable_content:number_placeholders': [
    { kwargs: { num_placeholders: 5 }, response: 'Sure, here is a short template with 5 placeholders:\n[Name]\n[Email]\n[Phone]\n[Address]\n[Website]\nThis template can be used.', expected: true, source: `${GOOGLE} test_number_placeholders` },
    { kwargs: { num_placeholders: 7 }, response: 'My [adjective] [noun] is [adjective] [noun]. I [verb] and [verb].', expected: false, source: `${GOOGLE} test_number_placeholders` },
  ],
  'detectable_content:postscript': [
    { kwargs: { postscript_marker: 'P.S.' }, response: py(['I will do my best.', '', 'P.S. I hope this is what you were looking for.']), expected: true, source: `${GOOGLE} test_postscript_checker` },
    { kwargs: { postscript_marker: 'PS:' }, response: py(['I will do my best.', '', 'P.S. I hope this is what you were looking for.']), expected: false, source: `${GOOGLE} test_postscript_checker` },
    { kwargs: { postscript_marker: 'P.P.S' }, response: py(['If the length of a square is one, the area of the square will also be one.', 'p.p.s what if the entire response was lower case letters?', '']), expected: true, source: `${GOOGLE} test_postscript_checker` },
    { kwargs: { postscript_marker: 'P.S.' }, response: py(['The mysteries of space and time are mysterious.', 'P. S. Sometimes there are even spaces between P. and S..', '']), expected: true, source: `${GOOGLE} test_postscript_checker` },
  ],
  'detectable_format:number_bullet_lists': [
    { kwargs: { num_bullets: 2 }, response: py(['Check that inline asterisk (*), *, will not be counted. Only * that starts a', 'bullet list will be counted:', '  * This is a bullet point.', '  * Another bullet point.', '  . dot is not counted']), expected: true, source: `${GOOGLE} test_number_bullet_lists (MESSAGE_2)` },
    { kwargs: { num_bullets: 3 }, response: py(['Here are three markdown bullets:', '- I am a large language model.', '- I am trained on a massive amount of text data.', '-I am still under development.']), expected: true, source: `${GOOGLE} test_number_bullet_lists (MESSAGE_4)` },
    { kwargs: { num_bullets: 1 }, response: py(['Paragraph 1', '***', 'Paragraph 2', '***', 'Paragraph 3', '* only one bullet point', '']), expected: true, source: `${GOOGLE} test_number_bullet_lists (MESSAGE_5: *** is not a bullet)` },
    { kwargs: { num_bullets: 2 }, response: '* one\n* two\n* three', expected: false, source: `${HAND} (exactly num_bullets)` },
  ],
  'detectable_format:constrained_response': [
    { kwargs: {}, response: '\n My answer is no.\n', expected: true, source: `${GOOGLE} test_constrained_response` },
    { kwargs: {}, response: py(['My answer is no. I am still under development and I am always learning.']), expected: true, source: `${GOOGLE} test_constrained_response` },
    { kwargs: {}, response: 'My answer is probably yes.', expected: false, source: HAND },
  ],
  'detectable_format:number_highlighted_sections': [
    { kwargs: { num_highlights: 2 }, response: py(['For example, if you want to highlight the', 'word `hello`, you would type:*hello*, You can also use the ** character to', 'create bold text. You would type: **hello** ']), expected: true, source: `${GOOGLE} test_number_highlights (MESSAGE_1)` },
    { kwargs: { num_highlights: 2 }, response: py(['Sure, here are the numerical methods:', '*Finite difference methods', '*Finite element methods*', '*Boundary element methods', '*Monte Carlo methods', 'I hope this helps!']), expected: false, source: `${GOOGLE} test_number_highlights (MESSAGE_2)` },
    { kwargs: { num_highlights: 4 }, response: py(['There is allowed to be *two different* highlighted *sections in the same*', 'line. **This is also true** for **double markdown highlights.**', '']), expected: true, source: `${GOOGLE} test_number_highlights (MESSAGE_3)` },
  ],
  'detectable_format:multiple_sections': [
    { kwargs: { section_spliter: 'Section', num_sections: 3 }, response: py(['Your response must have multiple sections. Mark the beginning of each section', 'with "Section X", such as:', 'Section 1', '[content of section 1]', 'Section 2', '[content of section 2]']), expected: false, source: `${GOOGLE} test_section_checker` },
    { kwargs: { section_spliter: 'SECTION', num_sections: 2 }, response: 'SECTION 1\n  [content of section 1]\n  SECTION 2\n  [content of section 2]', expected: true, source: `${GOOGLE} test_section_checker` },
  ],
  'detectable_format:json_format': [
    { kwargs: {}, response: '```json\n{"a": [1, 2]}\n```', expected: true, source: HAND },
    { kwargs: {}, response: 'Here is the JSON: {"a": 1}', expected: false, source: HAND },
    // Python's json.loads accepts NaN/Infinity; JSON.parse does not.
    { kwargs: {}, response: '{"a": NaN, "b": -Infinity}', expected: true, source: `${HAND} (json.loads)` },
    { kwargs: {}, response: '{"a": --Infinity}', expected: false, source: `${HAND} (json.loads)` },
  ],
  'detectable_format:title': [
    { kwargs: {}, response: py(['<<Song of Joy>>', 'La la la. Happy song.', '']), expected: true, source: `${GOOGLE} test_title_checker` },
    { kwargs: {}, response: py(['Is it fine for title to be at the end?', '<<This is the title>>', '']), expected: true, source: `${GOOGLE} test_title_checker` },
    { kwargs: {}, response: py(['<< >>', 'There is no title.', '']), expected: false, source: `${GOOGLE} test_title_checker` },
    { kwargs: {}, response: py(['<<This is not a title.', 'This is a paragraph.>>', '']), expected: false, source: `${GOOGLE} test_title_checker` },
  ],
  'combination:two_responses': [
    { kwargs: {}, response: py(['This is response 1.', '******', 'This is response 2.', '']), expected: true, source: `${GOOGLE} test_two_responses` },
    { kwargs: {}, response: py(['This is response 1.', '******', 'This is response 1.', '']), expected: false, source: `${GOOGLE} test_two_responses` },
    { kwargs: {}, response: py(['This is response 1.', '******', 'This is response 2.', '******', 'This is response 3.', '']), expected: false, source: `${GOOGLE} test_two_responses` },
    { kwargs: {}, response: py(['******', 'Response 1.', '******', '******', 'Response 2.', '******', '']), expected: false, source: `${GOOGLE} test_two_responses` },
    { kwargs: {}, response: py(['******', 'Response 1', '******', 'Response 2', '******', '']), expected: true, source: `${GOOGLE} test_two_responses` },
  ],
  'combination:repeat_prompt': [
    { kwargs: { prompt_to_repeat: 'Write a CL description.' }, response: 'Write a CL description. Hi, Le and TJ, please\n  check this out. Thanks.\n  ', expected: true, source: `${GOOGLE} test_prompt_repeat_answer` },
    { kwargs: { prompt_to_repeat: 'Write a CL description.' }, response: 'Hi, Le and TJ. Write a CL description. Thanks.\n  ', expected: false, source: `${GOOGLE} test_prompt_repeat_answer` },
  ],
  'startend:end_checker': [
    { kwargs: { end_phrase: py(['Any more questions?', '']) }, response: py(['The answer is 7. Any more questions?', '']), expected: true, source: `${GOOGLE} test_end_checker` },
    { kwargs: { end_phrase: py(['This is the end.', '']) }, response: py(['At the end of this prompt I am required to say that this is the end.', '']), expected: true, source: `${GOOGLE} test_end_checker` },
    { kwargs: { end_phrase: py(['This will fail.', '']) }, response: py(['This will fail. Paris is cool.', '']), expected: false, source: `${GOOGLE} test_end_checker` },
  ],
  'change_case:capital_word_frequency': [
    { kwargs: { capital_frequency: 3, capital_relation: 'at least' }, response: py(['HERE there are THREE FUlly CAPITAL words.', '']), expected: true, source: `${GOOGLE} test_capital_word_frequency` },
    { kwargs: { capital_frequency: 5, capital_relation: 'less than' }, response: py(['THERE are Four FULLY CAPITAL WORDS. Many Others Are Only Partially So.', '']), expected: true, source: `${GOOGLE} test_capital_word_frequency` },
    { kwargs: { capital_frequency: 4, capital_relation: 'less than' }, response: py(['THERE are Four FULLY CAPITAL WORDS. Many Others Are Only Partially So.', '']), expected: false, source: `${GOOGLE} test_capital_word_frequency` },
    // word_tokenize splits contractions: DON'T → DO, N'T (two capital words).
    { kwargs: { capital_frequency: 2, capital_relation: 'at least' }, response: "I don't. DON'T.", expected: true, source: `${HAND} (NLTK word_tokenize)` },
  ],
  'change_case:english_capital': [
    { kwargs: {}, response: py(['THIS IS AN ENGLISH SENTENCE. EVERY LETTER IS CAPITALIZED!!! AMAZING.', '']), expected: true, source: `${GOOGLE} test_english_capital_checker` },
    { kwargs: {}, response: py(['Every Word Is Capitalized.', '']), expected: false, source: `${GOOGLE} test_english_capital_checker` },
    { kwargs: {}, response: 'DAS IST EIN DEUTSCHER TEXT UND ER IST NICHT ENGLISCH.', expected: false, source: `${HAND} (not English)` },
    // isupper() is False without cased characters, so langdetect never runs (and cannot excuse it).
    { kwargs: {}, response: '1234 !!!', expected: false, source: `${HAND} (short-circuit before langdetect)` },
  ],
  'change_case:english_lowercase': [
    { kwargs: {}, response: py(['every letter is lowercase.', '']), expected: true, source: `${GOOGLE} test_english_lowercase_checker` },
    { kwargs: {}, response: py(['Almost every letter is lowercase.', '']), expected: false, source: `${GOOGLE} test_english_lowercase_checker` },
  ],
  'punctuation:no_comma': [
    { kwargs: {}, response: py(['Every sentence is short. There is no need for a comma.', '']), expected: true, source: `${GOOGLE} test_comma` },
    { kwargs: {}, response: py(['Since the start of time, people have always found a way to punctuate.', '']), expected: false, source: `${GOOGLE} test_comma` },
  ],
  'startend:quotation': [
    { kwargs: {}, response: py(['"This entire message is wrapped in double quotation marks."', '']), expected: true, source: `${GOOGLE} test_quotation` },
    { kwargs: {}, response: py(['"This message is wrapped in double quotation marks." But not everything.', '']), expected: false, source: `${GOOGLE} test_quotation` },
  ],
};

describe('IFEval instruction checks', () => {
  it('cover every instruction id of the registry with a following and a failing response', () => {
    expect(Object.keys(CASES).sort()).toEqual([...INSTRUCTION_IDS].sort());
    expect(INSTRUCTION_IDS).toHaveLength(25);
    for (const [id, cases] of Object.entries(CASES)) {
      expect(cases.some((c) => c.expected), `${id} has a following case`).toBe(true);
      expect(cases.some((c) => !c.expected), `${id} has a failing case`).toBe(true);
    }
  });

  for (const [id, cases] of Object.entries(CASES) as [InstructionId, Case[]][]) {
    it.each(cases.map((c, i) => [i, c] as const))(`${id} #%i`, (_i, c) => {
      expect(check(id, c.kwargs, c.response), c.source).toBe(c.expected);
    });
  }
});

/**
 * Verdicts computed by running lm-evaluation-harness lm_eval/tasks/ifeval/utils.py
 * (test_instruction_following_strict/_loose, commit 4e7e0d47) on these responses, with
 * LetterFrequencyChecker as in Google's instructions.py (no a-z restriction).
 */
const HARNESS_CASES: [InstructionId, Record<string, unknown>, string, boolean, boolean][] = [
  ['combination:two_responses', {}, '', false, false],
  ['combination:two_responses', {}, '***\n\n1,000\n\nDay 1 **bold**\n\n*******\nPARAGRAPH 1\n\n\n******\n\n** **', false, true],
  ['combination:two_responses', {}, '*a*b* *******', true, true],
  ['detectable_content:number_placeholders', { num_placeholders: 1 }, '[ ]', true, true],
  ['detectable_content:postscript', { postscript_marker: 'P.S.' }, 'P.P.S.\n\n', true, true],
  ['detectable_format:json_format', {}, '"quoted"\n\n" ', false, true],
  ['detectable_format:json_format', {}, '""', true, true],
  ['detectable_format:number_bullet_lists', { num_bullets: 1 }, '\nP.S. end\n*x\ny*\n-\n', false, true],
  ['detectable_format:number_bullet_lists', { num_bullets: 1 }, '*\n\n ', true, true],
  ['detectable_format:number_highlighted_sections', { num_highlights: 1 }, '*a*b*\nPS no ', true, true],
  ['detectable_format:title', {}, '<<a>>', true, true],
  ['keywords:existence', { keywords: ['cat'] }, 'cat*a*b*\n\n', true, true],
  ['keywords:forbidden_words', { forbidden_words: ['BC', 'culture', 'prehistoric'] }, 'Day 1\nBC', false, true],
  ['keywords:frequency', { relation: 'less than', keyword: 'right', frequency: 2 }, 'right\nDay 1\n*******\nright right right', false, true],
  ['keywords:letter_frequency', { let_relation: 'less than', letter: 'e', let_frequency: 1 }, 'a, b\n\nnone ', false, true],
  ['length_constraints:nth_paragraph_first_word', { first_word: 'realising', num_paragraphs: 2, nth_paragraph: 1 }, 'Audience section beta gamma brown section delta\nrealising\n**bold**\n\n*bold*\n\n', false, true],
  ['length_constraints:nth_paragraph_first_word', { first_word: 'realising', num_paragraphs: 2, nth_paragraph: 1 }, 'realising. the brown alpha SECTION\n\n\nDay fox beta dog', true, true],
  ['length_constraints:number_paragraphs', { num_paragraphs: 2 }, 'alpha. gamma section jumps beta\n***\ngamma brown Day Day\n***\ndog jumps fox lazy', false, true],
  ['length_constraints:number_paragraphs', { num_paragraphs: 2 }, '*highlight*** **<< >> ', true, true],
  ['length_constraints:number_words', { relation: 'less than', num_words: 20 }, 'Audience 2\n\n```json\n{"a": 1}\n``` PPSqqqqqqqq\n\nnone\n** notfox lazy section\n\nPARAGRAPH fox Audience\n\ndog quick dog\n\nbrown brown dog\n\nSection section fox', false, true],
  ['punctuation:no_comma', {}, 'a, b ,\n*** ', false, true],
  ['punctuation:no_comma', {}, '', false, false],
  ['startend:end_checker', { end_phrase: 'Peace!' }, 'Peace!\n\n  - x BROWN THE GAMMA', false, true],
  ['startend:quotation', {}, 'none\n""\n\n', false, true],
  ['startend:quotation', {}, '""', true, true],
];

describe('IFEval strict and loose verdicts match lm-evaluation-harness', () => {
  it.each(HARNESS_CASES.map((c, i) => [i, ...c] as const))('case %i: %s', (_i, id, kwargs, response, strict, loose) => {
    const bound = { ids: [id], checks: [buildCheck(id, kwargs)] };
    expect(followInstructions(bound, response)).toEqual({ strict: [strict], loose: [loose] });
  });
});

describe('IFEval kwargs', () => {
  it('drops None/null values before binding, as the harness does', () => {
    const kwargs = { num_highlights: 2, keywords: null, relation: null, language: undefined };
    expect(check('detectable_format:number_highlighted_sections', kwargs, '*a* and *b*')).toBe(true);
    expect(check('detectable_format:number_highlighted_sections', kwargs, '*a* only')).toBe(false);
  });

  it('rejects what build_description would randomise or refuse, naming the instruction', () => {
    expect(() => buildCheck('keywords:frequency', { keyword: 'x', frequency: 2 })).toThrow(InstructionArgsError);
    expect(() => buildCheck('keywords:frequency', { keyword: 'x', frequency: 2, relation: 'at most' })).toThrow(/keywords:frequency.*relation/);
    expect(() => buildCheck('length_constraints:number_words', { num_words: -1, relation: 'at least' })).toThrow(/num_words/);
    expect(() => buildCheck('length_constraints:nth_paragraph_first_word', { num_paragraphs: 2, nth_paragraph: 3, first_word: 'a' })).toThrow(/nth_paragraph/);
    expect(() => buildCheck('keywords:letter_frequency', { letter: 'ab', let_frequency: 1, let_relation: 'at least' })).toThrow(/letter/);
    expect(() => buildCheck('language:response_language', { language: 'xx' })).toThrow(/language/);
    expect(() => buildCheck('punctuation:no_comma', { extra: 1 })).toThrow(/extra|unrecognized/i);
    expect(() => buildCheck('keywords:key_sentences', {})).toThrow(/unknown instruction id/);
    // Keywords are regex patterns in the reference (re.search); one that does not compile fails at bind time.
    expect(() => buildCheck('keywords:existence', { keywords: ['(unclosed'] })).toThrow(InstructionArgsError);
  });

  it('uses keywords as Python regexes, as re.search(keyword, value, re.IGNORECASE) does', () => {
    expect(check('keywords:existence', { keywords: ['colou?r'] }, 'What a COLOR!')).toBe(true);
    expect(check('keywords:frequency', { keyword: 'a.c', frequency: 2, relation: 'at least' }, 'abc aXc')).toBe(true);
  });
});
