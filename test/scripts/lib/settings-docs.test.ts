/**
 * The settings tables in the docs and the name catalogue are what the declarations render: a
 * setting added, renamed or re-described in code fails here until `npm run docs:settings` is run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_FILE, docTables, renderCatalogue, withTable } from '../../../scripts/lib/settings-docs.js';

describe('settings docs', () => {
  it.each(docTables().map((t) => ({ ...t, label: `${t.file} (${t.name})` })))('$label matches the declaration', ({ file, name, table }) => {
    const text = readFileSync(file, 'utf8');
    const expected = withTable(text, name, table);
    expect(expected, `${file} has no <!-- settings:${name} --> markers`).toBeDefined();
    expect(text === expected, `${file}: the ${name} table drifted from the code; run npm run docs:settings. Expected:\n${table}`).toBe(true);
  });

  it(`${CATALOGUE_FILE} lists every declared name`, () => {
    expect(readFileSync(CATALOGUE_FILE, 'utf8'), 'run npm run docs:settings').toBe(renderCatalogue());
  });

  it('withTable replaces only what is between the markers', () => {
    const doc = 'before\n<!-- settings:x -->\nold\n<!-- /settings:x -->\nafter\n';
    expect(withTable(doc, 'x', 'new')).toBe('before\n<!-- settings:x -->\nnew\n<!-- /settings:x -->\nafter\n');
    expect(withTable(doc, 'y', 'new')).toBeUndefined();
  });
});
