/**
 * Writes the 47 SAMPLE stations (样例数据) to firmware-config/stations/st-001.yaml .. st-047.yaml
 * and their 8 townships to firmware-config/townships.yaml from the tables in data.ts. Deterministic: the same table always gives the same files, and
 * test/config checks that the committed files are up to date.
 *
 *   npx tsx firmware-config/src/samples/generate.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@yizhan/common/prng';
import { COUNTY, DISPENSERS, PLACES, TOWNSHIPS, type Place, type Township } from './data.js';

const STATIONS_DIR = fileURLToPath(new URL('../../stations', import.meta.url));
const TOWNSHIPS_FILE = fileURLToPath(new URL('../../townships.yaml', import.meta.url));

/** The simulator's seeded PRNG (mulberry32), so coordinates and sizes never change between runs. */
const prng = mulberry32;

const KM_PER_DEG_LAT = 111.0;
const kmPerDegLon = (lat: number) => 111.32 * Math.cos((lat * Math.PI) / 180);

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const r = Math.PI / 180;
  const h =
    Math.sin(((b.lat - a.lat) * r) / 2) ** 2 +
    Math.cos(a.lat * r) * Math.cos(b.lat * r) * Math.sin(((b.lon - a.lon) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

export interface SampleStation {
  id: string;
  place: Place;
  township: Township;
  lat: number;
  lon: number;
  seats: number;
  sockets: number;
  hours: string;
  dispenser: (typeof DISPENSERS)[number];
}

/** Scatter each township's stations around its centre, at least `minKm` apart. */
function place(t: Township, count: number, rand: () => number): { lat: number; lon: number }[] {
  const minKm = t.town ? 0.7 : 0.45;
  const out: { lat: number; lon: number }[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 10_000) throw new Error(`cannot place ${count} stations in ${t.name}; widen radiusKm`);
    // The first station sits near the centre; the rest spread out, denser towards the middle.
    const r = out.length === 0 ? 0.15 * rand() : t.radiusKm * Math.sqrt(rand());
    const angle = 2 * Math.PI * rand();
    const lat = Number((t.lat + (r * Math.sin(angle)) / KM_PER_DEG_LAT).toFixed(5));
    const lon = Number((t.lon + (r * Math.cos(angle)) / kmPerDegLon(t.lat)).toFixed(5));
    if (out.every((o) => distanceKm(o, { lat, lon }) >= minKm)) out.push({ lat, lon });
  }
  return out;
}

const int = (rand: () => number, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

export function sampleStations(): SampleStation[] {
  const rand = prng(20240501);
  const coords = new Map<string, { lat: number; lon: number }[]>();
  for (const t of TOWNSHIPS)
    coords.set(t.name, place(t, PLACES.filter((x) => x.township === t.name).length, rand));
  const used = new Map<string, number>();
  return PLACES.map((pl, i) => {
    const township = TOWNSHIPS.find((t) => t.name === pl.township);
    if (!township) throw new Error(`unknown township ${pl.township}`);
    const k = used.get(township.name) ?? 0;
    used.set(township.name, k + 1);
    const c = coords.get(township.name)?.[k];
    if (!c) throw new Error(`no coordinates for ${pl.place}`);
    const seats = township.town ? int(rand, 12, 30) : int(rand, 6, 18);
    const sockets = township.town ? int(rand, 8, 16) : int(rand, 4, 10);
    const allNight = township.town ? i % 4 !== 1 : /工业|物流|高速/.test(pl.place);
    const hours = allNight
      ? '00:00-24:00'
      : township.town
        ? '06:00-23:00'
        : i % 2 === 0
          ? '06:30-22:00'
          : '07:00-21:00';
    const dispenser = township.town
      ? seats >= 20
        ? DISPENSERS[1]
        : DISPENSERS[0]
      : DISPENSERS[i % 2 === 0 ? 2 : 0];
    return {
      id: `st-${String(i + 1).padStart(3, '0')}`,
      place: pl,
      township,
      ...c,
      seats,
      sockets,
      hours,
      dispenser,
    };
  });
}

function sensorLines(sockets: number): string[] {
  const line = (channel: number, id: string, kind: string, label: string) =>
    `  - { channel: ${channel}, id: ${id}, kind: ${kind}, label: ${label} }`;
  const out = [
    '  # 门、人数、室温 / door, people inside, room temperature',
    line(1, 'door', 'door', '门'),
    line(2, 'occupancy', 'occupancy', '在站人数'),
    line(3, 'ambient', 'ambient_temp', '室温'),
    '  # 充电口状态, channel 10 + n - 1 / socket state',
  ];
  for (let n = 1; n <= sockets; n++)
    out.push(line(10 + n - 1, `socket-${n}`, 'socket_state', `${n}号充电口`));
  out.push('  # 充电功率, channel 40 + n - 1 / socket power');
  for (let n = 1; n <= sockets; n++)
    out.push(line(40 + n - 1, `socket-${n}-power`, 'socket_power', `${n}号充电口功率`));
  out.push(
    '  # 开水器 / hot-water dispenser',
    line(80, 'water-temp', 'water_temp', '开水器水温'),
    line(81, 'heater', 'heater', '加热器'),
    line(82, 'water-level', 'water_level', '水箱水位'),
  );
  return out;
}

/** The YAML text of one sample station. */
export function renderStation(s: SampleStation): string {
  const t = s.township;
  const name = `${t.short}${s.place.place}驿站`;
  return [
    '# yaml-language-server: $schema=../station.schema.json',
    `# 样例数据 SAMPLE DATA: a station of the fictional ${COUNTY.nameEn} (${COUNTY.name}); not a real station.`,
    '# Generated by `npx tsx firmware-config/src/samples/generate.ts` from src/samples/data.ts.',
    'sample: true',
    `id: ${s.id}`,
    `name: ${name}`,
    `nameEn: ${t.nameEn} ${s.place.placeEn} Station`,
    `township: ${t.name}`,
    `address: ${COUNTY.name}${s.place.address.startsWith(t.name) ? '' : t.name}${s.place.address}`,
    'location:',
    `  lat: ${s.lat.toFixed(5)}`,
    `  lon: ${s.lon.toFixed(5)}`,
    `seats: ${s.seats}`,
    `sockets: ${s.sockets}`,
    `hours: '${s.hours}'`,
    '',
    'dispenser:',
    `  model: ${s.dispenser.model}`,
    `  setpointC: ${s.dispenser.setpointC}`,
    '  heatingTimeout: 10min',
    '',
    'serial:',
    '  path: /dev/ttyYZ0',
    '  baudRate: 115200',
    '  frameTimeout: 30s',
    '',
    'sensors:',
    ...sensorLines(s.sockets),
    '',
  ].join('\n');
}

/** File name → text, for all sample stations. */
export function renderSamples(): Map<string, string> {
  return new Map(sampleStations().map((s) => [`${s.id}.yaml`, renderStation(s)]));
}

/** The text of firmware-config/townships.yaml: the sample county's townships with their codes. */
export function renderTownships(): string {
  return [
    '# yaml-language-server: $schema=./townships.schema.json',
    `# 样例数据 SAMPLE DATA: the townships of the fictional ${COUNTY.nameEn} (${COUNTY.name}).`,
    '# Generated by `npx tsx firmware-config/src/samples/generate.ts` from src/samples/data.ts.',
    '# code: role grants, API filters and metrics labels; name: as station files write `township:`.',
    'townships:',
    ...TOWNSHIPS.map((t) => `  - { code: ${t.code}, name: ${t.name}, nameEn: ${t.nameEn} }`),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(STATIONS_DIR, { recursive: true });
  for (const [file, text] of renderSamples()) writeFileSync(join(STATIONS_DIR, file), text);
  writeFileSync(TOWNSHIPS_FILE, renderTownships());
  console.log(
    `wrote ${PLACES.length} sample stations to ${STATIONS_DIR} and ${TOWNSHIPS.length} townships to ${TOWNSHIPS_FILE}`,
  );
}
