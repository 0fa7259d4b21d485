/**
 * The table of every alert rule's settings and defaults in firmware-config/README.md, made from
 * the schema (alert-rules.ts) so the two cannot drift: a test compares the README with it.
 */
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { FlappingSettings, OutageSettings, RULE_NAMES, RuleSettingsSchemas } from './alert-rules.js';

function rows(prefix: string, props: Record<string, TSchema>): string[] {
  return Object.entries(props).map(([k, s]) => {
    const d = (s as { default?: unknown; description?: string }).default;
    const desc = (s as { description?: string }).description ?? '';
    return `| \`${prefix}.${k}\` | \`${String(d)}\` | ${desc} |`;
  });
}

/** The markdown table (header included), one row per setting. */
export function alertRulesTable(): string {
  return [
    '| setting | default | meaning |',
    '| --- | --- | --- |',
    ...RULE_NAMES.flatMap((n) => rows(n, RuleSettingsSchemas[n].properties)),
    ...rows('flapping', FlappingSettings.properties),
    ...rows('outage', OutageSettings.properties),
  ].join('\n');
}

/** firmware-config/README.md, whose table `npm run config:schema` rewrites. */
export const CONFIG_README: string = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- alert-rules:start -->';
const END = '<!-- alert-rules:end -->';

/** `readme` with the text between its markers replaced by the current table. */
export function withAlertRulesTable(readme: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${START} … ${END} not found in the README`);
  return `${readme.slice(0, a + START.length)}\n${alertRulesTable()}\n${readme.slice(b)}`;
}
