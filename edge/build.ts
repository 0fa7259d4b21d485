/**
 * The deployed edge bundle: `npm run build:edge` writes dist/edge-agent.mjs (and its source map),
 * one ESM file that the board runs with the Node 24 in its node_modules (docs/runtime.md) as the
 * systemd unit says (edge/deploy/yizhan-edge.service). bench:edge builds the agent and its peer with
 * the same options, so it measures what is deployed.
 *
 *   npx tsx edge/build.ts [entry.ts] [out.mjs]      (default edge/src/main.ts → dist/edge-agent.mjs)
 *
 * Dependencies are bundled and the text minified (whitespace and syntax; names are kept, so stack
 * traces stay readable): V8 keeps the source of every loaded module in the heap, and with the
 * dependencies left in node_modules their comments and indentation cost ~4 MB of RSS (bench:edge,
 * docs/benchmarks.md). serialport stays in node_modules: its native binding is found on disk next to
 * the package. Dependencies are loaded from a single file, so node_modules on the board is only
 * needed for serialport and the Node binary; the board installs edge/package.json's dependencies
 * alone (`npm ci --omit=dev --workspace=@yizhan/edge …`, docs/deploy-edge.md). The screen's web font
 * goes to `fonts/` beside the bundle (edge/src/screen/server.ts finds it there).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FONT_DIR, FONT_FACES } from '@yizhan/screen/font';
import { SCREEN_BUNDLE } from './src/screen/bundle-name.js';

const ROOT = resolve(import.meta.dirname, '..');

/** esbuild arguments of the edge bundle (besides entry and outfile). */
export const EDGE_BUNDLE_ARGS: readonly string[] = [
  '--bundle',
  '--platform=node',
  '--format=esm',
  '--target=node24',
  // The native serial binding must stay a real package on disk.
  '--external:serialport',
  '--external:@serialport/*',
  '--minify-whitespace',
  '--minify-syntax',
  // A linked map for reading stack traces from the field (`node --enable-source-maps`); plain
  // `node` does not load it.
  '--sourcemap',
  // Bundled CommonJS dependencies call require() for Node's built-in modules.
  '--banner:js=import { createRequire as __yzCreateRequire } from "node:module"; const require = __yzCreateRequire(import.meta.url);',
  '--log-level=warning',
];

function esbuild(entry: string, out: string): void {
  const r = spawnSync(
    resolve(ROOT, 'node_modules/.bin/esbuild'),
    [entry, ...EDGE_BUNDLE_ARGS, `--outfile=${out}`],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error(`esbuild failed for ${entry} (exit ${r.status ?? r.signal})`);
}

/**
 * Bundle `entry` (relative to the repository root) to `outfile`, and beside it the board screen
 * (`edge-screen.mjs`, loaded by the agent only with `--screen-port`) and its font; throws when
 * esbuild fails.
 */
export function bundleEdge(entry: string, outfile: string): string {
  const out = resolve(ROOT, outfile);
  esbuild(entry, out);
  esbuild('edge/src/screen/server.ts', join(dirname(out), SCREEN_BUNDLE));
  // The board screen's web font (--screen-port) is read from `fonts/` beside the bundle, not embedded:
  // as JavaScript text it would stay in the heap of every agent, screen or not.
  const fonts = join(dirname(out), 'fonts');
  mkdirSync(fonts, { recursive: true });
  for (const f of FONT_FACES) copyFileSync(join(FONT_DIR, f.file), join(fonts, f.file));
  return out;
}

/** Where docs/deploy-edge.md unpacks the bundle on a board; the unit's paths start with it. */
const BOARD_ROOT = '/opt/yizhan/';

/**
 * How the systemd unit (edge/deploy/yizhan-edge.service) runs the bundle: its node binary (a path
 * under /opt/yizhan is given as the same path in this checkout), the node flags of its ExecStart
 * line and its Environment= settings. bench:edge and the bundle test run it the same way.
 */
export function deployedNode(): { node: string; flags: string[]; env: Record<string, string> } {
  const file = resolve(ROOT, 'edge/deploy/yizhan-edge.service');
  const unit = readFileSync(file, 'utf8');
  const exec = /^ExecStart=(\S*node)\s+(.*?)\s*\S+\/edge-agent\.mjs/m.exec(unit);
  if (exec?.[1] === undefined || exec[2] === undefined)
    throw new Error(`${file}: no "ExecStart=.../node [flags] .../edge-agent.mjs" line`);
  const bin = exec[1];
  const node = bin.startsWith(BOARD_ROOT) ? resolve(ROOT, bin.slice(BOARD_ROOT.length)) : bin;
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(\w+)=(\S*)\s*$/gm)) if (m[1]) env[m[1]] = m[2] ?? '';
  return { node, flags: exec[2].split(/\s+/).filter(Boolean), env };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [entry = 'edge/src/main.ts', outfile = 'dist/edge-agent.mjs'] = process.argv.slice(2);
  console.log(`wrote ${bundleEdge(entry, outfile)}`);
}
