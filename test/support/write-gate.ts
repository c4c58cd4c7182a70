/**
 * A TCP relay in front of a test server that can stop a client at an exact write. It reads the LDAP
 * messages the client sends (BER: SEQUENCE { messageID, protocolOp }) and, once armed, forwards the
 * n-th write request and then nothing more. A client killed at that moment is interrupted exactly
 * there, however loaded the machine is: polling the audit log instead lets a fast run write on past
 * the target between two polls.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

// Application tags of the requests that change the directory (RFC 4511 §4.6–4.9, §4.12).
const WRITE_TAGS = new Set([
  0x66, // ModifyRequest
  0x68, // AddRequest
  0x4a, // DelRequest
  0x6c, // ModifyDNRequest
  0x77, // ExtendedRequest: password modify (the runs under test use no StartTLS or other extended operation)
]);

/** The total length (header included) of the BER element at `offset`, or undefined when not all of its header is here. */
function elementLength(buffer: Buffer, offset: number): number | undefined {
  const first = buffer[offset + 1];
  if (first === undefined) return undefined;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (buffer.length < offset + 2 + count) return undefined;
  let length = 0;
  for (let index = 0; index < count; index++) length = length * 256 + (buffer[offset + 2 + index] ?? 0);
  return 2 + count + length;
}

/** The protocolOp tag of the LDAPMessage at `offset`: after the SEQUENCE header and the messageID. */
function operationTag(buffer: Buffer, offset: number): number | undefined {
  const first = buffer[offset + 1] ?? 0;
  const idOffset = offset + 2 + (first < 0x80 ? 0 : first & 0x7f);
  const idLength = elementLength(buffer, idOffset);
  return idLength === undefined ? undefined : buffer[idOffset + idLength];
}

export interface WriteGate {
  /** ldap:// URL of the relay. */
  url: string;
  /**
   * From now on, forwards `writes` write requests, then nothing more from any client, and calls
   * `reached` right after the last one went to the server.
   */
  arm(writes: number, reached: () => void): void;
  /** Forward everything again (for the runs after the interrupted one). */
  open(): void;
  close(): Promise<void>;
}

/** A gate in front of the server at `serverUrl` (ldap://host:port). */
export async function startWriteGate(serverUrl: string): Promise<WriteGate> {
  const { hostname, port } = new URL(serverUrl);
  const target = { host: hostname, port: Number(port) };
  let remaining = Number.POSITIVE_INFINITY;
  let onReached: (() => void) | undefined;
  const sockets = new Set<Socket>();

  const relay = (client: Socket): void => {
    const server = createConnection(target);
    sockets.add(client).add(server);
    const closeBoth = (): void => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    server.on('error', closeBoth).on('close', closeBoth);
    server.on('data', (chunk: Buffer) => client.write(chunk));

    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let offset = 0;
      while (remaining > 0) {
        const length = elementLength(pending, offset);
        if (length === undefined || pending.length < offset + length) break;
        const tag = operationTag(pending, offset);
        server.write(pending.subarray(offset, offset + length));
        offset += length;
        if (tag !== undefined && WRITE_TAGS.has(tag) && --remaining === 0) onReached?.();
      }
      pending = pending.subarray(offset);
    });
  };

  const listener: Server = createServer(relay);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('the write gate has no port');
  return {
    url: `ldap://127.0.0.1:${address.port}`,
    arm(writes, reached) {
      remaining = writes;
      onReached = reached;
    },
    open() {
      remaining = Number.POSITIVE_INFINITY;
      onReached = undefined;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
