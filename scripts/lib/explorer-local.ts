/**
 * The explorer's configuration for a local devnet (the tests, the screenshots, the explorer benchmark): the
 * contracts read from the coordinator, everything indexed from block 0 without confirmations into `dbFile`,
 * served on any free port.
 */
import type { JsonRpcProvider } from "ethers";
import { loadConfig, type ExplorerConfig } from "../../explorer/config.js";

export function localExplorerConfig(
  devnet: { url: string; addresses: { coordinator: string } },
  dbFile: string,
): Promise<{ config: ExplorerConfig; provider: JsonRpcProvider }> {
  return loadConfig({
    VERDICT_RPC_URL: devnet.url,
    VERDICT_COORDINATOR_ADDRESS: devnet.addresses.coordinator,
    VERDICT_START_BLOCK: "0",
    VERDICT_EXPLORER_DB: dbFile,
    VERDICT_EXPLORER_PORT: "0",
    VERDICT_CONFIRMATIONS: "0",
  });
}
