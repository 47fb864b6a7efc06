/**
 * The one way the relayer opens its SQLite databases (relayer.db, chain.db, duties.db under the data
 * directory): WAL journal, the durability each asks for, a busy timeout; cached prepared statements;
 * reentrant transactions (nested calls run in a SAVEPOINT, so a failing inner step rolls back only
 * itself); and the binding of every database to ONE chain and coordinator. A data directory reused after
 * a redeploy or on another chain would otherwise resume a cursor, jobs, signed transactions or ballots
 * that belong to another contract: opening it fails with StoreError DB_CHAIN_MISMATCH instead.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { StoreError } from "../errors.js";

export type Row = Record<string, SQLInputValue>;

/** The chain and coordinator a database belongs to. */
export interface ChainBinding {
  chainId: bigint;
  coordinator: string;
}

/**
 * Opens (creating its directory if needed) the database at `file` (":memory:" allowed) in WAL mode, then
 * runs `prepare` (its schema, or a function that migrates it); closes it again if any step fails.
 * `synchronous` NORMAL survives a process crash; FULL also an OS crash (docs/operations.md).
 */
export function openSqlite(
  file: string,
  synchronous: "NORMAL" | "FULL",
  prepare?: string | ((db: DatabaseSync) => void),
): DatabaseSync {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new DatabaseSync(file);
  try {
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; PRAGMA busy_timeout = 5000;`);
    if (typeof prepare === "string") db.exec(prepare);
    else prepare?.(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The 32-byte 0x-hex key a request or dispute id is stored under. */
export const idKey = (id: bigint): string => "0x" + id.toString(16).padStart(64, "0");

/** Base of the relayer's stores: statements, transactions, close, and the chain binding. */
export abstract class SqliteStore {
  readonly file: string;
  #db: DatabaseSync | undefined;
  /** Open transaction depth (0: none; 1: the outer IMMEDIATE transaction; more: savepoints). */
  #depth = 0;
  readonly #stmts = new Map<string, StatementSync>();
  /** The key/value table (`key`, `value` columns) holding the chain binding. */
  protected abstract readonly bindingTable: string;

  protected constructor(file: string, db: DatabaseSync) {
    this.file = file;
    this.#db = db;
  }

  protected get db(): DatabaseSync {
    if (this.#db === undefined) throw new StoreError("DB_CLOSED", "database is closed");
    return this.#db;
  }

  /** A cached prepared statement. */
  protected stmt(sql: string): StatementSync {
    let st = this.#stmts.get(sql);
    if (st === undefined) {
      st = this.db.prepare(sql);
      this.#stmts.set(sql, st);
    }
    return st;
  }

  close(): void {
    this.#stmts.clear();
    this.#db?.close();
    this.#db = undefined;
  }

  get isOpen(): boolean {
    return this.#db !== undefined;
  }

  /**
   * Runs `fn` in an IMMEDIATE transaction; rolls back on any throw. Reentrant: called inside another
   * transaction it runs in a SAVEPOINT, and a throw rolls back only what `fn` wrote.
   */
  transaction<T>(fn: () => T): T {
    const db = this.db;
    const depth = this.#depth;
    const sp = `sp${depth}`;
    db.exec(depth === 0 ? "BEGIN IMMEDIATE" : `SAVEPOINT ${sp}`);
    this.#depth = depth + 1;
    try {
      const out = fn();
      this.#depth = depth;
      db.exec(depth === 0 ? "COMMIT" : `RELEASE ${sp}`);
      return out;
    } catch (e) {
      this.#depth = depth;
      db.exec(depth === 0 ? "ROLLBACK" : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
      throw e;
    }
  }

  /** Many writes in one commit (see `transaction`). */
  batch<T>(fn: () => T): T {
    return this.transaction(fn);
  }

  /** True inside `transaction` / `batch`. */
  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /**
   * Binds this database to one chain and coordinator: the first call records them, later calls must
   * match, else StoreError DB_CHAIN_MISMATCH and nothing is written (a data directory reused after a
   * redeploy or on another chain must not resume another contract's state).
   */
  bindChain(chainId: bigint, coordinator: string): void {
    const want = { chain_id: chainId.toString(), coordinator: coordinator.toLowerCase() };
    const table = this.bindingTable;
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT`);
    this.transaction(() => {
      for (const [k, v] of Object.entries(want)) {
        const row = this.stmt(`SELECT value FROM ${table} WHERE key = ?`).get(k) as Row | undefined;
        if (row === undefined) {
          this.stmt(`INSERT INTO ${table} (key, value) VALUES (?, ?)`).run(k, v);
        } else if (String(row["value"]) !== v) {
          throw new StoreError(
            "DB_CHAIN_MISMATCH",
            `the database at ${this.file} belongs to ${k} ${String(row["value"])}, not ${v}: ` +
              "use another VERDICT_DATA_DIR for this deployment",
            { key: k, stored: String(row["value"]), configured: v, file: this.file },
          );
        }
      }
    });
  }

  /** Binds at open: closes the database again when it belongs to another chain or coordinator. */
  protected bindOrClose(binding: ChainBinding | undefined): this {
    if (binding === undefined) return this;
    try {
      this.bindChain(binding.chainId, binding.coordinator);
    } catch (e) {
      this.close();
      throw e;
    }
    return this;
  }
}
