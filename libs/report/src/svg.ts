import type { VegaLiteSpec } from './charts';

interface VegaView {
  toSVG(): Promise<string>;
  finalize(): void;
}
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, opts: { renderer: 'none'; logLevel?: number }) => VegaView;
}
interface VegaLiteModule {
  compile(spec: unknown, opts?: { logger?: unknown }): { spec: unknown };
}

// vega is ESM with top-level await, which require() cannot load. Under a CommonJS transpiler
// (swc-node, as Nx executors run) `import()` is rewritten into require, so use Node's own import()
// through Function; inside a vm-based runner (vitest), which has no such callback, the plain
// import() is the one that works.
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function loadModules(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  try {
    const [vega, vl] = await Promise.all([nativeImport('vega'), nativeImport('vega-lite')]);
    return { vega: vega as VegaModule, vl: vl as VegaLiteModule };
  } catch (e) {
    if (!(e instanceof TypeError) || !/dynamic import callback/i.test(e.message)) throw e;
    // A computed specifier: vega-lite ships no types that node10 module resolution can find.
    const names = ['vega', 'vega-lite'];
    const [vega, vl] = (await Promise.all(names.map((n) => import(n)))) as [VegaModule, VegaLiteModule];
    return { vega, vl };
  }
}

let modules: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | undefined;
function load(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  modules ??= loadModules();
  return modules;
}

/** Warnings vega-lite raised while compiling (kept, not printed, so report generation stays quiet). */
export interface RenderedSvg {
  svg: string;
  warnings: string[];
}

/** Renders a Vega-Lite spec to an SVG string in Node (no canvas, no browser, no network). */
export async function renderSvg(spec: VegaLiteSpec): Promise<RenderedSvg> {
  const { vega, vl } = await load();
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => {
      throw new Error(`vega-lite: ${a.join(' ')}`);
    },
    warn: (...a: unknown[]) => (warnings.push(a.join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  };
  const compiled = vl.compile(spec, { logger });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logLevel: 0 });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
