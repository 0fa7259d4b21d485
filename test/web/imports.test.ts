/**
 * The web app takes from the server only what cannot drift and cannot grow its bundle: the API
 * types (erased at build), the dependency-free role and permission lists, and the dependency-free
 * map datum conversions of common (the server's navigation links use the same formulas).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ALLOWED = new Map([
  ['@yizhan/server/api-types', 'type'],
  ['@yizhan/server/roles', 'value'],
  ['@yizhan/common/china-datums', 'value'],
]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|vue)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('web/src imports of yizhan packages', () => {
  const imports = sources('web/src').flatMap((file) =>
    [
      ...readFileSync(file, 'utf8').matchAll(/^(import|export)( type)? [^;]*? from '(@yizhan\/[^']+)'/gms),
    ].map((m) => ({ file, typeOnly: m[2] === ' type', spec: m[3] ?? '' })),
  );

  it('uses the server API types, so the client is checked against the server schemas', () => {
    expect(imports.some((i) => i.spec === '@yizhan/server/api-types')).toBe(true);
  });

  it('imports only the API types (as types), the role lists and the map datums', () => {
    const wrong = imports.filter(
      (i) => !ALLOWED.has(i.spec) || (ALLOWED.get(i.spec) === 'type' && !i.typeOnly),
    );
    expect(wrong).toEqual([]);
  });
});
