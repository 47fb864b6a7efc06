import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { ACCEPT_OWNERSHIP, HANDOVER_PREDECESSOR, HANDOVER_SALT } from "./handover.js";

/**
 * Deploys the whole protocol: OPG, the governance timelock, staking, the model registry and the request
 * coordinator, wires them together, then hands every governed contract to the timelock. One access model:
 * every governed contract is Ownable2Step. Disputes and RefereeCourt are built owned by the timelock; the
 * deployer owns the coordinator, staking and the registry while it wires them, then calls
 * `transferOwnership(timelock)` on each and schedules ONE timelock batch of their `acceptOwnership()` calls
 * (deploy/handover.ts). After the delay anyone executes it: `verdict governance accept` (devnets skip the
 * delay and execute it at once, scripts/lib/devnet.ts).
 *
 * Parameters (ignition/parameters.json or `--parameters`):
 * - supply: OPG fixed supply in wei (default 1e9 OPG), minted to the deployer.
 * - timelockDelay: seconds every parameter change waits (default 2 days).
 * - treasury: receives the treasury cut (default: the deployer).
 * - randomness: the IRandomnessSource of operator draws (default address(0): the built-in block-hash source).
 * - callbackGasPrice: gwei of OPG per gas of a request's callback that its fee must cover (default 10).
 */
export default buildModule("Verdict", (m) => {
  const deployer = m.getAccount(0);
  const supply = m.getParameter("supply", 1_000_000_000n * 10n ** 18n);
  const timelockDelay = m.getParameter("timelockDelay", 2 * 24 * 3600);
  const treasury = m.getParameter("treasury", deployer);
  // OPG (in gwei) charged per gas of a request's callback, so an answering operator never pays for it
  // (issue 15.9). Governed afterwards through the timelock; devnets use a low price.
  const callbackGasPrice = m.getParameter("callbackGasPrice", 10);

  const token = m.contract("OPGToken", [deployer, supply]);
  // Proposer: the deployer (hand it to a multisig later); executor: anyone, once the delay has passed.
  const timelock = m.contract("TimelockController", [
    timelockDelay,
    [deployer],
    ["0x0000000000000000000000000000000000000000"],
    "0x0000000000000000000000000000000000000000",
  ]);
  const staking = m.contract("Staking", [token, deployer]);
  const registry = m.contract("ModelRegistry", []);
  const agreementChecker = m.contract("AgreementChecker", []);
  // Operator draws: address(0) is the coordinator's built-in block-hash source (BlockhashRandomness's rule without
  // two external calls per request): right for a local chain and, with its proposer caveat, L1. A deployment on a
  // rollup passes its VRF or beacon adapter (docs/threat-model.md, "Selection nobody can steer").
  const randomness = m.getParameter("randomness", "0x0000000000000000000000000000000000000000");
  const coordinator = m.contract("Coordinator", [
    token,
    staking,
    registry,
    agreementChecker,
    deployer,
    treasury,
    randomness,
  ]);

  const wireFees = m.call(staking, "setFeeSource", [coordinator]);
  // The coordinator keeps a copy of each model's terms; the registry tells it about every change.
  const listener = m.call(registry, "setTermsListener", [coordinator]);

  // Disputes (docs/disputes.md): owned by the timelock from construction, which is also the arbiter.
  // Referees count only once the timelock admits them (RefereeCourt); juries are drawn from the randomness
  // source (the local default: BlockhashRandomness).
  const refereeCourt = m.contract("RefereeCourt", [registry, timelock]);
  const juryRandomness = m.contract("BlockhashRandomness", [], { id: "JuryRandomness" });
  const juryLib = m.library("JuryLib");
  const disputes = m.contract(
    "Disputes",
    [token, coordinator, staking, refereeCourt, agreementChecker, timelock, timelock, juryRandomness],
    { libraries: { JuryLib: juryLib } },
  );
  const disputeHook = m.call(coordinator, "setDisputeHook", [disputes]);
  // The two slashers are fixed here, once: no role can add or replace one later (governance never takes stake).
  const slashers = m.call(staking, "setSlashers", [coordinator, disputes]);
  // A 1-wei float: the contract's token balance never returns to zero, so a bond never pays for a fresh slot.
  m.call(token, "transfer", [disputes, 1n], { id: "disputesFloat" });

  const callbackPrice = m.call(coordinator, "setCallbackGasPrice", [callbackGasPrice], {
    after: [disputeHook],
  });

  // Hand-over, once everything is wired: the timelock becomes the pending owner of each contract the
  // deployer wired, and one timelock batch (deploy/handover.ts: same targets, payloads and salt) accepts all
  // three after the delay. Until it runs the deployer still owns them, with nothing left to wire.
  const pending = [
    m.call(coordinator, "transferOwnership", [timelock], { after: [disputeHook, callbackPrice] }),
    m.call(staking, "transferOwnership", [timelock], { after: [wireFees, slashers] }),
    m.call(registry, "transferOwnership", [timelock], { after: [listener] }),
  ];
  m.call(
    timelock,
    "scheduleBatch",
    [
      [coordinator, staking, registry],
      [0n, 0n, 0n],
      [ACCEPT_OWNERSHIP, ACCEPT_OWNERSHIP, ACCEPT_OWNERSHIP],
      HANDOVER_PREDECESSOR,
      HANDOVER_SALT,
      timelockDelay,
    ],
    { id: "scheduleHandover", after: pending },
  );

  return { token, timelock, staking, registry, agreementChecker, coordinator, disputes, refereeCourt };
});
