import { describe, expect, it } from 'vitest';
import { didYouMean, levenshtein } from '@yizhan/common/did-you-mean';

describe('levenshtein', () => {
  it.each([
    ['', '', 0],
    ['seats', 'seats', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['seets', 'seats', 1],
    ['kitten', 'sitting', 3],
    ['lable', 'label', 1],
    ['frameTimout', 'frameTimeout', 1],
    ['socket', 'sockets', 1],
    ['baud', 'baudRate', 4],
  ])('%s → %s = %i', (a, b, d) => {
    expect(levenshtein(a, b)).toBe(d);
    expect(levenshtein(b, a)).toBe(d);
  });
});

describe('didYouMean', () => {
  const TOP = [
    'sample',
    'id',
    'name',
    'nameEn',
    'township',
    'address',
    'location',
    'seats',
    'sockets',
    'dispenser',
    'hours',
    'serial',
    'sensors',
  ];
  it.each([
    ['seets', 'seats'],
    ['sensor', 'sensors'],
    ['Seats', 'seats'],
    ['adress', 'address'],
    ['townshp', 'township'],
    ['dispencer', 'dispenser'],
    ['hour', 'hours'],
    ['nameen', 'nameEn'],
    ['ID', 'id'],
  ])('%s → %s', (word, expected) => {
    expect(didYouMean(word, TOP)).toBe(expected);
  });

  it.each(['foo', 'x', 'capacity', 'latitude', 'openingHours'])('%s → no suggestion', (word) => {
    expect(didYouMean(word, TOP)).toBeUndefined();
  });

  it('prefers the closest candidate, and the first one on a tie', () => {
    expect(didYouMean('socket', ['sockets', 'socket_state'])).toBe('sockets');
    expect(didYouMean('ab', ['ac', 'ad'])).toBe('ac');
  });
});
