/**
 * Types for an ethers v6 `Contract` read straight from an `as const` ABI (sdk/abi/*.ts), with no generated
 * classes: each function's arguments, return value and state mutability come from its ABI entry. Arguments
 * take what ethers accepts (BigNumberish, AddressLike, BytesLike, objects for structs); results are what
 * ethers returns (bigint for every integer, hex strings for bytes and addresses, structs as named tuples).
 * Multi-dimensional fixed-size arrays (`T[2][3]`) are typed `unknown`, and an overloaded name gets the union
 * of its overloads (ethers wants the full signature for those); none of Verdict's ABIs has either.
 */
import {
  type AddressLike,
  type Addressable,
  type BaseContract,
  type BaseContractMethod,
  type BigNumberish,
  type BytesLike,
  Contract,
  type ContractRunner,
  type ContractTransactionResponse,
  type InterfaceAbi,
} from "ethers";

/** One ABI parameter as solc writes it. */
export interface AbiParameter {
  readonly name: string;
  readonly type: string;
  readonly internalType?: string;
  readonly components?: readonly AbiParameter[];
  readonly indexed?: boolean;
}

/** One function of an ABI. */
export interface AbiFunction {
  readonly type: "function";
  readonly name: string;
  readonly inputs: readonly AbiParameter[];
  readonly outputs: readonly AbiParameter[];
  readonly stateMutability: "pure" | "view" | "nonpayable" | "payable";
}

/** An ABI: functions, events, errors, constructor. */
export type Abi = readonly { readonly type: string }[];

type Direction = "in" | "out";

type ScalarType<T extends string, D extends Direction> = T extends `uint${string}` | `int${string}`
  ? D extends "in"
    ? BigNumberish
    : bigint
  : T extends "address"
    ? D extends "in"
      ? AddressLike
      : string
    : T extends "bool"
      ? boolean
      : T extends "string"
        ? string
        : T extends `bytes${string}`
          ? D extends "in"
            ? BytesLike
            : string
          : unknown;

/** Named fields of a struct (unnamed components are reachable by index only). */
type StructFields<C extends readonly AbiParameter[], D extends Direction> = {
  [P in C[number] as P["name"] extends "" ? never : P["name"]]: TypeOf<P["type"], P, D>;
};

/** A struct: an object for arguments; for results, ethers' Result (by index and by name). */
type StructType<C extends readonly AbiParameter[], D extends Direction> = D extends "in"
  ? StructFields<C, D>
  : {
      -readonly [I in keyof C]: C[I] extends AbiParameter ? TypeOf<C[I]["type"], C[I], D> : never;
    } & StructFields<C, D>;

/** The TypeScript type of ABI type `T` (the parameter `P` carries a tuple's components). */
type TypeOf<T extends string, P extends AbiParameter, D extends Direction> = T extends `${infer E}[]`
  ? TypeOf<E, P, D>[]
  : T extends `${infer E}[${number}]`
    ? TypeOf<E, P, D>[]
    : T extends `${string}[${string}`
      ? unknown
      : T extends "tuple"
        ? P["components"] extends readonly AbiParameter[]
          ? StructType<P["components"], D>
          : unknown
        : ScalarType<T, D>;

/** The argument type of one parameter. */
export type AbiInput<P extends AbiParameter> = TypeOf<P["type"], P, "in">;
/** The result type of one parameter. */
export type AbiOutput<P extends AbiParameter> = TypeOf<P["type"], P, "out">;

/** The arguments of a function, as a tuple (a homomorphic map over the inputs' tuple). */
type Inputs<P extends readonly AbiParameter[]> = {
  -readonly [I in keyof P]: P[I] extends AbiParameter ? AbiInput<P[I]> : never;
};

/** What a call returns: nothing, the one output, or all outputs as a named tuple. */
type Returns<F extends AbiFunction> = F["outputs"] extends readonly []
  ? void
  : F["outputs"] extends readonly [infer Only extends AbiParameter]
    ? AbiOutput<Only>
    : StructType<F["outputs"], "out">;

/** One function as an ethers method: calls for view/pure, transactions otherwise. */
export type AbiMethod<F extends AbiFunction> = BaseContractMethod<
  Inputs<F["inputs"]> extends unknown[] ? Inputs<F["inputs"]> : never,
  Returns<F>,
  F["stateMutability"] extends "view" | "pure" ? Returns<F> : ContractTransactionResponse
>;

type Functions<A extends Abi> = {
  [F in Extract<A[number], AbiFunction> as F["name"]]: AbiMethod<F>;
};

/** An ethers Contract whose methods are typed from the `as const` ABI `A`. */
export type TypedContract<A extends Abi> = Omit<BaseContract, "connect" | "attach"> &
  Omit<Functions<A>, keyof BaseContract> & {
    connect(runner: ContractRunner | null): TypedContract<A>;
    attach(target: string | Addressable): TypedContract<A>;
  };

/** An ethers Contract at `address` typed from `abi`, connected to `runner` (a Signer or a Provider). */
export function typedContract<const A extends Abi>(
  abi: A,
  address: string | Addressable,
  runner: ContractRunner | null = null,
): TypedContract<A> {
  // ethers builds the methods from the ABI at run time; the type above names the same methods.
  return new Contract(address, abi as unknown as InterfaceAbi, runner) as unknown as TypedContract<A>;
}
