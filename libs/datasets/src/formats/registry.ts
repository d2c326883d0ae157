import type { Normalizer } from './types';
import { gsm8k } from './gsm8k';
import { math500 } from './math500';
import { humaneval } from './humaneval';
import { humanevalplus } from './humanevalplus';
import { mbpp } from './mbpp';
import { mbppplus } from './mbppplus';
import { ifeval } from './ifeval';
import { mtBench } from './mt-bench';
import { arc } from './arc';
import { winogrande } from './winogrande';
import { boolq } from './boolq';
import { piqa } from './piqa';
import { commonsenseqa } from './commonsenseqa';
import { openbookqa } from './openbookqa';
import { truthfulqaMc1 } from './truthfulqa-mc1';
import { truthfulqaMc2 } from './truthfulqa-mc2';
import { hellaswag } from './hellaswag';
import { mmlu } from './mmlu';

/**
 * Version of the canonical output of all normalizers. Bump it whenever any normalizer's output can
 * change, so manifests (and the cells that depend on them) tell old and new preparations apart.
 */
export const NORMALIZER_VERSION = 1;

/** Normalizers by the `format` name a dataset config uses. */
export const NORMALIZERS: Readonly<Record<string, Normalizer>> = {
  gsm8k,
  math500,
  humaneval,
  humanevalplus,
  mbpp,
  mbppplus,
  ifeval,
  'mt-bench': mtBench,
  arc,
  winogrande,
  boolq,
  piqa,
  commonsenseqa,
  openbookqa,
  'truthfulqa-mc1': truthfulqaMc1,
  'truthfulqa-mc2': truthfulqaMc2,
  hellaswag,
  mmlu,
};
