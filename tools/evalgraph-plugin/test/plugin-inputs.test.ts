import { describe, expect, it } from 'vitest';
import type { ResolvedPlugin } from '@evalgraph/core';
import { cellCodeInputs, pluginInputs, scorerPlugin } from '../src/nodes/inputs';

const local: ResolvedPlugin = { ref: './tools/plugins/x', dir: '/ws/tools/plugins/x', workspaceDir: 'tools/plugins/x', name: '@p/x', version: '1.0.0' };
const installed: ResolvedPlugin = { ref: '@acme/rubric', dir: '/ws/node_modules/@acme/rubric', workspaceDir: null, name: '@acme/rubric', version: '2.1.0' };

describe('plugin inputs of a cell', () => {
  it('hash a workspace plugin file by file and an installed one by its locked version', () => {
    expect(pluginInputs(local)).toEqual(['{workspaceRoot}/tools/plugins/x/**/*']);
    expect(pluginInputs(installed)).toEqual([{ externalDependencies: ['@acme/rubric'] }]);
  });

  it('belong to the cells of that plugin only, which skip the built-in scorers’ code', () => {
    const plugin = cellCodeInputs('./tools/plugins/x', local);
    expect(plugin).toContain('{workspaceRoot}/tools/plugins/x/**/*');
    expect(plugin.some((i) => typeof i === 'string' && i.includes('scoring/src/gsm8k'))).toBe(false);
    const builtin = cellCodeInputs('gsm8k');
    expect(builtin).toContain('{workspaceRoot}/libs/scoring/src/gsm8k/**/*');
    expect(JSON.stringify(builtin)).not.toContain('tools/plugins');
  });

  it('resolve nothing for a built-in scorer or a plugin that cannot be found (check reports it)', () => {
    expect(scorerPlugin('/nonexistent', 'gsm8k')).toBeNull();
    expect(scorerPlugin('/nonexistent', './tools/plugins/missing')).toBeNull();
  });
});
