// Port choice for the demo: a well-known default when it is free, any free port when it is not.
import net from 'node:net';

/** What to bind: a fixed port (taken is an error), or a preferred one with a fallback. */
export type PortChoice = { fixed: number } | { preferred: number };

/** True when nothing listens on host:port right now. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** A port the OS says is free now (another process may still take it before we bind). */
export function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Resolves a choice to a concrete port, for servers whose configuration cannot say "port 0".
 * `{ fixed: 0 }` means any free port.
 */
export async function choosePort(host: string, choice: PortChoice): Promise<number> {
  if ('fixed' in choice) {
    if (choice.fixed === 0) return anyFreePort(host);
    if (!(await isPortFree(host, choice.fixed))) throw new Error(`port ${choice.fixed} on ${host} is already in use`);
    return choice.fixed;
  }
  return (await isPortFree(host, choice.preferred)) ? choice.preferred : anyFreePort(host);
}

export function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}
