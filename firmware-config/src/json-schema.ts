/**
 * The station schema as a JSON Schema document (draft-07), for editors: each station YAML starts
 * with `# yaml-language-server: $schema=../station.schema.json`. Written by `npm run config:schema`.
 */
import { fileURLToPath } from 'node:url';
import { StationConfig } from './schema.js';

/** Where `npm run config:schema` writes the schema. */
export const STATION_SCHEMA_FILE: string = fileURLToPath(new URL('../station.schema.json', import.meta.url));

/** The JSON Schema object; TypeBox's internal symbol keys are left out by JSON serialisation. */
export function stationJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(StationConfig)) as Record<string, unknown>;
  return { $schema: 'http://json-schema.org/draft-07/schema#', ...plain };
}

/** The file's exact text: two-space indent and a final newline. */
export function stationJsonSchemaText(): string {
  return JSON.stringify(stationJsonSchema(), null, 2) + '\n';
}
