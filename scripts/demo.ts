/**
 * The main job (`npm run demo`): runs RoamLedger on the embedded Hardhat network and prints what it did.
 *
 * Today (issue 2) it deploys the suite through the Ignition module, onboards six operators of a fictional
 * consortium (one of them a small community network), shows an operator managing its own keys, and shows the
 * governance brake: the pauser suspends a member at once, and the governor reinstates it only after its execution
 * delay. Later issues extend it with agreements, clearing, netting and the capacity market.
 */
import hre, { ethers, ignition } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TransactionReceipt } from "ethers";

import RoamLedgerModule from "../deploy/modules/RoamLedger";
import { DEFAULT_GOVERNOR_DELAY, RegistryClient, Roles } from "../sdk/src";

/** The fictional consortium: TADIG codes follow the GSMA format (ISO alpha-3 country + 2 characters). */
const MEMBERS = [
  { name: "Nordwind Mobil", tadigs: ["DEUNW", "DEUN2"], country: "Germany" },
  { name: "Albion Telecom", tadigs: ["GBRAT"], country: "United Kingdom" },
  { name: "Iberia Movil", tadigs: ["ESPIM"], country: "Spain" },
  { name: "Kilima Networks", tadigs: ["KENKL"], country: "Kenya" },
  { name: "Pampa Celular", tadigs: ["ARGPC"], country: "Argentina" },
  { name: "Valley Community Net", tadigs: ["USAV1"], country: "United States", community: true },
] as const;

const gasLog: { operation: string; gas: bigint }[] = [];

function logGas(operation: string, receipt: TransactionReceipt | null): void {
  if (receipt === null) throw new Error(`${operation}: not mined`);
  gasLog.push({ operation, gas: receipt.gasUsed });
}

function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

async function main(): Promise<void> {
  const started = Date.now();
  const signers = await ethers.getSigners();
  const [admin, governor, registrar, pauser, arbiter] = signers;
  const operatorAdmins: HardhatEthersSigner[] = signers.slice(5, 5 + MEMBERS.length);
  const network = await ethers.provider.getNetwork();

  console.log(`RoamLedger demo on the embedded Hardhat network (chain id ${network.chainId})\n`);

  // 1. Deploy the suite through the same Ignition module an operator uses for a real network.
  const { manager, registry } = await ignition.deploy(RoamLedgerModule, {
    parameters: {
      RoamLedger: {
        governor: governor.address,
        registrar: registrar.address,
        pauser: pauser.address,
        arbiter: arbiter.address,
        governorDelay: DEFAULT_GOVERNOR_DELAY,
      },
    },
  });
  const managerAddress = await manager.getAddress();
  const registryAddress = await registry.getAddress();
  console.log("1. Deployed through deploy/modules/RoamLedger.ts");
  console.log(`   RoamLedgerManager (AccessManager) ${managerAddress}`);
  console.log(`   OperatorRegistry                  ${registryAddress}`);
  console.log(
    `   roles: admin ${short(admin.address)}, governor ${short(governor.address)} (delay ` +
      `${DEFAULT_GOVERNOR_DELAY / 3600} h), registrar ${short(registrar.address)}, pauser ${short(pauser.address)}, ` +
      `arbiter ${short(arbiter.address)}\n`,
  );

  // 2. The registrar onboards six operators through the SDK client; each gets its own admin and a signer key.
  const asRegistrar = new RegistryClient(registryAddress, registrar);
  const signerKeys = MEMBERS.map(() => ethers.Wallet.createRandom());
  console.log("2. Onboarding six operators (registrar, through the SDK's RegistryClient)");
  for (const [i, member] of MEMBERS.entries()) {
    const { operatorId, receipt } = await asRegistrar.register({
      tadigs: member.tadigs,
      admin: operatorAdmins[i].address,
      payout: operatorAdmins[i].address,
      signers: [signerKeys[i].address],
      metadataURI: `data:application/json,{"name":"${member.name}","country":"${member.country}"}`,
    });
    logGas(`registerOperator (${member.tadigs.length} TADIG${member.tadigs.length > 1 ? "s" : ""}, 1 key)`, receipt);
    const kind = "community" in member ? " (community network)" : "";
    console.log(`   #${operatorId} ${member.name}${kind}: ${member.tadigs.join(", ")}`);
  }

  // 3. An operator manages its own keys: Albion rotates its signer key without asking anyone.
  const albion = new RegistryClient(registryAddress, operatorAdmins[1]);
  const newKey = ethers.Wallet.createRandom();
  logGas("rotateSigner", await albion.rotateSigner(2, signerKeys[1].address, newKey.address));
  console.log(
    `\n3. Albion Telecom rotated its signer key: ${short(signerKeys[1].address)} -> ${short(newKey.address)}`,
  );
  console.log(
    `   old key still signs for Albion? ${await albion.isSigner(2, signerKeys[1].address)}; ` +
      `new key? ${await albion.isSigner(2, newKey.address)}`,
  );

  // 4. Governance: the pauser suspends a member at once; reinstating it takes the governor's delay.
  const reason = ethers.id("demo: suspected IRSF traffic, case 2026-11-001");
  const asPauser = new RegistryClient(registryAddress, pauser);
  logGas("suspendOperator", await asPauser.suspendOperator(5, reason));
  console.log(`\n4. The pauser suspended #5 Pampa Celular at once (status: ${(await asPauser.getOperator(5)).status})`);
  const data = asPauser.build.reinstateOperator(5, reason).data;
  const managerAsGovernor = manager.connect(governor) as typeof manager;
  logGas(
    "AccessManager.schedule (reinstate)",
    await (await managerAsGovernor.schedule(registryAddress, data, 0)).wait(),
  );
  const directTry = await asPauser
    .connect(governor)
    .reinstateOperator(5, reason)
    .then(
      () => "accepted",
      (err: Error) => `refused: ${err.message}`,
    );
  console.log(`   governor scheduled the reinstatement; executing it before the delay is ${directTry}`);
  await hre.network.provider.send("evm_increaseTime", [DEFAULT_GOVERNOR_DELAY]);
  logGas("AccessManager.execute (reinstate)", await (await managerAsGovernor.execute(registryAddress, data)).wait());
  console.log(
    `   ${DEFAULT_GOVERNOR_DELAY / 3600} h later the governor executed it (status: ${(await asPauser.getOperator(5)).status})`,
  );

  // 5. What the registry now holds, read back page by page as any indexer or member would.
  const reader = new RegistryClient(registryAddress, ethers.provider);
  const operators = await reader.listAll({ pageSize: 4 });
  console.log("\n5. The registry");
  console.log("   id  TADIGs        status     admin          keys  metadata");
  for (const op of operators) {
    console.log(
      `   ${String(op.id).padEnd(3)} ${op.tadigs.join(",").padEnd(13)} ${op.status.padEnd(10)} ` +
        `${short(op.admin).padEnd(14)} ${String(op.activeSigners).padEnd(5)} ${op.metadataURI.slice(0, 48)}`,
    );
  }
  const community = await reader.findByTadig("USAV1");
  console.log(`   lookup by TADIG USAV1 -> #${community?.id} (${community?.status})`);
  const [isRegistrar] = await manager.hasRole(Roles.REGISTRAR, registrar.address);
  console.log(`   registrar role held by ${short(registrar.address)}: ${isRegistrar}`);

  console.log("\n6. Gas per operation");
  for (const { operation, gas } of gasLog) console.log(`   ${operation.padEnd(40)} ${gas.toLocaleString("en-US")}`);
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
