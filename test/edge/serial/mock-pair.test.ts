import { describe, expect, it } from 'vitest';
import { mockDevice, MAX_BYTES_WHILE_CLOSED } from '../../../edge/src/serial/mock-pair.js';

describe('mock pair device end', () => {
  it('holds a little while no agent listens and drops (counted) beyond that', () => {
    const d = mockDevice('/mock/test/unit-hold');
    expect(d.connected).toBe(false);
    expect(d.write(Buffer.alloc(MAX_BYTES_WHILE_CLOSED))).toBe(true);
    expect(d.write(Buffer.alloc(10))).toBe(false);
    expect(d.droppedBytes).toBe(10);
  });
});
