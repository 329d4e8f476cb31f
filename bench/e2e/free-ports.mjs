// Loopback ports for processes that need a fixed one (SIPp, Kamailio): asked of the kernel with
// port 0, released, then handed over.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const ATTEMPTS = 20;

/** A port free for both UDP and TCP on 127.0.0.1, different from every port in `taken`. */
export async function freePort(taken = new Set()) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freeTcpPort();
    if (!taken.has(port) && (await udpPortFree(port))) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no loopback port free for UDP and TCP after ${ATTEMPTS} attempts`);
}

/** A SIPp media port: SIPp binds it and port + 2, so both must be free. */
export async function freeMediaPort(taken = new Set()) {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freePort(taken);
    if (port < 65_000 && !taken.has(port + 2) && (await udpPortFree(port + 2))) {
      taken.add(port + 2);
      return port;
    }
  }
  throw new Error(`no free UDP port pair for SIPp media after ${ATTEMPTS} attempts`);
}

/** @returns {Promise<number>} */
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no TCP port'))));
    });
  });
}

/** @param {number} port @returns {Promise<boolean>} */
function udpPortFree(port) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}
