/**
 * JSON/NumPy-style numbers to the protocol's fixed-point encoding and back, exactly (sdk/fixed.ts,
 * sdk/json-tensors.ts): the mistakes a dApp developer would otherwise hit silently.
 */
import { expect } from "chai";
import { decodeTensors, encodeTensors } from "../../sdk/tensor.js";
import { decimalToFixed, fixedToDecimal, toFixed } from "../../sdk/fixed.js";
import { tensorsFromJson, tensorsToJson } from "../../sdk/json-tensors.js";
import { VerdictError } from "../../sdk/errors.js";

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof VerdictError) return err.code;
    throw err;
  }
  throw new Error("expected a VerdictError");
};

const fixedJson = (data: unknown, scale = 6, extra: Record<string, unknown> = {}): unknown => ({
  tensors: [
    { name: "x", dtype: "fixed64", scale, dims: [Array.isArray(data) ? data.length : 1], data, ...extra },
  ],
});

describe("SDK: JSON tensors and exact fixed-point conversion", () => {
  it("scales integer-valued numbers in fixed64 (numpy tolist() of 2.0 is not a raw 2)", () => {
    const [x] = tensorsFromJson(
      JSON.parse('{"tensors":[{"name":"x","dtype":"fixed64","scale":6,"dims":[3],"data":[2.0, 1, -3]}]}'),
    );
    expect(x!.data).to.deep.equal([2_000_000n, 1_000_000n, -3_000_000n]);
  });

  it("rounds the exact binary value half away from zero, at every scale up to 18", () => {
    const [x] = tensorsFromJson(fixedJson([-2.5, 2.5, 0.5, -0.5], 0));
    expect(x!.data).to.deep.equal([-3n, 3n, 1n, -1n]); // Math.round gives -2 and -0 for the negatives
    // 1.005 is 1.00499999999999989... in binary: 100 at scale 2, not 101.
    expect(toFixed([1.005], 2)).to.deep.equal([100n]);
    // Scale 18 keeps every digit of the binary value (Math.round(v * 1e18) loses them).
    expect(toFixed([0.1], 18)).to.deep.equal([100_000_000_000_000_006n]);
    expect(toFixed([-1.5], 18)).to.deep.equal([-1_500_000_000_000_000_000n]);
  });

  it("takes decimal strings exactly: one tenth is one tenth", () => {
    expect(decimalToFixed("0.1", 18)).to.equal(100_000_000_000_000_000n);
    expect(decimalToFixed("-2.5", 0)).to.equal(-3n);
    expect(decimalToFixed("2.4999", 0)).to.equal(2n);
    expect(decimalToFixed("1e-3", 6)).to.equal(1_000n);
    expect(decimalToFixed("-.5e1", 0)).to.equal(-5n);
    expect(decimalToFixed("0.0000005", 6)).to.equal(1n);
    expect(decimalToFixed("-0.0000005", 6)).to.equal(-1n);
    expect(decimalToFixed("9.223372036854775807", 18)).to.equal((1n << 63n) - 1n);
    expect(codeOf(() => decimalToFixed("9.223372036854775808", 18))).to.equal("TENSOR_RANGE");
    for (const junk of ["", "1.2.3", "0x10", "NaN", "Infinity", "1e", "--1", "1,5"]) {
      expect(
        codeOf(() => decimalToFixed(junk, 6)),
        junk,
      ).to.equal("TENSOR_MALFORMED");
    }
  });

  it("writes fixed64 back as exact decimals, and reads them back to the same integers", () => {
    const values = [0n, 1n, -1n, 250_000n, -1_500_000n, (1n << 63n) - 1n, -(1n << 63n), 1_000_000n];
    const strings = values.map((v) => fixedToDecimal(v, 6));
    expect(strings.slice(0, 5)).to.deep.equal(["0", "0.000001", "-0.000001", "0.25", "-1.5"]);
    expect(strings.map((s) => decimalToFixed(s, 6))).to.deep.equal(values);
    const tensors = [
      { name: "a", dtype: "fixed64" as const, scale: 18, dims: [2], data: [1n, -(10n ** 18n)] },
      { name: "b", dtype: "int64" as const, scale: 0, dims: [2], data: [1n << 62n, -5n] },
    ];
    const json = JSON.parse(JSON.stringify(tensorsToJson(tensors)));
    expect(json[1].data).to.deep.equal(["4611686018427387904", -5]);
    expect(encodeTensors(tensorsFromJson(json))).to.deep.equal(encodeTensors(tensors));
  });

  it("takes nested data as numpy prints it, checking the shape", () => {
    const json = {
      tensors: [
        {
          name: "m",
          dtype: "int32",
          dims: [2, 2],
          data: [
            [1, 2],
            [3, 4],
          ],
        },
      ],
    };
    const [m] = decodeTensors(encodeTensors(tensorsFromJson(json)));
    expect(m!.data).to.deep.equal([1n, 2n, 3n, 4n]);
    const ragged = { tensors: [{ name: "m", dtype: "int32", dims: [2, 2], data: [[1, 2], [3]] }] };
    expect(codeOf(() => tensorsFromJson(ragged))).to.equal("TENSOR_JSON");
  });

  it("refuses silent damage: fractions in integer tensors, int64 beyond 2^53 as numbers, raw fractions", () => {
    const int = (data: unknown[], dtype = "int32"): unknown => ({
      tensors: [{ name: "x", dtype, dims: [data.length], data }],
    });
    expect(codeOf(() => tensorsFromJson(int([1.5])))).to.equal("TENSOR_JSON");
    expect(codeOf(() => tensorsFromJson(int([2 ** 60], "int64")))).to.equal("TENSOR_JSON");
    expect(tensorsFromJson(int(["1152921504606846977"], "int64"))[0]!.data).to.deep.equal([(1n << 60n) + 1n]);
    expect(codeOf(() => tensorsFromJson(fixedJson([0.5], 6, { raw: true })))).to.equal("TENSOR_JSON");
    expect(tensorsFromJson(fixedJson(["1500000"], 6, { raw: true }))[0]!.data).to.deep.equal([1_500_000n]);
    expect(codeOf(() => tensorsFromJson(fixedJson([1e300], 6)))).to.equal("TENSOR_RANGE");
    expect(
      codeOf(() => tensorsFromJson({ tensors: [{ name: "x", dtype: "float32", dims: [1], data: [1] }] })),
    ).to.equal("TENSOR_JSON");
  });
});
