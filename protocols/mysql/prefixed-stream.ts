// A MySQL client starts its TLS handshake right after Protocol::SSLRequest without waiting for
// an answer (MySQL docs, "SSL Handshake"), so the ClientHello can arrive in the same chunk as
// the request. TLS must then start from those already-read bytes: this stream replays them
// before the rest of the socket's data.
import { Duplex } from 'node:stream';
import type net from 'node:net';

export function prefixedStream(socket: net.Socket, prefix: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end(callback);
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  stream.push(prefix);
  socket.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (err) => stream.destroy(err));
  socket.on('close', () => stream.destroy());
  return stream;
}
