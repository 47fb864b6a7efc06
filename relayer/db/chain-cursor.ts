/**
 * The chain cursor (last processed block number + hash) and the seen blocks (number -> hash) that reorgs
 * are detected against: tables `cursor` and `blocks` of relayer.db, which commit together with the jobs
 * (relayer/db/jobs.ts extends this store). Moving the cursor back is only possible through `rewindTo`.
 */
import { StoreError } from "../errors.js";
import { SqliteStore, type Row } from "./sqlite.js";

export interface Cursor {
  blockNumber: number;
  blockHash: string;
}

export const HASH32_RE = /^0x[0-9a-f]{64}$/;

export abstract class ChainCursorStore extends SqliteStore {
  getCursor(): Cursor | undefined {
    const r = this.stmt("SELECT block_number, block_hash FROM cursor WHERE id = 1").get() as Row | undefined;
    return r === undefined
      ? undefined
      : { blockNumber: Number(r["block_number"]), blockHash: String(r["block_hash"]) };
  }

  /**
   * Advances the cursor to `cursor` and records the block as seen, atomically. Moving the cursor
   * backwards is only possible through `rewindTo` (reorg handling).
   */
  advanceCursor(cursor: Cursor): void {
    const hash = this.checkBlock(cursor);
    this.transaction(() => {
      const cur = this.getCursor();
      if (cur !== undefined && cursor.blockNumber < cur.blockNumber) {
        throw new StoreError(
          "CURSOR_INVALID",
          `cursor cannot move back from ${cur.blockNumber} to ${cursor.blockNumber}`,
        );
      }
      this.#setCursor(cursor.blockNumber, hash);
    });
  }

  /** Records a block seen during a scan (number -> hash). */
  recordBlock(block: Cursor): void {
    this.#recordBlock(block.blockNumber, this.checkBlock(block));
  }

  /** Moves the cursor to block `n` and records that block's hash. */
  #setCursor(n: number, hash: string): void {
    this.stmt(
      "INSERT INTO cursor (id, block_number, block_hash) VALUES (1, ?, ?) " +
        "ON CONFLICT (id) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash",
    ).run(n, hash);
    this.#recordBlock(n, hash);
  }

  #recordBlock(n: number, hash: string): void {
    this.stmt(
      "INSERT INTO blocks (number, hash) VALUES (?, ?) ON CONFLICT (number) DO UPDATE SET hash = excluded.hash",
    ).run(n, hash);
  }

  /** The hash recorded for block `n`, if any. */
  blockHash(n: number): string | undefined {
    const r = this.stmt("SELECT hash FROM blocks WHERE number = ?").get(n) as Row | undefined;
    return r === undefined ? undefined : String(r["hash"]);
  }

  /**
   * Reorg: forgets every seen block above `cursor.blockNumber` and moves the cursor back to it.
   * Jobs are kept (their request ids are chain facts that the rescan re-confirms or drops).
   */
  rewindTo(cursor: Cursor): void {
    const hash = this.checkBlock(cursor);
    this.transaction(() => {
      this.stmt("DELETE FROM blocks WHERE number > ?").run(cursor.blockNumber);
      this.#setCursor(cursor.blockNumber, hash);
    });
  }

  /** Deletes seen blocks below `n` (they are deeper than any reorg the relayer handles). */
  pruneBlocksBelow(n: number): number {
    return Number(this.stmt("DELETE FROM blocks WHERE number < ?").run(n).changes);
  }

  protected checkBlock(b: Cursor): string {
    if (!Number.isSafeInteger(b.blockNumber) || b.blockNumber < 0) {
      throw new StoreError("CURSOR_INVALID", `block number must be a non-negative integer`);
    }
    const h = b.blockHash.toLowerCase();
    if (!HASH32_RE.test(h)) throw new StoreError("CURSOR_INVALID", `block hash must be 32 bytes of 0x-hex`);
    return h;
  }
}
