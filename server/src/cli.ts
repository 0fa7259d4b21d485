/**
 * Accounts CLI of the server: people and their API tokens in the operations store, with the
 * server's settings (YIZHAN_DATA_DIR, YIZHAN_DB_URL, YIZHAN_STATIONS_DIR). `--help` lists the
 * commands (cli/run.ts); the first admin of a new installation is made here:
 *
 *   npx tsx server/src/cli.ts user add admin --name 管理员 --role county_admin --scope county
 *
 * and `planning resync` (cli/planning.ts; `npm run planning:resync`) makes the ranking store read
 * a range of days from InfluxDB again.
 */
import { runCli } from './cli/run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s + '\n'),
  err: (s) => void process.stderr.write(s + '\n'),
});
