import { describe, expect, it } from 'vitest';
import { ConfigError, DatasetConfig, ModelConfig, checkSource, formatProblem, parseYaml } from '../src';

const MODEL = `hf_id: acme/m
revision: "TODO: the 40-hex commit to pin"
family: qwen3
chat_format: chatml
architecture: { params_b: 1, layers: 2, attention_heads: 2, kv_heads: 2, head_dim: 8, hidden_size: 16, vocab_size: 100, max_position_embeddings: 512 }
modes:
  m: { sampling: { temperature: 0, top_p: 1, top_k: -1, min_p: 0 }, max_tokens: 16 }
default_mode: m
`;

describe('TODO: placeholders (left by the nx generators)', () => {
  it('are reported by file, line and field with what to fill in, once each (not again as a schema error)', () => {
    const { value, problems } = checkSource(parseYaml(MODEL, 'configs/models/m/model.yaml'), ModelConfig);
    expect(value).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual(['configs/models/m/model.yaml:2: revision: expected the 40-hex commit to pin, found a TODO placeholder — fill it in']);
  });

  it('are caught in fields any string would pass, and listed beside the other problems of the file', () => {
    const text = MODEL.replace('revision: "TODO: the 40-hex commit to pin"', 'revision: 0123456789abcdef0123456789abcdef01234567\ndescription: "TODO: say what it is"').replace('family: qwen3', 'family: qwen4');
    const { problems } = checkSource(parseYaml(text, 'm.yaml'), ModelConfig);
    expect(problems.map((p) => [p.field, p.found])).toEqual([
      ['description', 'a TODO placeholder'],
      ['family', 'string "qwen4"'],
    ]);
  });

  it('a config without placeholders validates as before', () => {
    const text = MODEL.replace('"TODO: the 40-hex commit to pin"', '0123456789abcdef0123456789abcdef01234567');
    expect(checkSource(parseYaml(text, 'm.yaml'), ModelConfig)).toMatchObject({ problems: [], value: { hf_id: 'acme/m' } });
    expect(() => checkSource(parseYaml('a: [', 'x.yaml'), DatasetConfig)).toThrow(ConfigError);
  });
});
