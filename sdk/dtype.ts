/** The VTN1 dtype table (docs/protocol.md, "Tensors"). */

export type DType = "int8" | "uint8" | "int16" | "int32" | "int64" | "bool" | "fixed64";

export interface DTypeInfo {
  readonly name: DType;
  /** The one-byte code on the wire. */
  readonly code: number;
  /** Bytes per element. */
  readonly width: number;
  readonly signed: boolean;
  readonly min: bigint;
  readonly max: bigint;
}

const info = (
  name: DType,
  code: number,
  width: number,
  signed: boolean,
  min: bigint,
  max: bigint,
): DTypeInfo => Object.freeze({ name, code, width, signed, min, max });

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  int8: info("int8", 1, 1, true, -128n, 127n),
  uint8: info("uint8", 2, 1, false, 0n, 255n),
  int16: info("int16", 3, 2, true, -32768n, 32767n),
  int32: info("int32", 4, 4, true, -(1n << 31n), (1n << 31n) - 1n),
  int64: info("int64", 5, 8, true, INT64_MIN, INT64_MAX),
  bool: info("bool", 6, 1, false, 0n, 1n),
  fixed64: info("fixed64", 7, 8, true, INT64_MIN, INT64_MAX),
});

const BY_CODE: ReadonlyMap<number, DTypeInfo> = new Map(Object.values(DTYPES).map((d) => [d.code, d]));

/** The dtype for a wire code, or undefined when the code is unknown. */
export function dtypeByCode(code: number): DTypeInfo | undefined {
  return BY_CODE.get(code);
}

/** Type guard for dtype names. */
export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(DTYPES, value);
}
