import { createServer } from 'node:net';

export class PortInUseError extends Error {}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
  });
}

/** Throws PortInUseError naming every busy port and the variable that moves it. */
export async function ensurePortsFree(ports: [envName: string, port: number][]): Promise<void> {
  const busy: string[] = [];
  for (const [name, port] of ports) if (!(await isFree(port))) busy.push(`${port} (${name})`);
  if (busy.length)
    throw new PortInUseError(
      `端口已被占用 / port in use: ${busy.join(', ')}. ` +
        `停止占用的程序，或用环境变量换端口 / stop what uses it or choose another port, e.g. YIZHAN_MQTT_PORT=1884 npm start`,
    );
}
