import { describe, expect, it } from 'vitest';
import { countSentences, countWords, detectLanguage, sentTokenize, treebankTokenize, wordTokenize } from '../src/ifeval';
import { pyFindall, pyIsLower, pyIsUpper, pySearch, pySplitWs, pyStrip, pySub } from '../src/ifeval/py';

/**
 * Sentence splits produced by NLTK's PunktSentenceTokenizer (nltk/tokenize/punkt.py @ f2a92bd7)
 * loaded with the English model parameters this port ships (punkt-english-model.json).
 */
const NLTK_SENTENCES: [string, string[]][] = [
  ['Mr. Smith went to Washington. He arrived at 5 p.m. yesterday.', ['Mr. Smith went to Washington.', 'He arrived at 5 p.m. yesterday.']],
  ['Here are the steps:\n1. Do this.\n2. Do that.', ['Here are the steps:\n1.', 'Do this.', '2.', 'Do that.']],
  ['I like apples, pears, etc. They are good.', ['I like apples, pears, etc.', 'They are good.']],
  ['Use a tool, e.g. a hammer. Then stop.', ['Use a tool, e.g.', 'a hammer.', 'Then stop.']],
  ['Very bad acting!!! I promise.', ['Very bad acting!!!', 'I promise.']],
  ['(Sent1.) Sent2.', ['(Sent1.)', 'Sent2.']],
  ['He said "Stop." Then he left.', ['He said "Stop."', 'Then he left.']],
  ['No punctuation at all\n\nstill one sentence', ['No punctuation at all\n\nstill one sentence']],
  ['J. K. Rowling wrote it. The U.S. Army agreed.', ['J. K. Rowling wrote it.', 'The U.S. Army agreed.']],
  ['Wait... What happened? Nothing!', ['Wait... What happened?', 'Nothing!']],
  ['The price is $3.88 today. It was 4.5 before.', ['The price is $3.88 today.', 'It was 4.5 before.']],
];

/** NLTK word_tokenize output (same NLTK commit and parameters). */
const NLTK_WORDS: [string, string[]][] = [
  ['HERE there are THREE FUlly CAPITAL words.', ['HERE', 'there', 'are', 'THREE', 'FUlly', 'CAPITAL', 'words', '.']],
  ['I DON\'T KNOW. "HELLO," SHE SAID.', ['I', 'DO', "N'T", 'KNOW', '.', '``', 'HELLO', ',', "''", 'SHE', 'SAID', '.']],
  ['THE U.S. IS BIG. WELL-KNOWN FACT!', ['THE', 'U.S.', 'IS', 'BIG', '.', 'WELL-KNOWN', 'FACT', '!']],
];

describe('Punkt sentence tokenizer (count_sentences)', () => {
  it.each(NLTK_SENTENCES)('splits %j as NLTK does', (text, expected) => {
    expect(sentTokenize(text)).toEqual(expected);
    expect(countSentences(text)).toBe(expected.length);
  });

  it('counts no sentence in empty or blank text', () => {
    expect(countSentences('')).toBe(0);
    expect(countSentences(' \n\t ')).toBe(0);
  });
});

describe('NLTK word tokenizers', () => {
  it('tokenizes the NLTKWordTokenizer docstring example exactly', () => {
    const s = 'Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.';
    // nltk/tokenize/destructive.py NLTKWordTokenizer.tokenize doctest.
    expect(treebankTokenize(s)).toEqual(['Good', 'muffins', 'cost', '$', '3.88', '(', 'roughly', '3,36', 'euros', ')', 'in', 'New', 'York.', 'Please', 'buy', 'me', 'two', 'of', 'them.', 'Thanks', '.']);
  });

  it.each(NLTK_WORDS)('word_tokenize(%j) matches NLTK', (text, expected) => {
    expect(wordTokenize(text)).toEqual(expected);
  });

  it('counts words as runs of Unicode \\w (RegexpTokenizer(r"\\w+"))', () => {
    // Hello, world, It, s, 2024, naïve, café_x: apostrophes and dashes split, "_" joins.
    expect(countWords("Hello, world! It's 2024 — naïve café_x")).toBe(7);
    expect(countWords('')).toBe(0);
    // Python's \w has no combining marks: the Devanagari vowel signs split a word.
    expect(countWords('हिंदी')).toBe(2);
  });
});

describe('Python regex and string semantics', () => {
  it('uses Unicode \\b, \\w, \\d and \\s as Python 3 does', () => {
    expect(pySearch('\\bcafé\\b', 'un café noir', { ignoreCase: true })).toBe(true);
    expect(pySearch('\\bcaf\\b', 'un café noir')).toBe(false);
    expect(pyFindall('\\d+', 'x ٣٤ y 12')).toEqual(['٣٤', '12']);
    expect(pyFindall('\\s', 'a\u3000b\x1cc')).toHaveLength(2);
  });

  it('keeps "." off "\\n" only and "$" before the last newline, as Python does', () => {
    expect(pyFindall('a.b', 'a\rb a\nb')).toEqual(['a\rb']);
    expect(pySearch('end$', 'the end\n')).toBe(true);
    expect(pySearch('end$', 'the end\n\n')).toBe(false);
    expect(pyFindall('^x', 'x\nx\r\nx', { multiline: true })).toHaveLength(3);
  });

  it('translates Python-only syntax: literal "\\,", lone "{", (?P<name>) and \\g<0>', () => {
    expect(pySearch('\\,', 'a,b')).toBe(true);
    expect(pySearch('a{b', 'xa{b')).toBe(true);
    expect(pySub('(?P<w>o)', '[\\g<w>\\g<0>]', 'foo')).toBe('f[oo][oo]');
    expect(pySub('(a)|(b)', '<\\1\\2>', 'ab')).toBe('<a><b>');
  });

  it('strips, splits and tests case with Python str semantics', () => {
    expect(pyStrip('\x1c\x85 hi \u3000')).toBe('hi');
    expect(pyStrip('\ufeffhi')).toBe('\ufeffhi');
    expect(pySplitWs('  a \n b\t')).toEqual(['a', 'b']);
    expect(pyIsUpper('HELLO, WORLD 123')).toBe(true);
    expect(pyIsUpper('123')).toBe(false);
    expect(pyIsUpper('ǅ')).toBe(false);
    expect(pyIsLower('hello ß')).toBe(true);
    expect(pyIsLower('Hello')).toBe(false);
  });
});

describe('language detection heuristic (stands in for langdetect)', () => {
  const texts: [string, string][] = [
    ['en', 'This is a short text written in English, and it is not very long.'],
    ['de', 'Das ist ein kurzer Text auf Deutsch, und er ist nicht sehr lang.'],
    ['pt', 'Este é um texto em português para o teste, e não é muito longo.'],
    ['it', 'Questo è un testo in italiano per la prova, e non è molto lungo.'],
    ['fi', 'Tämä on lyhyt suomenkielinen teksti, joka ei ole kovin pitkä.'],
    ['sw', 'Hii ni hadithi fupi kwa Kiswahili na watu wa kijiji walikuwa na furaha sana.'],
    ['vi', 'Đây là một đoạn văn ngắn bằng tiếng Việt và nó không dài lắm.'],
    ['ru', 'Это короткий текст на русском языке, и он не очень длинный.'],
    ['bg', 'Това е кратък текст на български език и той не е много дълъг.'],
    ['hi', 'यह हिंदी में एक छोटा सा पाठ है और यह बहुत लंबा नहीं है।'],
    ['mr', 'हा मराठीतील एक छोटा मजकूर आहे आणि तो फार मोठा नाही.'],
    ['ne', 'यो नेपाली भाषामा लेखिएको छोटो पाठ हो र यो धेरै लामो छैन।'],
    ['ar', 'هذا نص قصير باللغة العربية وهو ليس طويلا جدا.'],
    ['fa', 'این یک متن کوتاه به زبان فارسی است و خیلی طولانی نیست.'],
    ['ur', 'یہ اردو زبان میں ایک مختصر متن ہے اور یہ بہت لمبا نہیں ہے۔'],
    ['ko', '이것은 한국어로 된 짧은 글입니다.'],
    ['th', 'นี่คือข้อความสั้นๆ ภาษาไทย'],
    ['bn', 'এটি বাংলা ভাষায় একটি ছোট লেখা।'],
    ['ta', 'இது தமிழில் ஒரு சிறிய உரை.'],
    ['te', 'ఇది తెలుగులో ఒక చిన్న వచనం.'],
    ['kn', 'ಇದು ಕನ್ನಡದಲ್ಲಿ ಒಂದು ಸಣ್ಣ ಪಠ್ಯ.'],
    ['gu', 'આ ગુજરાતીમાં એક નાનો લખાણ છે.'],
    ['pa', 'ਇਹ ਪੰਜਾਬੀ ਵਿੱਚ ਇੱਕ ਛੋਟਾ ਲੇਖ ਹੈ।'],
    ['ja', 'これは日本語の短い文章です。'],
  ];
  it.each(texts)('labels %s text', (code, text) => {
    expect(detectLanguage(text)).toBe(code);
  });

  it('labels an all-caps English text English, and text without letters null (langdetect raises)', () => {
    expect(detectLanguage('THIS IS AN ENGLISH SENTENCE. EVERY LETTER IS CAPITALIZED!!! AMAZING.')).toBe('en');
    expect(detectLanguage('123 456 !!!')).toBeNull();
  });

  it('follows the majority script of a mixed text', () => {
    expect(detectLanguage('Привет! Это ответ на русском языке, а OpenAI и GPT — просто названия.')).toBe('ru');
  });
});
