import { isBuiltinScorer, PluginError } from '@evalgraph/core';
import type { Scorer } from './types';
import { exactMatchScorer, numericScorer } from './exact-match';
import { gsm8kScorer } from './gsm8k';
import { mathScorer } from './math';
import { humanevalScorer, mbppScorer, evalplusScorer } from './code';
import { multipleChoiceScorer } from './multiple-choice';
import { ifevalScorer } from './ifeval';
import { mtBenchScorer } from './mt-bench';
import { definePlugin, type EvalgraphPlugin } from './plugins/api';
import { loadPlugin } from './plugins/load';
import { scorerOf, validatePlugin } from './plugins/validate';

const SCORERS = new Map<string, Scorer>();

/** Adds a plugin's scorer under `id` after validating it against the plugin API (the one path for built-ins and plugins). */
export function registerScorer(id: string, plugin: EvalgraphPlugin | unknown): Scorer {
  const scorer = scorerOf(validatePlugin(id, plugin, 'scorer'));
  SCORERS.set(id, scorer);
  return scorer;
}

for (const [name, scorer] of Object.entries({
  'exact-match': exactMatchScorer,
  numeric: numericScorer,
  gsm8k: gsm8kScorer,
  math: mathScorer,
  'code-humaneval': humanevalScorer,
  'code-mbpp': mbppScorer,
  'code-evalplus': evalplusScorer,
  'multiple-choice': multipleChoiceScorer,
  ifeval: ifevalScorer,
  'mt-bench': mtBenchScorer,
})) {
  registerScorer(name, definePlugin({ scorer }));
}

/** A registered scorer by id (a built-in name, or a plugin already loaded by scorerFor). */
export function getScorer(name: string): Scorer {
  const s = SCORERS.get(name);
  if (!s) throw new PluginError(name, 'no such scorer is registered (a plugin scorer is loaded by scorerFor(root, ref))');
  return s;
}

/** The scorer a dataset config names: a built-in, or the plugin at `ref` loaded from `root` and registered. */
export function scorerFor(root: string, ref: string): Scorer {
  if (isBuiltinScorer(ref)) return getScorer(ref);
  const { resolved, plugin } = loadPlugin(root, ref, 'scorer');
  return registerScorer(resolved.dir, plugin);
}
