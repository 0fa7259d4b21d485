/**
 * The station schema as a JSON Schema document (draft-07), for editors: each station YAML starts
 * with `# yaml-language-server: $schema=../station.schema.json`; townships.yaml likewise with
 * `./townships.schema.json`. Written by `npm run config:schema`.
 */
import { fileURLToPath } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import { StationConfig } from './schema.js';
import { TownshipsFile } from './townships.js';
import { AlertRulesFile } from './alert-rules.js';

/** Where `npm run config:schema` writes the schema. */
export const STATION_SCHEMA_FILE: string = fileURLToPath(new URL('../station.schema.json', import.meta.url));

/** Where `npm run config:schema` writes the townships file's schema. */
export const TOWNSHIPS_SCHEMA_FILE: string = fileURLToPath(
  new URL('../townships.schema.json', import.meta.url),
);

/** Where `npm run config:schema` writes the alert-rules file's schema. */
export const ALERT_RULES_SCHEMA_FILE: string = fileURLToPath(
  new URL('../alert-rules.schema.json', import.meta.url),
);

/** A JSON Schema object; TypeBox's internal symbol keys are left out by JSON serialisation. */
function jsonSchema(schema: TSchema): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...plain };
}

export function stationJsonSchema(): Record<string, unknown> {
  return jsonSchema(StationConfig);
}

/** The file's exact text: two-space indent and a final newline. */
export function stationJsonSchemaText(): string {
  return JSON.stringify(stationJsonSchema(), null, 2) + '\n';
}

/** townships.schema.json's exact text. */
export function townshipsJsonSchemaText(): string {
  return JSON.stringify(jsonSchema(TownshipsFile), null, 2) + '\n';
}

/** alert-rules.schema.json's exact text. */
export function alertRulesJsonSchemaText(): string {
  return JSON.stringify(jsonSchema(AlertRulesFile), null, 2) + '\n';
}
