/**
 * Prepares a running node for the examples (run by test/examples/examples.test.ts, not by users):
 *
 *   ROAMLEDGER_LOCAL_RPC=http://127.0.0.1:<port> EXAMPLES_DEPLOYMENTS_DIR=<dir> \
 *     npx hardhat run --no-compile --network localhost test/examples/setup.ts
 *
 * Deploys the suite with the Ignition module and `deploy/parameters/localhost.json` (the node's account 7 holds every
 * role, the governor without delay; the deployer, account 0, holds none), recording the deployment under
 * `<dir>/<deployment id>/deployed_addresses.json` (the chain's default id, `deploymentIdOf` of its chain id and
 * genesis hash, as `roamledger deploy` uses) instead of deploy/deployments; registers alpha (DEUD1, admin account 1)
 * and beta (GBRCN, admin account 2); allows a mock USDC in the vault and deposits 500 USDC for each; alpha issues a
 * data capacity class and mints 100 units. Prints one line `EXAMPLES_SETUP <json>`.
 */
import hre, { ethers, ignition } from "hardhat";
import { readFileSync } from "node:fs";
import path from "node:path";

import RoamLedgerModule from "../../deploy/modules/RoamLedger";
import "../helpers/ignition-cache"; // each build-info file read once, not once per contract
import {
  CapacityClient,
  CapacityKind,
  deploymentIdOf,
  emptySlice,
  emptySpectrum,
  encodeLabel,
  RegistryClient,
  VaultClient,
} from "../../sdk/src";

const USDC = 1_000_000n;
const DAY = 24n * 60n * 60n;

async function main(): Promise<void> {
  const dir = process.env.EXAMPLES_DEPLOYMENTS_DIR;
  if (dir === undefined || dir === "") throw new Error("set EXAMPLES_DEPLOYMENTS_DIR");
  if (hre.network.name !== "localhost") throw new Error("run with --network localhost");
  // Ignition writes <paths.ignition>/deployments/<id>: point it away from the repository's deploy/.
  hre.config.paths.ignition = path.dirname(path.resolve(dir));
  if (path.basename(dir) !== "deployments") throw new Error("EXAMPLES_DEPLOYMENTS_DIR must end with /deployments");

  const [, alice, bob] = await ethers.getSigners();
  const parameters = JSON.parse(
    readFileSync(path.join(__dirname, "..", "..", "deploy", "parameters", "localhost.json"), "utf8"),
  ) as { RoamLedger: Record<string, string | number> };
  // The local consortium account: registrar and governor (without delay) on a local node.
  const consortium = await ethers.getSigner(parameters.RoamLedger.registrar as string);
  const genesis = await ethers.provider.getBlock(0);
  const deploymentId = deploymentIdOf({
    chainId: (await ethers.provider.getNetwork()).chainId,
    genesisHash: genesis!.hash!,
  });
  const deployed = await ignition.deploy(RoamLedgerModule, {
    parameters,
    deploymentId,
    // The node mines each transaction at once: poll for receipts often (Ignition's default is every second).
    config: { blockPollingInterval: 25, requiredConfirmations: 1 },
    displayUi: false,
  });
  const at = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const registry = new RegistryClient(await at(deployed.registry), consortium);
  const vaultAddress = await at(deployed.vault);

  const operators: [string, typeof alice][] = [
    ["DEUD1", alice],
    ["GBRCN", bob],
  ];
  for (const [tadig, admin] of operators) {
    await registry.register({
      tadigs: [tadig],
      admin: admin.address,
      payout: admin.address,
      signers: [ethers.Wallet.createRandom().address],
      metadataURI: `ipfs://${tadig}`,
    });
  }

  const usdc = await ethers.deployContract("MockStablecoin", ["USD Coin", "USDC", 6]);
  const token = await usdc.getAddress();
  // The governor has no delay here: the restricted call goes through directly.
  await (await deployed.vault.connect(consortium).getFunction("allowToken")(token, 7n * DAY)).wait();
  for (const [i, admin] of [alice, bob].entries()) {
    await (await usdc.getFunction("mint")(admin.address, 1_000n * USDC)).wait();
    const vault = new VaultClient(vaultAddress, admin);
    await vault.deposit(BigInt(i + 1), token, 500n * USDC, { approve: "exact" });
  }

  const capacity = new CapacityClient(await at(deployed.capacity), alice);
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const { classId } = await capacity.createClass({
    issuerId: 1n,
    kind: CapacityKind.Data,
    unit: encodeLabel("GB"),
    validFrom: now + DAY,
    validUntil: now + 31n * DAY,
    maxSupply: 1_000n,
    region: encodeLabel("DEUD1", "region"),
    salt: ethers.ZeroHash,
    slice: emptySlice(),
    spectrum: emptySpectrum(),
  });
  await capacity.mint(classId, alice.address, 100n);

  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const result = { chainId, deploymentId, token, classId: classId.toString(), alice: alice.address, bob: bob.address };
  console.log(`EXAMPLES_SETUP ${JSON.stringify(result)}`);
}

// `hardhat test` loads every file under test/: run only when executed as a script (`hardhat run` forks a process).
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
