/**
 * The local ports of a yizhan installation, written once: the server, the broker and `npm start`
 * declare settings for the same ports (the server reaches the local broker and influxd by them).
 */
export const DEFAULT_PORTS = Object.freeze({
  /** The server's HTTP port: API, station screens, /metrics, /healthz, /readyz. */
  http: 8080,
  /** The broker's MQTT TCP port. */
  mqtt: 1883,
  /** The broker's side HTTP port: /metrics, /healthz. */
  brokerMetrics: 9101,
  /** The local influxd's HTTP port. */
  influx: 8086,
});
