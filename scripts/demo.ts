/**
 * The main job (`npm run demo`): runs RoamLedger on the embedded Hardhat network and prints what it did.
 *
 * It deploys the suite through the Ignition module, onboards six operators of a fictional consortium (one of them a
 * small community network), shows an operator managing its own keys and the governance brake (the pauser suspends a
 * member at once; the governor reinstates it only after its execution delay). Then the roaming month: a standard IOT
 * tariff is published once, bilateral offers are signed and accepted, and an open offer is accepted by the community
 * network in one transaction; a month of usage is rated with the SDK's exact rating engine (the same arithmetic as
 * the contracts); members prefund the settlement vault with EIP-2612 permits; the charges become obligations, the
 * cycle closes with multilateral netting, and members withdraw. Usage clearing (batches, disputes, fraud proofs) is
 * issue 5: until it exists, the demo records the month's charges as the clearing contract will, through an account
 * the admin puts on the vault's suite list.
 */
import hre, { ethers, ignition } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TransactionReceipt } from "ethers";

import RoamLedgerModule from "../deploy/modules/RoamLedger";
import {
  AgreementsClient,
  DEFAULT_GOVERNOR_DELAY,
  PlanKind,
  RegistryClient,
  Roles,
  Service,
  documentCommitment,
  randomDocumentId,
  rate,
  unitsToDecimal,
  type AgreementOffer,
  type AgreementTariff,
  type ServicePlan,
} from "../sdk/src";
import { VaultClient } from "../sdk/src/clients/vault";
import { nettingSummary, type NettingObligation } from "../sdk/src/netting";
import type { MockStablecoin } from "../sdk/src/typechain";

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
  const { manager, registry, agreements, vault } = await ignition.deploy(RoamLedgerModule, {
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
  const agreementsAddress = await agreements.getAddress();
  const vaultAddress = await vault.getAddress();
  console.log("1. Deployed through deploy/modules/RoamLedger.ts");
  console.log(`   RoamLedgerManager (AccessManager) ${managerAddress}`);
  console.log(`   OperatorRegistry                  ${registryAddress}`);
  console.log(`   RoamingAgreements                 ${agreementsAddress}`);
  console.log(`   SettlementVault                   ${vaultAddress}`);
  console.log(
    `   roles: admin ${short(admin.address)}, governor ${short(governor.address)} (delay ` +
      `${DEFAULT_GOVERNOR_DELAY / 3600} h), registrar ${short(registrar.address)}, pauser ${short(pauser.address)}, ` +
      `arbiter ${short(arbiter.address)}\n`,
  );

  // 2. The registrar onboards six operators through the SDK client; each gets its own admin and a signer key.
  const asRegistrar = new RegistryClient(registryAddress, registrar);
  const signerKeys = MEMBERS.map(() => ethers.Wallet.createRandom().connect(ethers.provider));
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
  const newKey = ethers.Wallet.createRandom().connect(ethers.provider);
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

  await roamingMonth(manager, agreementsAddress, vaultAddress, operatorAdmins, signerKeys, newKey);

  // 9. What the registry now holds, read back page by page as any indexer or member would.
  const reader = new RegistryClient(registryAddress, ethers.provider);
  const operators = await reader.listAll({ pageSize: 4 });
  console.log("\n9. The registry");
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

  console.log("\n10. Gas per operation");
  for (const { operation, gas } of gasLog) console.log(`   ${operation.padEnd(40)} ${gas.toLocaleString("en-US")}`);
  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

/*//////////////////////////////////////////////////////////////////////////
                               THE ROAMING MONTH
//////////////////////////////////////////////////////////////////////////*/

const WAD = 10n ** 18n;
const DAY = 24 * 60 * 60;
const TOKEN_DECIMALS = 6;
const usd = (whole: bigint) => whole * 10n ** BigInt(TOKEN_DECIMALS);
const show = (units: bigint) => unitsToDecimal(units, TOKEN_DECIMALS);
/** A price in wad from thousandths of a token unit: 50 -> 0.050. */
const milli = (n: bigint) => (n * WAD) / 1000n;

/** The consortium's standard IOT, published once and referenced by every agreement of the demo. */
const STANDARD_IOT: ServicePlan[] = [
  {
    service: Service.VoiceMO,
    kind: PlanKind.Threshold,
    increment: 60,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli(50n) }], // 0.050 per minute
    unbalancedTiers: [],
  },
  {
    service: Service.VoiceMT,
    kind: PlanKind.Threshold,
    increment: 60,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli(10n) }], // 0.010 per minute
    unbalancedTiers: [],
  },
  {
    service: Service.SmsMO,
    kind: PlanKind.Threshold,
    increment: 1,
    tiers: [{ start: 0n, fixedPrice: 0n, linearPrice: milli(10n) }], // 0.010 per SMS
    unbalancedTiers: [],
  },
  {
    service: Service.Data,
    kind: PlanKind.Threshold,
    increment: 1024,
    // 0.0020 per MB up to 100 GB, then 0.0010 per MB
    tiers: [
      { start: 0n, fixedPrice: 0n, linearPrice: (2n * WAD) / 1000n },
      { start: 100_000_000_000n, fixedPrice: 0n, linearPrice: WAD / 1000n },
    ],
    unbalancedTiers: [],
  },
];

/** Deterministic pseudo-random usage (a 64-bit LCG), so every run prints the same month. */
function usageGenerator(seed: bigint) {
  let state = seed;
  return (max: bigint) => {
    state = (state * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
    return (state >> 16n) % max;
  };
}

interface Charge {
  agreement: string;
  label: string;
  vpmn: number;
  hpmn: number;
  amount: bigint;
}

async function roamingMonth(
  manager: { connect(signer: HardhatEthersSigner): unknown; getAddress(): Promise<string> },
  agreementsAddress: string,
  vaultAddress: string,
  admins: HardhatEthersSigner[],
  keys: { address: string; signTypedData: HardhatEthersSigner["signTypedData"] }[],
  albionKey: { address: string; signTypedData: HardhatEthersSigner["signTypedData"] },
): Promise<void> {
  const signers = await ethers.getSigners();
  const [admin, governor] = signers;
  const clearing = signers[19];
  const name = (id: number) => MEMBERS[id - 1].name;

  // 5. The settlement token: allowed by the governor (after its delay), weekly cycles.
  const token = (await ethers.deployContract("MockStablecoin", [
    "Demo USD",
    "dUSD",
    TOKEN_DECIMALS,
  ])) as unknown as MockStablecoin;
  const tokenAddress = await token.getAddress();
  const vault = new VaultClient(vaultAddress, admin);
  const allow = vault.build.allowToken(tokenAddress, 7 * DAY).data;
  const managerAsGovernor = manager.connect(governor) as {
    schedule(target: string, data: string, when: number): Promise<{ wait(): Promise<TransactionReceipt | null> }>;
    execute(target: string, data: string): Promise<{ wait(): Promise<TransactionReceipt | null> }>;
  };
  await (await managerAsGovernor.schedule(vaultAddress, allow, 0)).wait();
  await hre.network.provider.send("evm_increaseTime", [DEFAULT_GOVERNOR_DELAY]);
  await (await managerAsGovernor.execute(vaultAddress, allow)).wait();
  for (const a of admins) await token.mint(a.address, usd(100_000n));
  console.log(
    `\n5. Settlement token dUSD (${TOKEN_DECIMALS} decimals) allowed in the vault by the governor, weekly cycles`,
  );

  // 6. One standard IOT tariff, then agreements: bilateral offers and an open offer for any member.
  const agreements = new AgreementsClient(agreementsAddress, admins[0]);
  const tariff: AgreementTariff = {
    plans: STANDARD_IOT.map((p) => ({ ...p, tiers: [...p.tiers], unbalancedTiers: [...p.unbalancedTiers] })),
  };
  const published = await agreements.publishTariff(tariff);
  logGas("publishTariff (4 services)", published.receipt);
  const tariffId = published.tariffId;
  console.log(`\n6. Standard IOT tariff published once: ${tariffId.slice(0, 18)}… (id = keccak256 of its encoding)`);

  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const terms = (proposer: number, document: string) => ({
    proposer,
    token: tokenAddress,
    validFrom: now,
    validUntil: now + BigInt(365 * DAY),
    periodLength: 30 * DAY,
    disputeWindow: 3 * DAY,
    submissionGrace: 7 * DAY,
    noticePeriod: 30 * DAY,
    baseTariff: [tariffId, tariffId] as [string, string],
    discountTariff: [ethers.ZeroHash, ethers.ZeroHash] as [string, string],
    conditions: [
      { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
      { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
    ] as AgreementOffer["terms"]["conditions"],
    documentCommitment: documentCommitment(ethers.id(document), randomDocumentId()),
  });
  const deals: { proposer: number; acceptor: number; key: (typeof keys)[number]; open: boolean }[] = [
    { proposer: 1, acceptor: 2, key: keys[0], open: false }, // Nordwind -> Albion
    { proposer: 3, acceptor: 1, key: keys[2], open: false }, // Iberia -> Nordwind
    { proposer: 2, acceptor: 4, key: albionKey, open: false }, // Albion (its rotated key) -> Kilima
    { proposer: 1, acceptor: 6, key: keys[0], open: true }, // Nordwind's open offer, accepted by the community network
    { proposer: 1, acceptor: 5, key: keys[0], open: true }, // ... and by Pampa Celular
  ];
  const openOffer: AgreementOffer = {
    terms: terms(1, "Nordwind Mobil standard roaming offer, 2026 edition"),
    counterparty: 0,
    expiry: now + BigInt(30 * DAY),
    nonce: 1n,
  };
  const openSignature = await agreements.signOffer(keys[0], openOffer);
  const created: { id: string; proposer: number; acceptor: number }[] = [];
  for (const deal of deals) {
    const offer: AgreementOffer = deal.open
      ? openOffer
      : {
          terms: terms(deal.proposer, `${name(deal.proposer)} - ${name(deal.acceptor)} roaming agreement`),
          counterparty: deal.acceptor,
          expiry: now + BigInt(7 * DAY),
          nonce: BigInt(deal.acceptor),
        };
    const signature = deal.open ? openSignature : await agreements.signOffer(deal.key, offer);
    const { agreementId, receipt } = await agreements.connect(admins[deal.acceptor - 1]).acceptOffer(offer, signature);
    logGas(`acceptOffer (${deal.open ? "open" : "bilateral"})`, receipt);
    created.push({ id: agreementId, proposer: deal.proposer, acceptor: deal.acceptor });
    console.log(
      `   ${name(deal.acceptor)} accepted ${deal.open ? "the open offer" : "the offer"} of ${name(deal.proposer)}` +
        ` in one transaction: agreement ${agreementId.slice(0, 12)}…`,
    );
  }

  // 7. A month of usage, rated per agreement and direction with the SDK's engine (identical to Rating.sol).
  const next = usageGenerator(20261126n);
  const charges: Charge[] = [];
  console.log("\n7. A month of usage, rated with the exact engine (one rounding per service and direction)");
  console.log(
    "   agreement                         VPMN (charges) <- HPMN (pays)        voice min   SMS    data GB   charge dUSD",
  );
  for (const a of created) {
    for (const [vpmn, hpmn] of [
      [a.proposer, a.acceptor],
      [a.acceptor, a.proposer],
    ]) {
      const community = vpmn === 6 || hpmn === 6;
      const scale = community ? 20n : 1n; // the community network's traffic is small
      const volumes = new Map<number, bigint>([
        [Service.VoiceMO, (next(400_000n) * 60n) / scale], // seconds, already whole minutes
        [Service.VoiceMT, (next(200_000n) * 60n) / scale],
        [Service.SmsMO, next(300_000n) / scale],
        [Service.Data, (next(150n) * 1_000_000_000n + next(1_000_000_000n)) / scale], // bytes
      ]);
      let amount = 0n;
      for (const plan of STANDARD_IOT) amount += rate(plan, volumes.get(plan.service) ?? 0n, 0n, TOKEN_DECIMALS);
      const label = `${name(a.proposer).split(" ")[0]}/${name(a.acceptor).split(" ")[0]}`;
      charges.push({ agreement: a.id, label, vpmn, hpmn, amount });
      console.log(
        `   ${label.padEnd(33)} ${name(vpmn).padEnd(20)} <- ${name(hpmn).padEnd(20)}` +
          `${String(volumes.get(Service.VoiceMO)! / 60n).padStart(7)} ${String(volumes.get(Service.SmsMO)).padStart(7)}` +
          ` ${(Number(volumes.get(Service.Data)! / 10_000_000n) / 100).toFixed(2).padStart(8)} ${show(amount).padStart(13)}`,
      );
    }
  }

  // 8. Settlement: prefunded escrow, obligations netted in the weekly cycle, withdrawals.
  console.log("\n8. Settlement through the vault");
  const deposits = [40_000n, 40_000n, 40_000n, 20_000n, 20_000n, 150n]; // the community network prefunds little
  for (const [i, a] of admins.entries()) {
    const receipt = await vault.connect(a).depositWithPermit(i + 1, tokenAddress, usd(deposits[i]));
    logGas("depositWithPermit", receipt);
  }
  console.log(
    `   members prefunded the vault with EIP-2612 permits (no approval transaction): ${deposits.join(", ")} dUSD`,
  );
  const vaultContract = vault.contract.connect(admin);
  await (await vaultContract.setSuiteContract(clearing.address, true)).wait();
  const asClearing = vault.contract.connect(clearing);
  const applied: NettingObligation[] = [];
  let queued = 0;
  for (const c of charges) {
    const ref = ethers.solidityPackedKeccak256(["bytes32", "uint32", "uint32"], [c.agreement, c.vpmn, 0]);
    const receipt = await (await asClearing.recordObligation(c.hpmn, c.vpmn, tokenAddress, c.amount, ref)).wait();
    logGas("recordObligation (first between the pair)", receipt);
    const wasApplied = receipt!.logs.some((l) => vaultContract.interface.parseLog(l)?.name === "ObligationApplied");
    if (wasApplied) applied.push({ payer: c.hpmn, payee: c.vpmn, amount: c.amount });
    else queued++;
  }
  console.log(
    `   the month's ${charges.length} charges became obligations: ${applied.length} applied, ${queued} queued (awaiting funds)`,
  );
  if (queued > 0) {
    const queue = await vault.queueLength(6, tokenAddress);
    console.log(`   ${name(6)} has ${queue} obligation(s) waiting; it tops up and anyone processes its queue:`);
    await vault.connect(admins[5]).depositWithPermit(6, tokenAddress, usd(2_000n));
    deposits[5] += 2_000n;
    const before = applied.length;
    const waiting = await vault.allQueuedObligations(6, tokenAddress);
    const result = await vault.connect(admin).processQueue(6, tokenAddress, 10);
    for (const w of waiting.slice(0, Number(result.applied)))
      applied.push({ payer: 6, payee: w.payee, amount: w.amount });
    console.log(`   processQueue applied ${applied.length - before}; nothing was ever applied in part`);
  }

  await hre.network.provider.send("evm_increaseTime", [7 * DAY]);
  const close = await vault.connect(signers[10]).closeCycle(tokenAddress);
  logGas("closeCycle (anyone, O(1))", close);
  const summary = nettingSummary(applied);
  const st = summary.stats;
  console.log(
    `   after 7 days anyone closed the cycle (${close.gasUsed.toLocaleString("en-US")} gas, the same for 3 or 300 members)`,
  );
  console.log(
    `   gross: ${st.grossTransfers} bilateral payments, ${show(st.grossTotal)} dUSD; ` +
      `bilateral netting: ${st.bilateralNetTransfers} payments, ${show(st.bilateralNetTotal)} dUSD; ` +
      `multilateral netting: ${st.netTransfers} payments, ${show(st.netTotal)} dUSD`,
  );
  console.log(
    `   payments avoided by netting: ${st.grossTransfers - st.netTransfers} of ${st.grossTransfers}; ` +
      `money moved: ${(Number((st.netTotal * 10_000n) / (st.grossTotal === 0n ? 1n : st.grossTotal)) / 100).toFixed(1)}% of gross`,
  );
  console.log("   operator                 owes (gross)     owed (gross)    net position   balance after close");
  for (let id = 1; id <= MEMBERS.length; id++) {
    const owes = applied.filter((o) => Number(o.payer) === id).reduce((t, o) => t + o.amount, 0n);
    const owed = applied.filter((o) => Number(o.payee) === id).reduce((t, o) => t + o.amount, 0n);
    const balance = await vault.balanceOf(id, tokenAddress);
    console.log(
      `   ${name(id).padEnd(22)} ${show(owes).padStart(14)} ${show(owed).padStart(16)} ${show(owed - owes).padStart(15)} ` +
        `${show(balance).padStart(20)}`,
    );
  }
  // Every member withdraws what it is owed above its prefunding: its free balance minus what it deposited.
  let withdrawn = 0n;
  for (let id = 1; id <= MEMBERS.length; id++) {
    const free = await vault.freeBalanceOf(id, tokenAddress);
    const net = free - usd(deposits[id - 1]);
    if (net <= 0n) continue;
    const receipt = await vault.connect(admins[id - 1]).withdraw(id, tokenAddress, net);
    logGas("withdraw", receipt);
    withdrawn += net;
  }
  console.log(
    `   creditors withdrew their net gains to their payout addresses: ${show(withdrawn)} dUSD; ` +
      `usage to settled cash: one 7-day cycle instead of 30-90 days`,
  );
}
