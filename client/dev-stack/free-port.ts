import { createServer } from 'node:net';

function tryListen(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** `preferred` when nothing listens on it (so the usual 7233 stays usual), else any free port. */
export async function findFreePort(preferred: number, host = '127.0.0.1', avoid: readonly number[] = []): Promise<number> {
  if (preferred > 0 && !avoid.includes(preferred)) {
    const port = await tryListen(preferred, host);
    if (port !== undefined) return port;
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryListen(0, host);
    if (port !== undefined && !avoid.includes(port)) return port;
  }
  throw new Error(`no free TCP port on ${host}`);
}
