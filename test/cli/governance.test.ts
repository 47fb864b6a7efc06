/**
 * The governance hand-over (deploy/handover.ts) on a real local chain (a `hardhat node` child process with the
 * protocol deployed by scripts/lib/devnet.ts through the Ignition module): the deployment leaves the wired
 * contracts to the timelock as pending owner with one scheduled acceptOwnership() batch; `verdict governance
 * accept` refuses before the delay (typed error, nothing sent), runs it after, refuses a second time; nobody
 * else can accept; and a devnet ends with the timelock owning every governed contract.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Contract, Wallet, ZeroAddress, getAddress } from "ethers";
import { main } from "../../cli/main.js";
import { coordinatorAbi, disputesAbi, modelRegistryAbi, stakingAbi } from "../../sdk/abi/index.js";
import { RefereeCourt__factory } from "../../types/ethers-contracts/index.js";
import { LiveChain } from "../../explorer/live.js";
import { devAccount, rpc, startDevnet, type Devnet } from "../../scripts/lib/devnet.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const DELAY = 3_600;

/** Every governed contract of a devnet, by name, with its Ownable2Step views. */
function governed(devnet: Devnet): Record<string, Contract> {
  const a = devnet.addresses;
  const c = (address: string, abi: readonly unknown[]): Contract =>
    new Contract(address, abi as never, devnet.provider);
  return {
    coordinator: c(a.coordinator, coordinatorAbi),
    staking: c(a.staking, stakingAbi),
    registry: c(a.registry, modelRegistryAbi),
    disputes: c(a.disputes, disputesAbi),
  };
}

async function owners(devnet: Devnet): Promise<Record<string, [string, string]>> {
  const out: Record<string, [string, string]> = {};
  for (const [name, c] of Object.entries(governed(devnet)))
    out[name] = [
      getAddress(await c.getFunction("owner")()),
      getAddress(await c.getFunction("pendingOwner")()),
    ];
  return out;
}

function cliOf(devnet: Devnet, dir: string) {
  return async (argv: string[], key?: string): Promise<Run> => {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env: {
        VERDICT_RPC_URL: devnet.url,
        VERDICT_CHAIN_ID: devnet.chainId.toString(),
        VERDICT_COORDINATOR_ADDRESS: devnet.addresses.coordinator,
        ...(key ? { VERDICT_PRIVATE_KEY: key } : {}),
      },
      cwd: dir,
    });
    return { code, stdout, stderr };
  };
}

describe("verdict governance: the hand-over to the timelock", function () {
  let devnet: Devnet;
  let dir: string;
  /** Anyone: the batch's executor role is open. */
  const anyone = Wallet.createRandom();

  before(async function () {
    devnet = await startDevnet({ operators: 1, handover: false, timelockDelay: DELAY });
    dir = mkdtempSync(path.join(tmpdir(), "verdict-gov-"));
    await (
      await devAccount(0, devnet.provider).sendTransaction({ to: anyone.address, value: 10n ** 18n })
    ).wait();
  });

  after(async function () {
    await devnet?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("before the delay: the deployer still owns the wired contracts, the timelock is only pending", async function () {
    const deployer = devAccount(0).address;
    const o = await owners(devnet);
    for (const name of ["coordinator", "staking", "registry"]) {
      expect(o[name], name).to.deep.equal([deployer, devnet.timelock]);
    }
    // Disputes needs no wiring: the timelock owns it from construction.
    expect(o.disputes).to.deep.equal([devnet.timelock, ZeroAddress]);
  });

  it("a stranger cannot accept ownership in the timelock's place", async function () {
    for (const [name, c] of Object.entries(governed(devnet)).filter(([n]) => n !== "disputes")) {
      const asStranger = c.connect(anyone.connect(devnet.provider)) as Contract;
      let reverted = "";
      try {
        await (await asStranger.getFunction("acceptOwnership")()).wait();
      } catch (e) {
        reverted = String((e as Error).message);
      }
      expect(reverted, name).to.not.equal("");
    }
    expect((await owners(devnet)).coordinator![0]).to.equal(devAccount(0).address);
  });

  it("`governance accept` refuses before the delay, with a typed error, and sends nothing", async function () {
    const cli = cliOf(devnet, dir);
    const status = await cli(["--json", "governance", "status"]);
    expect(status.code, status.stderr).to.equal(0);
    const st = JSON.parse(status.stdout) as { state: string; timelock: string };
    expect(st.state).to.equal("waiting");
    expect(getAddress(st.timelock)).to.equal(devnet.timelock);

    const nonce = await devnet.provider.getTransactionCount(anyone.address);
    const early = await cli(["--json", "governance", "accept"], anyone.privateKey);
    expect(early.code).to.equal(1);
    const err = JSON.parse(early.stderr) as { error: { code: string; details: { secondsLeft: string } } };
    expect(err.error.code).to.equal("HANDOVER_NOT_READY");
    expect(Number(err.error.details.secondsLeft)).to.be.within(1, DELAY);
    expect(await devnet.provider.getTransactionCount(anyone.address)).to.equal(nonce);
    expect((await owners(devnet)).staking![1]).to.equal(devnet.timelock);
  });

  it("after the delay anyone runs it: the timelock owns everything, nothing is pending; a second run is refused", async function () {
    await rpc(devnet.url, "evm_increaseTime", [DELAY + 1]);
    await rpc(devnet.url, "evm_mine", []);
    const cli = cliOf(devnet, dir);
    const run = await cli(["governance", "accept"], anyone.privateKey);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.contain("hand-over done");
    for (const [name, [owner, pending]] of Object.entries(await owners(devnet))) {
      expect(owner, name).to.equal(devnet.timelock);
      expect(pending, name).to.equal(ZeroAddress);
    }
    // The deployer lost every power it had while wiring.
    const asDeployer = governed(devnet).coordinator!.connect(devAccount(0, devnet.provider)) as Contract;
    let refused = "";
    try {
      await (await asDeployer.getFunction("setCallbackGasCap")(1)).wait();
    } catch (e) {
      refused = String((e as Error).message);
    }
    expect(refused).to.not.equal("");

    const again = await cli(["--json", "governance", "accept"], anyone.privateKey);
    expect(again.code).to.equal(1);
    expect((JSON.parse(again.stderr) as { error: { code: string } }).error.code).to.equal("HANDOVER_DONE");
  });
});

describe("devnet: the deployment ends with the timelock owning every governed contract", function () {
  let devnet: Devnet;
  before(async function () {
    devnet = await startDevnet({ operators: 1 });
  });
  after(async function () {
    await devnet?.stop();
  });

  it("owner() is the timelock and pendingOwner() is zero everywhere", async function () {
    for (const [name, [owner, pending]] of Object.entries(await owners(devnet))) {
      expect(owner, name).to.equal(devnet.timelock);
      expect(pending, name).to.equal(ZeroAddress);
    }
    const court = RefereeCourt__factory.connect(
      String(await governed(devnet).disputes!.getFunction("court")()),
      devnet.provider,
    );
    expect(await court.owner()).to.equal(devnet.timelock);
    expect(await court.pendingOwner()).to.equal(ZeroAddress);
    const run = await cliOf(devnet, process.cwd())(["--json", "governance", "status"]);
    expect(run.code, run.stderr).to.equal(0);
    expect((JSON.parse(run.stdout) as { state: string }).state).to.equal("done");
  });

  it("the explorer's Power page names the timelock, behind its delay, as the one owner of each contract", async function () {
    const court = String(await governed(devnet).disputes!.getFunction("court")());
    const live = new LiveChain(devnet.provider, { ...devnet.addresses, refereeCourt: court });
    const rows = await live.power(() => new Map());
    const owners = rows.filter((r) => r.role === "owner (Ownable2Step)");
    expect(owners.map((r) => r.contract).sort()).to.deep.equal(
      ["Coordinator", "Disputes", "ModelRegistry", "RefereeCourt", "Staking"].sort(),
    );
    for (const r of owners) {
      expect(
        r.holders.map((h) => getAddress(h)),
        r.contract,
      ).to.deep.equal([devnet.timelock]);
      expect(r.delay, r.contract).to.equal("60 s timelock (TimelockController.getMinDelay)");
    }
  });
});
