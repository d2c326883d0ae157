import { z } from 'zod';
import { didYouMean } from '../did-you-mean';

const PATH_REF = /^\.{1,2}\/[A-Za-z0-9._/-]+$/;
const PACKAGE_REF = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/**
 * How a config names a plugin: a workspace-relative folder (`./tools/plugins/regex-answer`) or an installed npm
 * package (`@acme/evalgraph-rubric`). Only the name is checked here; loading and validating it is libs/scoring's job.
 */
export const PluginRef = z
  .string()
  .regex(new RegExp(`^(?:${PATH_REF.source.slice(1, -1)}|${PACKAGE_REF.source.slice(1, -1)})$`), 'a plugin: a folder "./tools/plugins/<name>" or an npm package name "@scope/name"');
export type PluginRef = z.infer<typeof PluginRef>;

/** Whether a plugin reference is a workspace folder (as opposed to an npm package name). */
export const isPathRef = (ref: string): boolean => PATH_REF.test(ref);
/** Whether a plugin reference is a scoped npm package name (never mistaken for a misspelled built-in). */
export const isScopedRef = (ref: string): boolean => ref.startsWith('@');

/** Whether a dataset `format` names a plugin: built-in formats are bare kebab names, so format plugins are a folder or a scoped package. */
export const isFormatPlugin = (format: string): boolean => isPathRef(format) || isScopedRef(format);

/**
 * A built-in name from `builtins` or a plugin. An unscoped package name one typo away from a built-in is reported as
 * the typo ("did you mean"), since that is far more likely than a package of that name.
 */
export function builtinOrPlugin<T extends readonly [string, ...string[]]>(builtins: z.ZodEnum<{ [K in T[number]]: K }>, what: string) {
  const names = builtins.options as readonly string[];
  return z.union([builtins, PluginRef]).superRefine((s, ctx) => {
    const guess = names.includes(s) || isPathRef(s) || isScopedRef(s) ? undefined : didYouMean(s, names);
    if (guess) ctx.addIssue({ code: 'custom', message: `a built-in ${what} or a plugin — did you mean "${guess}"? (a plugin is named "./tools/plugins/<name>" or "@scope/name")` });
  });
}
