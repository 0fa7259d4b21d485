/** One MQTT broker engine run as a cluster of processes on this machine, for bench:cluster. */
export interface ClusterAccount {
  username: string;
  role: 'station' | 'server';
}
export interface ClusterEngine {
  /** e.g. 'yizhan' (aedes nodes on Redis), 'rabbitmq' (RabbitMQ MQTT plugin). */
  readonly name: string;
  /** Start every process under `dir` (its own data folders there), create the accounts (station ACL: publish only
   *  yizhan/v1/stations/<username>/#, subscribe its own …/cmd and …/config/desired; server: subscribe
   *  yizhan/v1/stations/#, publish cmd and config/desired). Resolves with each account's secret once every node serves MQTT. */
  start(dir: string, accounts: ClusterAccount[]): Promise<Map<string, string>>;
  /** mqtt://127.0.0.1:PORT of each broker node, in node order. */
  nodeUrls(): string[];
  /** Names of the processes the matrix may kill: the nodes ('node-1', 'node-2', …) and any backend ('redis'). */
  parts(): string[];
  /** Send `signal` (default SIGKILL) to that part and resolve when the process has exited. */
  kill(part: string, signal?: NodeJS.Signals): Promise<void>;
  /** Start that part again with its data folder; resolve when it serves again (and, for a node, has rejoined the cluster). */
  restart(part: string): Promise<void>;
  /** Stop everything (SIGKILL is fine) and leave `dir` to the caller. Safe to call twice. */
  stop(): Promise<void>;
}
