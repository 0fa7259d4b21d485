/**
 * A local XYZ tile server for the planning map's page tests: generated 256-px PNG tiles of two
 * tile sets that draw the same streets, one in WGS-84 (`/wgs84/…`, as Tianditu and OSM do) and one
 * in GCJ-02 (`/gcj02/…`, as AMap and Tencent do): at each given point a grey street crossing with a
 * red cross at its centre, at the place that datum puts it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toGcj02, type LatLon } from '../../web/src/map/gcj02.js';
import { encodePng } from '../helpers/png.js';

export const TILE = 256;
const GROUND = [0xf4, 0xf1, 0xea];
const STREET = [0xb0, 0xb0, 0xb0];
export const CROSS = [0xff, 0x00, 0x00];
const STREET_HALF = 5;
const CROSS_HALF = 16;

/** Web-mercator world pixel of a point at zoom z. */
export function worldPixel(p: LatLon, z: number): { x: number; y: number } {
  const size = TILE * 2 ** z;
  const lat = (p.lat * Math.PI) / 180;
  return {
    x: ((p.lon + 180) / 360) * size,
    y: ((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * size,
  };
}

export type Datum = 'wgs84' | 'gcj02';
/** Where a datum's tiles draw a WGS-84 point. */
export const drawnAt = (p: LatLon, datum: Datum): LatLon => (datum === 'gcj02' ? toGcj02(p) : p);

function tile(points: LatLon[], datum: Datum, z: number, tx: number, ty: number): Buffer {
  const data = new Uint8Array(TILE * TILE * 3);
  const put = (x: number, y: number, c: number[]) => {
    if (x < 0 || y < 0 || x >= TILE || y >= TILE) return;
    data.set(c, (y * TILE + x) * 3);
  };
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) put(x, y, GROUND);
  for (const p of points) {
    const w = worldPixel(drawnAt(p, datum), z);
    const cx = Math.round(w.x - tx * TILE);
    const cy = Math.round(w.y - ty * TILE);
    for (let d = -STREET_HALF; d <= STREET_HALF; d++)
      for (let i = 0; i < TILE; i++) {
        if (cy + d >= 0 && cy + d < TILE) put(i, cy + d, STREET);
        if (cx + d >= 0 && cx + d < TILE) put(cx + d, i, STREET);
      }
    for (let d = -CROSS_HALF; d <= CROSS_HALF; d++)
      for (let k = -1; k <= 1; k++) {
        put(cx + d, cy + k, CROSS);
        put(cx + k, cy + d, CROSS);
      }
  }
  return encodePng({ width: TILE, height: TILE, data, channels: 3 });
}

export interface TileServer {
  /** http://127.0.0.1:port */
  url: string;
  /** Tiles served so far, by datum. */
  served: Record<Datum, number>;
  close(): Promise<void>;
}

export async function startTileServer(points: LatLon[]): Promise<TileServer> {
  const served: Record<Datum, number> = { wgs84: 0, gcj02: 0 };
  const server: Server = createServer((req, res) => {
    const m = /^\/(wgs84|gcj02)\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(req.url ?? '');
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const datum = m[1] as Datum;
    served[datum]++;
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    res.end(tile(points, datum, Number(m[2]), Number(m[3]), Number(m[4])));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () => new Promise<void>((ok, fail) => server.close((e) => (e ? fail(e) : ok()))),
  };
}
