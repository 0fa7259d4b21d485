import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url));
export const BROKEN = `${FIXTURES}/broken`;
export const VALID = `${FIXTURES}/valid`;
export const DUP = `${FIXTURES}/dup`;
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Every broken fixture and the exact lines `config:check` must print for it, as
 * `file:line path: message` with the file relative to fixtures/broken. Each file has one kind of
 * mistake (sometimes twice, to show that every problem is reported, not just the first).
 */
export const BROKEN_CASES: { file: string; why: string; expected: string[] }[] = [
  {
    file: 'unknown-key.yaml',
    why: 'unknown key with did-you-mean; the misspelt key also leaves the real one missing',
    expected: [
      'unknown-key.yaml:2 seats: required key "seats" is missing (Number of seats)',
      'unknown-key.yaml:9 seets: unknown key "seets"; did you mean "seats"?',
      'unknown-key.yaml:18 serial.flowControl: unknown key "flowControl"; allowed keys here: path, baudRate, dataBits, parity, stopBits, rs485, frameTimeout',
    ],
  },
  {
    file: 'missing-key.yaml',
    why: 'missing keys are reported on the line of their parent mapping',
    expected: [
      'missing-key.yaml:2 township: required key "township" is missing (Township (乡镇/街道) the station is in)',
      'missing-key.yaml:5 location.lon: required key "lon" is missing (Longitude in degrees (WGS-84))',
    ],
  },
  {
    file: 'wrong-type.yaml',
    why: 'wrong types name what was expected and what was found',
    expected: [
      'wrong-type.yaml:3 name: expected text, got 123; write it in quotes: "123"',
      'wrong-type.yaml:6 location: expected a mapping (key: value lines), got a list',
      'wrong-type.yaml:7 seats: expected a whole number, got "twelve"',
      'wrong-type.yaml:12 dispenser.setpointC: expected a number, got "hot"',
    ],
  },
  {
    file: 'bad-duration.yaml',
    why: 'durations use the message of protocol/src/duration.ts',
    expected: [
      'bad-duration.yaml:15 dispenser.heatingTimeout: "10 minutes" is not a duration; write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
      'bad-duration.yaml:19 serial.frameTimeout: "30" is not a duration; write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
    ],
  },
  {
    file: 'bad-lat.yaml',
    why: 'coordinates out of range',
    expected: [
      'bad-lat.yaml:7 location.lat: 119.85 is out of range: must be between -90 and 90',
      'bad-lat.yaml:8 location.lon: 300 is out of range: must be between -180 and 180',
    ],
  },
  {
    file: 'dup-channel.yaml',
    why: 'two sensors on one channel',
    expected: [
      'dup-channel.yaml:23 sensors[3].channel: channel 10 is already used by sensors[2]; each channel may appear once',
    ],
  },
  {
    file: 'dup-sensor-id.yaml',
    why: 'two sensors with one id',
    expected: [
      'dup-sensor-id.yaml:21 sensors[1].id: sensor id "door" is already used by sensors[0]; sensor ids must be unique in a station',
    ],
  },
  {
    file: 'socket-mismatch.yaml',
    why: 'sockets disagrees with the socket_state channels',
    expected: [
      'socket-mismatch.yaml:10 sockets: sockets is 3 but sensors has 2 channel(s) of kind socket_state; they must match',
    ],
  },
  {
    file: 'charges-not-socket.yaml',
    why: 'charges on a channel that is no socket',
    expected: [
      'charges-not-socket.yaml:24 sensors[4].charges: charges says what a socket charges; channel 40 is a socket_power, not a socket_state',
    ],
  },
  {
    file: 'id-mismatch.yaml',
    why: 'id differs from the file name',
    expected: [
      'id-mismatch.yaml:2 id: id "st-999" differs from the file name "id-mismatch"; rename the file to st-999.yaml or set id: id-mismatch',
    ],
  },
  {
    file: 'yaml-syntax.yaml',
    why: 'YAML syntax error with its line; one message per line',
    expected: ['yaml-syntax.yaml:7 (yaml): YAML syntax: Nested mappings are not allowed in compact mappings'],
  },
  {
    file: 'duplicate-yaml-key.yaml',
    why: 'a key written twice is a syntax error naming the key, on the second occurrence',
    expected: [
      'duplicate-yaml-key.yaml:10 (yaml): YAML syntax: key "seats" appears more than once in this mapping',
    ],
  },
  {
    file: 'bad-values.yaml',
    why: 'enums with did-you-mean, patterns with a hint, empty text; the misspelt kind does not also cause a socket-count error',
    expected: [
      'bad-values.yaml:3 name: must not be empty',
      'bad-values.yaml:11 hours: "7:00-21:00" is not valid: write opening hours as "HH:MM-HH:MM", e.g. "07:00-22:00"; "00:00-24:00" means always open',
      'bad-values.yaml:17 serial.baudRate: must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400; got 115201',
      'bad-values.yaml:22 sensors[2].kind: must be one of door, occupancy, socket_state, socket_power, water_temp, heater, water_level, ambient_temp; got "socket_stat"; did you mean "socket_state"?',
      'bad-values.yaml:24 sensors[4].id: "Socket-1-Power" is not valid: a sensor id is 1..32 lower-case letters, digits, "_" or "-", starting with a letter (e.g. "socket-3")',
    ],
  },
  {
    file: 'same-hours.yaml',
    why: 'semantic checks on values that match their pattern',
    expected: [
      'same-hours.yaml:11 hours: "08:00-08:00" opens and closes at the same time; write "00:00-24:00" for always open',
      'same-hours.yaml:18 serial.frameTimeout: "0s" is zero; a timeout must be longer than 0',
    ],
  },
  {
    file: 'empty.yaml',
    why: 'a file with only a comment',
    expected: ['empty.yaml:1 (root): expected a mapping (key: value lines), got an empty value'],
  },
  {
    file: 'not-a-mapping.yaml',
    why: 'a list instead of a station',
    expected: ['not-a-mapping.yaml:2 (root): expected a mapping (key: value lines), got a list'],
  },
];
