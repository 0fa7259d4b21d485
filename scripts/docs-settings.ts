/**
 * `npm run docs:settings`: rewrite the settings tables in the docs and the name catalogue from the
 * settings declarations (scripts/lib/settings-docs.ts says which).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { CATALOGUE_FILE, docTables, renderCatalogue, withTable } from './lib/settings-docs.js';

let failed = false;
writeFileSync(CATALOGUE_FILE, renderCatalogue());
for (const { file, name, table } of docTables()) {
  const next = withTable(readFileSync(file, 'utf8'), name, table);
  if (next === undefined) {
    console.error(`${file}: no <!-- settings:${name} --> … <!-- /settings:${name} --> markers`);
    failed = true;
  } else writeFileSync(file, next);
}
process.exit(failed ? 1 : 0);
