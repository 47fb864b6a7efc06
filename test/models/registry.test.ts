import { expect } from "chai";
import { network } from "hardhat";
import { keccak256, toUtf8Bytes, ZeroAddress, type Signer } from "ethers";
import type { IModelRegistry } from "../../types/ethers-contracts/contracts/models/ModelRegistry.js";
import type { ModelRegistry } from "../../types/ethers-contracts/index.js";

function spec(overrides: Partial<IModelRegistry.ModelSpecStruct> = {}): IModelRegistry.ModelSpecStruct {
  return {
    modelHash: keccak256(toUtf8Bytes("model")),
    uris: ["https://example.org/model.onnx"],
    ioSchema: '{"inputs":[],"outputs":[]}',
    outputScale: 6,
    tolerance: 10n,
    feePerInference: 1000n,
    royaltyBps: 250,
    disputeWindow: 3600,
    defaultRedundancy: 1,
    referee: ZeroAddress,
    modelCardHash: keccak256(toUtf8Bytes("card")),
    ...overrides,
  };
}

describe("ModelRegistry", function () {
  let registry: ModelRegistry;
  let owner: Signer;
  let stranger: Signer;

  beforeEach(async function () {
    const { ethers } = await network.create();
    [owner, stranger] = (await ethers.getSigners()) as unknown as [Signer, Signer];
    registry = (await ethers.deployContract("ModelRegistry")) as unknown as ModelRegistry;
  });

  it("registers a model by its hash with every field, and lists it", async function () {
    const s = spec();
    await expect(registry.connect(owner).register(s)).to.emit(registry, "ModelRegistered");
    const m = await registry.getModel(s.modelHash);
    expect(m.owner).to.equal(await owner.getAddress());
    expect(m.terms.feePerInference).to.equal(1000n);
    expect(m.terms.tolerance).to.equal(10n);
    expect(m.terms.royaltyBps).to.equal(250n);
    expect(m.terms.disputeWindow).to.equal(3600n);
    expect(m.terms.active).to.equal(true);
    expect(m.uris).to.deep.equal(["https://example.org/model.onnx"]);
    expect(m.modelCardHash).to.equal(s.modelCardHash);
    expect(await registry.modelCount()).to.equal(1n);
    expect(await registry.modelAt(0)).to.equal(s.modelHash);
  });

  it("refuses bad specs and double registration, leaving the registry unchanged", async function () {
    await expect(
      registry.register(spec({ modelHash: "0x" + "00".repeat(32) })),
    ).to.be.revertedWithCustomError(registry, "ZeroModelHash");
    await expect(registry.register(spec({ uris: [] }))).to.be.revertedWithCustomError(registry, "NoURIs");
    await expect(registry.register(spec({ ioSchema: "" }))).to.be.revertedWithCustomError(
      registry,
      "EmptySchema",
    );
    await expect(registry.register(spec({ royaltyBps: 3001 }))).to.be.revertedWithCustomError(
      registry,
      "RoyaltyTooHigh",
    );
    await expect(registry.register(spec({ disputeWindow: 29 }))).to.be.revertedWithCustomError(
      registry,
      "DisputeWindowOutOfBounds",
    );
    await expect(registry.register(spec({ defaultRedundancy: 9 }))).to.be.revertedWithCustomError(
      registry,
      "RedundancyOutOfBounds",
    );
    await expect(registry.register(spec({ outputScale: 19 }))).to.be.revertedWithCustomError(
      registry,
      "ScaleTooLarge",
    );
    expect(await registry.modelCount()).to.equal(0n);
    await registry.register(spec());
    await expect(registry.connect(stranger).register(spec()))
      .to.be.revertedWithCustomError(registry, "ModelAlreadyRegistered")
      .withArgs(spec().modelHash);
    expect((await registry.getModel(spec().modelHash)).owner).to.equal(await owner.getAddress());
  });

  it("lets only the owner change URIs, fee and ownership, and deactivate; never the hash", async function () {
    const s = spec();
    await registry.register(s);
    await expect(registry.connect(stranger).setFee(s.modelHash, 1)).to.be.revertedWithCustomError(
      registry,
      "NotModelOwner",
    );
    await expect(registry.connect(stranger).setURIs(s.modelHash, ["x"])).to.be.revertedWithCustomError(
      registry,
      "NotModelOwner",
    );
    await expect(registry.connect(stranger).deactivate(s.modelHash)).to.be.revertedWithCustomError(
      registry,
      "NotModelOwner",
    );
    await registry.setFee(s.modelHash, 5);
    await registry.setURIs(s.modelHash, ["ipfs://a", "https://b"]);
    await expect(registry.setURIs(s.modelHash, [])).to.be.revertedWithCustomError(registry, "NoURIs");
    const m = await registry.getModel(s.modelHash);
    expect(m.terms.feePerInference).to.equal(5n);
    expect(m.uris).to.deep.equal(["ipfs://a", "https://b"]);
    await expect(registry.transferModelOwnership(s.modelHash, ZeroAddress)).to.be.revertedWithCustomError(
      registry,
      "ZeroOwner",
    );
    await registry.transferModelOwnership(s.modelHash, await stranger.getAddress());
    expect(await registry.ownerOf(s.modelHash)).to.equal(await stranger.getAddress());
    await registry.connect(stranger).deactivate(s.modelHash);
    expect((await registry.terms(s.modelHash)).active).to.equal(false);
    await expect(registry.terms(keccak256(toUtf8Bytes("unknown")))).to.be.revertedWithCustomError(
      registry,
      "UnknownModel",
    );
  });

  it("packs the terms in one word, laid out as documented", async function () {
    const s = spec();
    await registry.register(s);
    const t = await registry.terms(s.modelHash);
    const expected =
      t.feePerInference |
      (t.disputeWindow << 96n) |
      (t.tolerance << 128n) |
      (t.royaltyBps << 192n) |
      (t.defaultRedundancy << 208n) |
      (t.outputScale << 216n) |
      ((t.active ? 1n : 0n) << 224n);
    expect(await registry.packedTerms(s.modelHash)).to.equal(expected);
    await registry.deactivate(s.modelHash);
    expect((await registry.packedTerms(s.modelHash)) >> 224n).to.equal(0n);
    await expect(registry.packedTerms(keccak256(toUtf8Bytes("unknown")))).to.be.revertedWithCustomError(
      registry,
      "UnknownModel",
    );
  });

  it("takes its terms listener once, from its owner (the deployer) only, and never address(0)", async function () {
    const listener = await stranger.getAddress();
    await expect(registry.connect(stranger).setTermsListener(listener))
      .to.be.revertedWithCustomError(registry, "OwnableUnauthorizedAccount")
      .withArgs(listener);
    await expect(registry.setTermsListener(ZeroAddress)).to.be.revertedWithCustomError(
      registry,
      "ZeroListener",
    );
    expect(await registry.termsListener()).to.equal(ZeroAddress);
    await expect(registry.setTermsListener(listener))
      .to.emit(registry, "TermsListenerSet")
      .withArgs(listener);
    await expect(registry.setTermsListener(await owner.getAddress()))
      .to.be.revertedWithCustomError(registry, "TermsListenerAlreadySet")
      .withArgs(listener);
    expect(await registry.termsListener()).to.equal(listener);
  });
});

describe("ModelRegistry: fees cannot change under a requester (21.3)", function () {
  it("an increase waits longer than a request's life and shows in packedTerms only once applied; a decrease applies at once", async function () {
    const connection = await network.create();
    const { ethers } = connection;
    const [owner, stranger] = (await ethers.getSigners()) as unknown as [Signer, Signer];
    const registry = (await ethers.deployContract("ModelRegistry")) as unknown as ModelRegistry;
    const s = spec();
    await (await registry.register(s)).wait();
    const feeOf = async () => (await registry.packedTerms(s.modelHash)) & ((1n << 96n) - 1n);
    const delay = await registry.FEE_INCREASE_DELAY();
    // Longer than the coordinator's largest deadline (7 days) plus the largest dispute window.
    expect(delay).to.be.greaterThan(7n * 86400n + (await registry.MAX_DISPUTE_WINDOW()));

    const tx = await registry.setFee(s.modelHash, 100_000n);
    const at = BigInt((await tx.wait())!.blockNumber);
    const effectiveAt = BigInt((await ethers.provider.getBlock(Number(at)))!.timestamp) + delay;
    await expect(tx)
      .to.emit(registry, "ModelFeeIncreaseScheduled")
      .withArgs(s.modelHash, 100_000n, effectiveAt);
    expect(await feeOf()).to.equal(1000n); // the fee in force is unchanged
    expect((await registry.pendingFee(s.modelHash)).feePerInference).to.equal(100_000n);
    await expect(registry.connect(stranger).applyFee(s.modelHash))
      .to.be.revertedWithCustomError(registry, "FeeNotYetEffective")
      .withArgs(s.modelHash, effectiveAt);
    await connection.networkHelpers.time.increaseTo(effectiveAt);
    await expect(registry.connect(stranger).applyFee(s.modelHash))
      .to.emit(registry, "ModelFeeChanged")
      .withArgs(s.modelHash, 100_000n);
    expect(await feeOf()).to.equal(100_000n);
    await expect(registry.applyFee(s.modelHash))
      .to.be.revertedWithCustomError(registry, "NoPendingFee")
      .withArgs(s.modelHash);

    // A decrease applies at once and cancels a pending increase.
    await (await registry.setFee(s.modelHash, 200_000n)).wait();
    await expect(registry.setFee(s.modelHash, 10n))
      .to.emit(registry, "ModelFeeChanged")
      .withArgs(s.modelHash, 10n);
    expect(await feeOf()).to.equal(10n);
    expect((await registry.pendingFee(s.modelHash)).effectiveAt).to.equal(0n);
    await expect(registry.connect(owner).applyFee(s.modelHash)).to.be.revertedWithCustomError(
      registry,
      "NoPendingFee",
    );
  });
});
