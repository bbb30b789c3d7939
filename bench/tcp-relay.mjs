// A plain TCP relay (Node pipe() both ways, nothing parsed): the floor any proxy in Node pays.
//   node bench/tcp-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT [SPIN_US]
// SPIN_US (bench/relay-cost.sh): busy-waits that many microseconds on each chunk from the server,
// before relaying it, to show what a proxy's own work per response costs in throughput.
import net from 'node:net';

const [listenPort, host, port, spinUs = '0'] = process.argv.slice(2);
if (!listenPort || !host || !port) {
  console.error('usage: node bench/tcp-relay.mjs LISTEN_PORT TARGET_HOST TARGET_PORT [SPIN_US]');
  process.exit(2);
}
const spinNs = BigInt(Math.round(Number(spinUs) * 1000));

function spin() {
  const until = process.hrtime.bigint() + spinNs;
  while (process.hrtime.bigint() < until);
}

net
  .createServer((client) => {
    client.setNoDelay(true);
    const server = net.connect({ host, port: Number(port) });
    server.setNoDelay(true);
    if (spinNs === 0n) client.pipe(server).pipe(client);
    else {
      client.pipe(server);
      server.on('data', (chunk) => {
        spin();
        client.write(chunk);
      });
    }
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
  })
  .listen(Number(listenPort), '127.0.0.1');
