/**
 * A local stand-in for Neon's two endpoints, so `@vercel/postgres` (a Neon serverless client) can
 * run against the plain Postgres of the test machine:
 *
 * - `/v2` takes a WebSocket and pipes its binary frames to and from a TCP connection to Postgres,
 *   as Neon's WebSocket proxy does. The client speaks the ordinary wire protocol through it.
 * - `/sql` answers Neon's SQL-over-HTTP: one query (`{ query, params }`) or a transaction batch
 *   (`{ queries: [...] }`), run through `pg` and answered in Neon's JSON format, with every value
 *   as Postgres text so the client parses it by type, as it does against Neon.
 *
 * Point `neonConfig` at it with {@link neonConfigFor}. Every connection goes to the one target
 * server whatever host the client names, so connection strings can keep `localhost`.
 *
 * @packageDocumentation
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import pg from 'pg';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

/** Where the proxy sends connections. */
export interface NeonProxyOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 5432 */
  readonly port?: number;
}

/** A running proxy. */
export interface NeonProxy {
  /** The loopback port it listens on. */
  readonly port: number;
  /** Closes every WebSocket, TCP connection and `pg` pool it opened, then the server. */
  close(): Promise<void>;
}

/** The `neonConfig` settings that route a Neon client through the proxy on `port`. */
export function neonConfigFor(port: number) {
  return {
    wsProxy: () => `127.0.0.1:${port}/v2`,
    useSecureWebSocket: false,
    pipelineConnect: false as const,
    forceDisablePgSSL: true,
    fetchEndpoint: () => `http://127.0.0.1:${port}/sql`,
  };
}

/** Starts the proxy on a free loopback port. */
export async function startNeonProxy(options: NeonProxyOptions = {}): Promise<NeonProxy> {
  const target = { host: options.host ?? '127.0.0.1', port: options.port ?? 5432 };
  const tunnels = new Set<{ ws: WebSocket; tcp: Socket }>();
  const pools = new Map<string, pg.Pool>();
  const sockets = new WebSocketServer({ noServer: true });

  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://proxy').pathname !== '/sql') {
      response.writeHead(404).end('not found');
      return;
    }
    answerSql(request, response, (connectionString) => poolFor(pools, connectionString, target))
      // A failure here is the proxy's own fault, so it surfaces as Neon's non-400 server error.
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(error instanceof Error ? error.message : String(error));
      });
  });

  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://proxy').pathname !== '/v2') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => tunnels.add(tunnel(ws, target, tunnels)));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const { ws, tcp } of tunnels) {
        ws.terminate();
        tcp.destroy();
      }
      tunnels.clear();
      sockets.close();
      await Promise.all([...pools.values()].map((pool) => pool.end()));
      pools.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Pipes one WebSocket to a new TCP connection; whichever side ends first ends the other. */
function tunnel(
  ws: WebSocket,
  target: { host: string; port: number },
  tunnels: Set<{ ws: WebSocket; tcp: Socket }>,
): { ws: WebSocket; tcp: Socket } {
  // Writes before the connection opens are buffered by the socket, so the client's startup
  // message, sent as soon as the WebSocket opens, is not lost.
  const tcp = connect(target.port, target.host);
  const pair = { ws, tcp };
  const end = () => {
    tunnels.delete(pair);
    tcp.destroy();
    ws.close();
  };
  ws.on('message', (data: RawData) => {
    tcp.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
  });
  tcp.on('data', (chunk) => ws.send(chunk, { binary: true }));
  ws.on('close', end);
  ws.on('error', end);
  tcp.on('close', end);
  tcp.on('error', end);
  return pair;
}

/** One pool per connection string, always aimed at the target, whatever host the string names. */
function poolFor(
  pools: Map<string, pg.Pool>,
  connectionString: string,
  target: { host: string; port: number },
): pg.Pool {
  let pool = pools.get(connectionString);
  if (pool === undefined) {
    const url = new URL(connectionString);
    pool = new pg.Pool({
      host: target.host,
      port: target.port,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1)),
    });
    pools.set(connectionString, pool);
  }
  return pool;
}

/** One statement as Neon's HTTP API receives it. */
interface HttpQuery {
  readonly query: string;
  readonly params?: readonly unknown[];
}

/** The fields of a Postgres error that Neon copies into its 400 response, and the client reads. */
const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

/** Neon's isolation level names, as the client sends them in `Neon-Batch-Isolation-Level`. */
const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

async function answerSql(
  request: IncomingMessage,
  response: ServerResponse,
  poolOf: (connectionString: string) => pg.Pool,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (request.method !== 'POST') return reply(405, { message: 'POST a query to /sql' });
  const connectionString = request.headers['neon-connection-string'];
  if (typeof connectionString !== 'string') {
    return reply(400, { message: 'missing Neon-Connection-String header' });
  }
  // The only format the client asks for; anything else would need Neon's JSON typing rules.
  if (request.headers['neon-raw-text-output'] !== 'true') {
    return reply(400, { message: 'this stand-in only answers with Neon-Raw-Text-Output: true' });
  }
  const arrayMode = request.headers['neon-array-mode'] === 'true';
  const body = JSON.parse(await readBody(request)) as HttpQuery | { queries: HttpQuery[] };
  const client = await poolOf(connectionString).connect();
  let broken: Error | undefined;
  try {
    if (!('queries' in body)) return reply(200, await run(client, body, arrayMode));
    await client.query(begin(request));
    try {
      const results = [];
      for (const query of body.queries) results.push(await run(client, query, arrayMode));
      await client.query('COMMIT');
      return reply(200, { results });
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: Error) => {
        broken = rollback;
      });
      throw error;
    }
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) throw error;
    const fields = Object.fromEntries(ERROR_FIELDS.map((name) => [name, error[name]]));
    return reply(400, { message: error.message, ...fields });
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state, so the pool discards it.
    client.release(broken);
  }
}

/** The `BEGIN` a batch asks for through its headers. */
function begin(request: IncomingMessage): string {
  const header = (name: string) => {
    const value = request.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const modes: string[] = [];
  const isolation = header('neon-batch-isolation-level');
  if (isolation !== undefined) {
    const level = ISOLATION_LEVELS[isolation];
    if (level === undefined) throw new Error(`unknown isolation level ${isolation}`);
    modes.push(`ISOLATION LEVEL ${level}`);
  }
  const readOnly = header('neon-batch-read-only');
  if (readOnly !== undefined) modes.push(readOnly === 'true' ? 'READ ONLY' : 'READ WRITE');
  const deferrable = header('neon-batch-deferrable');
  if (deferrable !== undefined) modes.push(deferrable === 'true' ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return ['BEGIN', ...modes].join(' ');
}

/** Every value stays Postgres text: the Neon client parses it by the field's type. */
const RAW_TEXT: pg.CustomTypesConfig = {
  getTypeParser: (() => (value: string) => value) as pg.CustomTypesConfig['getTypeParser'],
};

async function run(client: pg.PoolClient, { query, params = [] }: HttpQuery, arrayMode: boolean) {
  const config = {
    text: query,
    values: params.map(toParam),
    rowMode: 'array' as const,
    types: RAW_TEXT,
    // Neon runs each statement as one prepared statement, so `SELECT 1; SELECT 2` fails there too.
    queryMode: 'extended',
  };
  const result = await client.query(config);
  const names = result.fields.map((field) => field.name);
  return {
    fields: result.fields,
    command: result.command,
    rowCount: result.rowCount,
    rowAsArray: arrayMode,
    rows: arrayMode
      ? result.rows
      : result.rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]]))),
  };
}

/**
 * The client sends values as `pg` prepares them: strings, nulls, and Buffers, which JSON turns
 * into `{ type: 'Buffer', data }`. Those go back to bytes so `bytea` parameters round-trip.
 */
function toParam(value: unknown): unknown {
  if (
    typeof value === 'object' &&
    value !== null &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data);
  }
  return value;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
