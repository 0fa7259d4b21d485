/**
 * YAML parsing that keeps source positions, and the lookup from a data path back to a line.
 */
import {
  LineCounter,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { DataPath, Finding } from './issues.js';

export interface Position {
  line: number;
  column: number;
}

/** A parsed file: the document with its line table, or the syntax problems that stopped it. */
export type ParsedYaml =
  | { ok: true; doc: Document; lines: LineCounter; data: unknown }
  | { ok: false; problems: (Position & { message: string })[] };

/**
 * Parse one YAML document. Syntax errors, warnings, several documents in one file and aliases
 * that cannot be resolved are all problems with a position; nothing throws.
 */
export function parseYaml(text: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: (Position & { message: string })[] = [];
  for (const e of [...doc.errors, ...doc.warnings]) {
    const at = toPosition(lines, e.pos[0]);
    // One mistake often yields several errors on one line; the first names it best.
    if (problems.some((p) => p.line === at.line)) continue;
    const message =
      e.code === 'DUPLICATE_KEY'
        ? `key ${JSON.stringify(keyAt(text, e.pos[0]))} appears more than once in this mapping`
        : e.message;
    problems.push({ ...at, message: `YAML syntax: ${message}` });
  }
  if (problems.length > 0) return { ok: false, problems };
  try {
    return { ok: true, doc, lines, data: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    // Unresolved or excessive aliases surface only when converting: point at the first bad alias.
    let offset = 0;
    visit(doc, {
      Alias(_, node) {
        if (node.resolve(doc) !== undefined) return undefined;
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    return {
      ok: false,
      problems: [{ ...toPosition(lines, offset), message: `YAML: ${(e as Error).message}` }],
    };
  }
}

/** The key written at `offset` (yaml points a duplicate-key error at the key's first character). */
function keyAt(text: string, offset: number): string {
  const m = /^[^:\n,{}]+/.exec(text.slice(offset));
  return (m?.[0] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
}

function toPosition(lines: LineCounter, offset: number): Position {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function start(node: unknown): number | undefined {
  return isNode(node) && node.range ? node.range[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/**
 * The line and column for a finding: the node at its path (`value`), the key of its last
 * segment (`key`), or the mapping that should hold its last segment (`parent`, for missing keys;
 * the line of the key that introduces that mapping, so `location:` rather than its first child).
 * When the path leaves the document, the deepest node found is used.
 */
export function locate(doc: Document, lines: LineCounter, f: Finding): Position {
  const path: DataPath = f.at === 'parent' ? f.path.slice(0, -1) : f.path;
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  const here = (): number => (keyNode ? start(keyNode) : start(node)) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return toPosition(lines, here());
      if (f.at === 'key' && i === path.length - 1) return toPosition(lines, start(pair.key) ?? here());
      keyNode = isNode(pair.key) ? pair.key : keyNode;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      keyNode = undefined;
      node = node.items[seg];
    } else {
      return toPosition(lines, here());
    }
  }
  if (f.at === 'parent') return toPosition(lines, here());
  // An empty value (`location:` with nothing after it) has no useful position of its own.
  if (isScalar(node) && node.value === null && keyNode) return toPosition(lines, start(keyNode) ?? 0);
  return toPosition(lines, start(node) ?? here());
}
