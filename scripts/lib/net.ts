/** Local servers of the scripts (RPC proxies, input servers). */
import type { Server } from "node:net";

/** Starts `server` listening on 127.0.0.1 (`port` 0: any free port); resolves with the port it got. */
export async function listenLocal(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const a = server.address();
  return typeof a === "object" && a !== null ? a.port : 0;
}
