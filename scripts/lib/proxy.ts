/**
 * A TCP proxy on 127.0.0.1 in front of a local JSON-RPC node that a test or benchmark can switch off and on:
 * `down()` refuses new connections and cuts open ones (the RPC endpoint "vanishes"), `up()` listens again on
 * the same port. Used by the relayer's RPC-outage test and the faults-under-load benchmark.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { listenLocal } from "./net.js";

export class SwitchableProxy {
  /** The proxy's port: 0 until the first `up()` picks a free one, then kept across `down()`/`up()`. */
  port = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(private readonly upstreamPort: number) {}

  /** Starts listening (on the previous port after a `down()`). */
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, "127.0.0.1");
      this.#sockets.add(client).add(upstream);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
    this.port = await listenLocal(server, this.port);
    this.#server = server;
  }

  /** Stops listening and cuts every open connection. */
  async down(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    for (const sock of this.#sockets) sock.destroy();
    this.#sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
