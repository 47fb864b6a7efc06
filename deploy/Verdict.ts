import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id } from "ethers";

/**
 * Deploys the whole protocol: OPG, the governance timelock, staking, the model registry and the request
 * coordinator, wires them together, then hands every governance power to the timelock.
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
  m.call(registry, "setTermsListener", [coordinator]);

  // Disputes (docs/disputes.md): governed by the timelock, which is also the arbiter; wired before hand-over.
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

  // Hand governance to the timelock.
  const adminRole = "0x0000000000000000000000000000000000000000000000000000000000000000";
  const paramsRole = id("PARAMS_ROLE");
  const grantAdmin = m.call(staking, "grantRole", [adminRole, timelock], {
    id: "grantAdminToTimelock",
    after: [wireFees, slashers],
  });
  const grantParams = m.call(staking, "grantRole", [paramsRole, timelock], {
    id: "grantParamsToTimelock",
    after: [grantAdmin],
  });
  const dropParams = m.call(staking, "renounceRole", [paramsRole, deployer], {
    id: "renounceParams",
    after: [grantParams],
  });
  m.call(staking, "renounceRole", [adminRole, deployer], { id: "renounceAdmin", after: [dropParams] });
  const callbackPrice = m.call(coordinator, "setCallbackGasPrice", [callbackGasPrice], {
    after: [disputeHook],
  });
  m.call(coordinator, "transferGovernance", [timelock], { after: [disputeHook, callbackPrice] });

  return { token, timelock, staking, registry, agreementChecker, coordinator, disputes, refereeCourt };
});
