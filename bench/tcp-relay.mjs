// A plain TCP relay (Node pipe() both ways, nothing parsed): the floor any proxy in Node pays.
//   node bench/tcp-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT
import net from 'node:net';

const [listenPort, host, port] = process.argv.slice(2);
if (!listenPort || !host || !port) {
  console.error('usage: node bench/tcp-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT');
  process.exit(2);
}
net
  .createServer((client) => {
    client.setNoDelay(true);
    const server = net.connect({ host, port: Number(port) });
    server.setNoDelay(true);
    client.pipe(server).pipe(client);
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
  })
  .listen(Number(listenPort), '127.0.0.1');
