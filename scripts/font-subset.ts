/**
 * `npm run font:subset`: rebuild the pages' web font (screen/assets/fonts/) from Debian's
 * fonts-noto-cjk with Debian's python3-fonttools and python3-brotli (pyftsubset), keeping exactly
 * the characters the pages can show (screen/src/glyphs.ts). Run it after changing a
 * Chinese text of the pages or adding a station; test/screen/font.test.ts fails until you do.
 *
 *   apt-get install fonts-noto-cjk python3-fonttools python3-brotli
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pageCodePoints } from '@yizhan/screen/glyphs';
import { FONT_DIR, FONT_FACES, FONT_FAMILY } from '@yizhan/screen/font';

const NOTO_DIR = '/usr/share/fonts/opentype/noto';
/** Index of "Noto Sans CJK SC" in Debian's NotoSansCJK-*.ttc collections. */
const SC_INDEX = 2;
const PYTHON = '/usr/bin/python3';
const DEBIAN_COPYRIGHT = '/usr/share/doc/fonts-noto-cjk/copyright';

function need(path: string, pkg: string): void {
  if (!existsSync(path)) {
    console.error(`missing ${path}: apt-get install ${pkg}`);
    process.exit(1);
  }
}

/** The SIL OFL 1.1 text as Debian ships it in the package's copyright file. */
function oflText(): string {
  const lines = readFileSync(DEBIAN_COPYRIGHT, 'utf8').split('\n');
  // The licence paragraph: the "License: SIL-1.1" line followed by the indented text.
  const start = lines.findIndex((l, i) => l === 'License: SIL-1.1' && lines[i + 1]?.startsWith(' '));
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith(' ')) break;
    body.push(l === ' .' ? '' : l.slice(1));
  }
  return body.join('\n');
}

function main(): void {
  need(PYTHON, 'python3');
  need(DEBIAN_COPYRIGHT, 'fonts-noto-cjk');
  try {
    execFileSync(PYTHON, ['-c', 'import fontTools.subset, brotli'], { stdio: 'pipe' });
  } catch {
    console.error(
      'missing fontTools or brotli for python3: apt-get install python3-fonttools python3-brotli',
    );
    process.exit(1);
  }
  const cps = pageCodePoints();
  const tmp = mkdtempSync(join(tmpdir(), 'yz-font-'));
  try {
    const unicodes = join(tmp, 'unicodes.txt');
    writeFileSync(unicodes, cps.map((c) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`).join('\n'));
    for (const face of FONT_FACES) {
      const src = join(NOTO_DIR, `NotoSansCJK-${face.source}.ttc`);
      need(src, 'fonts-noto-cjk');
      const out = join(FONT_DIR, face.file);
      execFileSync(
        PYTHON,
        [
          '-m',
          'fontTools.subset',
          src,
          `--font-number=${SC_INDEX}`,
          `--unicodes-file=${unicodes}`,
          '--flavor=woff2',
          '--no-hinting',
          '--desubroutinize',
          `--output-file=${out}`,
        ],
        { stdio: 'inherit' },
      );
      console.log(`${face.file}: ${cps.length} characters, ${statSync(out).size} bytes`);
    }
    const copyright = execFileSync(PYTHON, [
      '-c',
      `from fontTools.ttLib import TTCollection; print(TTCollection(${JSON.stringify(join(NOTO_DIR, 'NotoSansCJK-Regular.ttc'))}).fonts[${SC_INDEX}]['name'].getDebugName(0))`,
    ])
      .toString()
      .trim();
    writeFileSync(
      join(FONT_DIR, 'OFL.txt'),
      `The files yizhan-sc-*.woff2 in this folder are subsets of Noto Sans CJK SC (Regular and Bold)\n` +
        `from Debian's fonts-noto-cjk, made by scripts/font-subset.ts. They are licensed under the\n` +
        `SIL Open Font License 1.1, below. Upstream's copyright line names "Source" as a Reserved\n` +
        `Font Name; these subsets are served as "${FONT_FAMILY}" and do not use it.\n\n` +
        `${copyright}\n\n${oflText()}\n`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
