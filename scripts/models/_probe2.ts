import * as ort from "onnxruntime-node";
import { encodeModel, OnnxType, rawInt64 } from "./onnx.js";
import { Prng } from "./prng.js";
async function main() {
  const rng = new Prng(1);
  const n = 100000;
  const vals: bigint[] = [];
  for (let i = 0; i < n; i++) { const bits = BigInt(rng.int(0, 63)); const v = rng.bigint(0n, 2n ** bits); vals.push(rng.nextU32() & 1 ? v : -v); }
  for (let k = 0; k < 64; k++) { vals[k] = 2n ** BigInt(k) - (k === 63 ? 1n : 0n); vals[64 + k] = -(2n ** BigInt(k)); }
  const model = encodeModel({ name: "p", nodes: [{ op: "Greater", inputs: ["x", "z"], outputs: ["g"], name: "g" }, { op: "Where", inputs: ["g", "x", "z"], outputs: ["y"], name: "w" }, { op: "Max", inputs: ["x", "z"], outputs: ["y2"], name: "m" }],
    initializers: [{ name: "z", type: OnnxType.INT64, dims: [], raw: rawInt64([0n]) }], inputs: [{ name: "x", type: OnnxType.INT64, dims: [1, n] }], outputs: [{ name: "y", type: OnnxType.INT64, dims: [1, n] }, { name: "y2", type: OnnxType.INT64, dims: [1, n] }] });
  for (const level of ["disabled", "all"] as const) {
    const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 3, graphOptimizationLevel: level });
    const r = await s.run({ x: new ort.Tensor("int64", BigInt64Array.from(vals), [1, n]) });
    const got = r.y!.data as BigInt64Array; const got2 = r.y2!.data as BigInt64Array;
    let bad = 0, bad2 = 0; const ex: bigint[] = [];
    for (let i = 0; i < n; i++) { const e = vals[i]! > 0n ? vals[i]! : 0n; if (got[i] !== e) bad++; if (got2[i] !== e) { bad2++; if (ex.length < 5) ex.push(vals[i]!); } }
    console.log(level, "where bad", bad, "max bad", bad2, ex.map((v) => v.toString(16)));
  }
}
main();
