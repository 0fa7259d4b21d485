import { describe, expect, it } from 'vitest';
import { markHistorical } from '../../../edge/src/agent/mqtt-link.js';
import { validators } from '@yizhan/protocol/mqtt';

describe('markHistorical', () => {
  it('adds historical: true and keeps the payload valid', () => {
    const p = {
      v: 1,
      stationId: 'st-001',
      bootId: 'abcdefgh12',
      seq: 3,
      ts: 1,
      readings: [{ sensor: 'door', kind: 'door', value: 1 }],
    };
    const marked = JSON.parse(markHistorical(Buffer.from(JSON.stringify(p))).toString()) as unknown;
    expect(marked).toEqual({ ...p, historical: true });
    expect(validators.telemetry.check(marked)).toBe(true);
    const twice = markHistorical(Buffer.from(JSON.stringify(marked)));
    expect(JSON.parse(twice.toString())).toEqual(marked);
  });
});
