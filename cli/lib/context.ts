/**
 * What every command module gets from cli/main.ts: the IO, the global flags as parsed, an output writer
 * and a session opener. Command modules export `register(program, ctx)`.
 */
import type { Command } from "commander";
import type { GlobalFlags, Io } from "../support.js";
import { toJson } from "../support.js";
import { openSession, type Session } from "./session.js";

export interface Ctx {
  io: Io;
  flags(): GlobalFlags;
  /** True under --json. */
  json(): boolean;
  /** Writes a line to stdout. */
  out(s: string): void;
  /** Writes `value` as JSON under --json, else `text()`. */
  emit(value: unknown, text: () => string): void;
  /** Opens a session; `write` commands need a key. */
  session(write: boolean): Promise<Session>;
}

export function makeCtx(program: Command, io: Io): Ctx {
  const flags = (): GlobalFlags => program.opts<GlobalFlags>();
  const out = (s: string): void => void io.stdout.write(s.endsWith("\n") ? s : s + "\n");
  const json = (): boolean => flags().json === true;
  return {
    io,
    flags,
    json,
    out,
    emit: (value, text) => out(json() ? toJson(value) : text()),
    session: (write) => openSession(flags(), io, write),
  };
}

/** A command group module. */
export type Register = (program: Command, ctx: Ctx) => void;

/** An ISO date for a unix timestamp. */
export const iso = (ts: bigint | number): string => new Date(Number(ts) * 1000).toISOString();
