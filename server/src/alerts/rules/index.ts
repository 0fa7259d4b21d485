/**
 * The rule set. A new rule (stuck door, faulty socket, dark station…) is a file in this folder
 * exporting a factory that returns an {@link AlertRule}; add it to the list below.
 */
import type { AlertRule } from '../types.js';
import { dispenserBrokenRule } from './dispenser-broken.js';

export function defaultRules(): AlertRule[] {
  return [dispenserBrokenRule()];
}
