import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** For the bench's specs: starts `server` on a free loopback port and gives its origin. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** For the bench's specs: stops `server` once its connections have ended. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
