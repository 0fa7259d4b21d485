/**
 * The 1.x transport through a real HTTP server: what actually goes on the wire for v1 (basic auth /
 * u,p params) and v2 (token).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import { createTransport, type InfluxConnection } from '../../../server/src/influx/transport.js';
import { InfluxQLClient } from '../../../server/src/influx/query.js';

describe('transport on the wire', () => {
  let server: Server;
  let url: string;
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
        if (req.url?.startsWith('/query')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              results: [
                { statement_id: 0, series: [{ name: 'm', columns: ['time', 'value'], values: [[1, 2.5]] }] },
              ],
            }),
          );
        } else {
          res.writeHead(204);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  async function writeOne(conn: InfluxConnection): Promise<(typeof seen)[number]> {
    seen.length = 0;
    const client = new InfluxDB({ url, transport: createTransport(conn) });
    const api = client.getWriteApi(conn.org ?? '', conn.bucket ?? `${conn.db}/${conn.rp}`, 'ms');
    api.writePoint(
      new Point('water_temp').tag('station', 'st-001').floatField('value', 61.5).timestamp(1_700_000_000_123),
    );
    await api.close();
    const req = seen[0];
    if (!req) throw new Error('no request seen');
    return req;
  }

  const basic = (user: string, password: string): string =>
    'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  // What each kind of connection sends for the same point: the path and query, and the auth header.
  const writes: { name: string; conn: Omit<InfluxConnection, 'url'>; path: string; auth: string | undefined }[] = [
    {
      name: 'v1 with username: /write?db&rp&precision and basic auth',
      conn: { api: 'v1', db: 'yizhan', rp: 'raw', username: 'w', password: 'secret' },
      path: '/write?db=yizhan&rp=raw&precision=ms',
      auth: basic('w', 'secret'),
    },
    {
      name: 'v1 with params auth: u and p in the URL, no Authorization header',
      conn: { api: 'v1', db: 'yizhan', rp: 'raw', username: 'w', password: 'secret', v1Auth: 'params' },
      path: '/write?db=yizhan&rp=raw&precision=ms&u=w&p=secret',
      auth: undefined,
    },
    {
      name: 'v1 without username uses the token header (1.8+ "user:password" tokens)',
      conn: { api: 'v1', db: 'yizhan', rp: 'raw', token: 'u:p' },
      path: '/write?db=yizhan&rp=raw&precision=ms',
      auth: 'Token u:p',
    },
    {
      name: 'v2 passes the client path through unchanged with token auth',
      conn: { api: 'v2', db: 'yizhan', rp: 'raw', org: 'county', bucket: 'yizhan-raw', token: 'tok' },
      path: '/api/v2/write?org=county&bucket=yizhan-raw&precision=ms',
      auth: 'Token tok',
    },
  ];

  it.each(writes)('$name; body unchanged', async ({ conn, path, auth }) => {
    const req = await writeOne({ url, ...conn });
    expect(req).toEqual({
      method: 'POST',
      url: path,
      auth,
      body: 'water_temp,station=st-001 value=61.5 1700000000123',
    });
  });

  it('InfluxQL: GET for SELECT/SHOW, POST for CREATE, through the same auth', async () => {
    seen.length = 0;
    const ql = new InfluxQLClient(
      createTransport({ url, api: 'v1', db: 'yizhan', rp: 'raw', username: 'r', password: 'x' }),
      {
        db: 'yizhan',
      },
    );
    const rows = await ql.rows('SELECT value FROM m', { epoch: 'ms' });
    await ql.query('CREATE DATABASE "yizhan"');
    expect(rows).toEqual([{ time: 1, value: 2.5 }]);
    expect(seen.map((s) => s.method)).toEqual(['GET', 'POST']);
    expect(seen[0]?.url).toBe('/query?q=SELECT+value+FROM+m&db=yizhan&epoch=ms');
    expect(seen.every((s) => s.auth === basic('r', 'x'))).toBe(true);
  });
});
