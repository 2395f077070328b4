/**
 * The main job (`npm run demo`): a whole roaming month of a fictional consortium on the embedded Hardhat network,
 * through the deploy module and the SDK, as operators would run it. It prints what happens and writes a report as
 * JSON and as a self-contained HTML page to `reports/demo.json` and `reports/demo.html`.
 *
 * 1. Deploy the suite (Ignition module, production delays): the deployer hands ADMIN to the consortium's account and
 *    holds no role afterwards; onboard six operators, one of them a small community network; the pauser suspends a
 *    member at once and the governor reinstates it after its delay.
 * 2. The governor allows the settlement token (weekly cycles) and a spectrum band plan; members prefund the vault
 *    with EIP-2612 permits.
 * 3. Tariffs are published (a Threshold IOT, an IoT Access tariff, a discount deal); bilateral offers are signed and
 *    accepted; an open offer is accepted by the community network and another member.
 * 4. Four weeks of usage, about 200,000 generated CDRs with injected duplicates, out-of-period records and phantom
 *    subscribers: each visited network ingests its weekly CSV with the SDK, builds the Merkle tree and submits one
 *    batch per direction (the community network through a relayer, with its key's signature). Each home network
 *    reconciles against its subscribers, proves the duplicates and out-of-period records on chain, disputes the
 *    phantoms, settles the held part jointly, and accepts; batches it leaves alone become final when their window
 *    ends. Anyone records final batches in the vault; weekly cycles close with multilateral netting.
 * 5. Real-time vouchers: the community network redeems cumulative vouchers its partner's key signed.
 * 6. At period end the discount deal is settled; a data-capacity token and an exclusive spectrum lease are traded on
 *    the market (vault and direct payment); members withdraw.
 */
import hre, { ethers, ignition } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { TransactionReceipt, Wallet } from "ethers";

import RoamLedgerModule from "../deploy/modules/RoamLedger";
import {
  AgreementsClient,
  buildDisputes,
  buildFraudProofs,
  buildRecordTree,
  CapacityClient,
  CapacityKind,
  ClearingClient,
  DEFAULT_GOVERNOR_DELAY,
  documentCommitment,
  encodeLabel,
  emptySlice,
  emptySpectrum,
  FraudKind,
  ingestCdrs,
  MarketClient,
  nettingSummary,
  PayVia,
  periodSalt,
  randomDocumentId,
  reconcileBatches,
  RegistryClient,
  Roles,
  SettlementClient,
  signBatchHeader,
  signResolution,
  signVoucher,
  spectrumWindow,
  subscriberHash,
  unitsToDecimal,
  VaultClient,
  writeCdrCsv,
  type AgreementOffer,
  type AgreementTerms,
  type BandPlan,
  type BatchHeader,
  type ClassTerms,
  type NettingObligation,
  type Service,
  type Tariff,
} from "../sdk/src";
import type { MockStablecoin, SettlementVault } from "../sdk/src/typechain";
import {
  DEALS,
  DISCOUNT,
  INJECTED,
  IOT_ACCESS,
  MEMBERS,
  onChainTariff,
  STANDARD_IOT,
  TRAFFIC,
  type Deal,
} from "./demo/consortium";
import { distribution, secondsToDays } from "./demo/distribution";
import { formatDecimal, formatUnits } from "./demo/format";
import { writeDemoReport, type DemoReport, type GasFigure } from "./demo/report";
import { cycleStatements, type Movement, type Snapshot } from "./demo/statement";
import { generateCdrs } from "../sdk/src/testing";

/** `ROAMLEDGER_DEMO_SCALE` (default 1) scales the traffic; the test of the demo runs it small. */
const SCALE = Number(process.env.ROAMLEDGER_DEMO_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 10)) throw new Error(`ROAMLEDGER_DEMO_SCALE must be in (0, 10], got ${SCALE}`);
const DAY = 24 * 60 * 60;
const WEEK = 7 * DAY;
const PERIOD = 30 * DAY;
const DECIMALS = 6;
const usd = (whole: bigint) => whole * 10n ** BigInt(DECIMALS);
const show = (units: bigint) => unitsToDecimal(units, DECIMALS);
/** An amount for the console, as the report's page writes it: "12,345.678900". */
const money = (units: bigint) => formatUnits(units, DECIMALS);
const name = (id: number) => MEMBERS[id - 1].name;
const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;
/** Week `w` of the month: days [7w, 7w + 7), the last week running to the period's end (day 30). */
const weekBounds = (validFrom: bigint, w: number): [bigint, bigint] => [
  validFrom + BigInt(w * WEEK),
  w === 3 ? validFrom + BigInt(PERIOD) : validFrom + BigInt((w + 1) * WEEK),
];

/** Gas of every transaction, by operation. */
class GasLog {
  readonly byOperation = new Map<string, number[]>();
  add(operation: string, receipt: TransactionReceipt | null): TransactionReceipt {
    if (receipt === null) throw new Error(`${operation}: not mined`);
    const list = this.byOperation.get(operation) ?? [];
    list.push(Number(receipt.gasUsed));
    this.byOperation.set(operation, list);
    return receipt;
  }
  total(prefix: string): number {
    let sum = 0;
    for (const [op, list] of this.byOperation) if (op.startsWith(prefix)) sum += list.reduce((a, b) => a + b, 0);
    return sum;
  }
  figures(): GasFigure[] {
    return [...this.byOperation].map(([operation, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return {
        operation,
        count: list.length,
        median: sorted[Math.floor((sorted.length - 1) / 2)],
        max: sorted[sorted.length - 1],
        total: list.reduce((a, b) => a + b, 0),
      };
    });
  }
}

const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
async function travelTo(t: bigint): Promise<void> {
  if ((await now()) < t) await hre.network.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
  await hre.network.provider.send("evm_mine", []);
}

interface Lane {
  deal: Deal;
  agreementId: string;
  terms: AgreementTerms;
  direction: 0 | 1;
  vpmn: number;
  hpmn: number;
  tariff: Tariff;
  secret: string;
  sequence: number;
  /** The home network's subscribers (salted hashes) of the period. */
  home: Set<string>;
}

async function main(): Promise<void> {
  const started = Date.now();
  const signers = await ethers.getSigners();
  const [deployer, governor, registrar, pauser, arbiter] = signers;
  const admin = signers[14]; // the consortium's root account (the deployer renounces ADMIN and keeps no role)
  const admins: HardhatEthersSigner[] = signers.slice(5, 5 + MEMBERS.length);
  const relayer = signers[12];
  const anyone = signers[13];
  const keys: Wallet[] = MEMBERS.map(
    (_, i) => new ethers.Wallet(ethers.id(`demo signer key ${i + 1}`), ethers.provider),
  );
  const gas = new GasLog();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  console.log(`RoamLedger demo: a roaming month on the embedded Hardhat network (chain id ${chainId})\n`);

  // 1. Deploy through the Ignition module an operator uses for a real network.
  const deployed = await ignition.deploy(RoamLedgerModule, {
    parameters: {
      RoamLedger: {
        admin: admin.address,
        governor: governor.address,
        registrar: registrar.address,
        pauser: pauser.address,
        arbiter: arbiter.address,
        governorDelay: DEFAULT_GOVERNOR_DELAY,
      },
    },
  });
  const address = async (c: { getAddress(): Promise<string> }) => c.getAddress();
  const at = {
    manager: await address(deployed.manager),
    registry: await address(deployed.registry),
    agreements: await address(deployed.agreements),
    vault: await address(deployed.vault),
    clearing: await address(deployed.clearing),
    settlement: await address(deployed.settlement),
    capacity: await address(deployed.capacity),
    market: await address(deployed.market),
  };
  console.log("1. Deployed through deploy/modules/RoamLedger.ts (one AccessManager governs every contract)");
  for (const [k, v] of Object.entries(at)) console.log(`   ${k.padEnd(11)} ${v}`);
  const [isAdmin, adminDelay] = await deployed.manager.getFunction("hasRole")(Roles.ADMIN, admin.address);
  const [deployerIsAdmin] = await deployed.manager.getFunction("hasRole")(Roles.ADMIN, deployer.address);
  if (!isAdmin || deployerIsAdmin) throw new Error("the deployment did not hand ADMIN to the consortium");
  console.log(
    `   ADMIN: the consortium's ${short(admin.address)}, each operation ${Number(adminDelay) / DAY} days after it is ` +
      `scheduled; the deployer ${short(deployer.address)} renounced it and holds no role`,
  );

  // Onboarding: the registrar registers six operators, each with its admin account and a signer key.
  const registry = new RegistryClient(at.registry, registrar);
  for (const [i, m] of MEMBERS.entries()) {
    const { operatorId, receipt } = await registry.register({
      tadigs: m.tadigs,
      admin: admins[i].address,
      payout: admins[i].address,
      signers: [keys[i].address],
      metadataURI: `data:application/json,{"name":"${m.name}","country":"${m.country}"}`,
    });
    gas.add("registry.registerOperator", receipt);
    console.log(
      `   operator #${operatorId} ${m.name}${m.community ? " (community network)" : ""}: ${m.tadigs.join(", ")}`,
    );
  }
  // The brake: the pauser suspends a member at once; only the delayed governor reinstates it.
  const manager = deployed.manager.connect(governor) as unknown as {
    schedule(target: string, data: string, when: number): Promise<{ wait(): Promise<TransactionReceipt | null> }>;
    execute(target: string, data: string): Promise<{ wait(): Promise<TransactionReceipt | null> }>;
  };
  const reason = ethers.id("demo: suspected IRSF traffic, case 2026-11-001");
  gas.add("registry.suspendOperator", await registry.connect(pauser).suspendOperator(5, reason));
  const governed: { target: string; data: string }[] = [
    { target: at.registry, data: registry.build.reinstateOperator(5, reason).data },
  ];

  // 2. Governor decisions, scheduled together and executed after the delay: reinstate, allow the token, a band plan.
  const token = (await ethers.deployContract("MockStablecoin", [
    "Demo USD",
    "dUSD",
    DECIMALS,
  ])) as unknown as MockStablecoin;
  const tokenAddress = await token.getAddress();
  const vault = new VaultClient(at.vault, deployer);
  const capacity = new CapacityClient(at.capacity, deployer);
  governed.push({ target: at.vault, data: vault.build.allowToken(tokenAddress, WEEK).data });
  const origin = (await now()) + BigInt(40 * DAY);
  const plan: BandPlan = {
    originKHz: 3_550_000n,
    channelWidthKHz: 5_000n,
    channelCount: 30n,
    slotSeconds: 900n,
    epoch: origin,
    slotCount: 96n * 30n, // 30 days of 15-minute slots
  };
  governed.push({ target: at.capacity, data: capacity.build.createBandPlan(plan).data });
  for (const g of governed) gas.add("manager.schedule", await (await manager.schedule(g.target, g.data, 0)).wait());
  await travelTo((await now()) + BigInt(DEFAULT_GOVERNOR_DELAY));
  for (const g of governed) gas.add("manager.execute", await (await manager.execute(g.target, g.data)).wait());
  console.log(
    `\n2. The pauser suspended #5 at once; ${DEFAULT_GOVERNOR_DELAY / 3600} h later the governor reinstated it, allowed dUSD ` +
      `(weekly cycles) and created a spectrum band plan (3.55 GHz, 30 x 5 MHz, 30 days of 15-minute slots)`,
  );
  for (const [i, m] of MEMBERS.entries()) {
    await token.mint(admins[i].address, usd(m.prefund * 3n));
    gas.add(
      "vault.depositWithPermit",
      await vault.connect(admins[i]).depositWithPermit(i + 1, tokenAddress, usd(m.prefund)),
    );
  }
  console.log(`   members prefunded the vault with EIP-2612 permits: ${MEMBERS.map((m) => m.prefund).join(", ")} dUSD`);

  // 3. Tariffs and agreements.
  const agreements = new AgreementsClient(at.agreements, admins[0]);
  const tariffIds = {
    iot: await publish(agreements, STANDARD_IOT, gas),
    access: await publish(agreements, IOT_ACCESS, gas),
    discount: await publish(agreements, DISCOUNT, gas),
  };
  const validFrom = (await now()) + 60n;
  const zeroCondition = { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 };
  const termsOf = (deal: Deal, proposer: number, document: string): AgreementTerms => ({
    proposer,
    token: tokenAddress,
    validFrom,
    validUntil: validFrom + BigInt(365 * DAY),
    periodLength: PERIOD,
    disputeWindow: 3 * DAY,
    submissionGrace: 7 * DAY,
    noticePeriod: 30 * DAY,
    baseTariff: [tariffIds[deal.base], tariffIds[deal.base]],
    discountTariff: deal.discount ? [tariffIds.discount, tariffIds.discount] : [ethers.ZeroHash, ethers.ZeroHash],
    conditions: [zeroCondition, zeroCondition] as AgreementOffer["terms"]["conditions"],
    documentCommitment: documentCommitment(ethers.id(document), randomDocumentId()),
  });
  console.log("\n3. Tariffs published once (IOT Threshold, IoT Access, a discount deal); agreements:");
  const openOffer: AgreementOffer = {
    terms: termsOf(
      DEALS.find((d) => d.open)!,
      1,
      "Nordwind Mobil standard roaming offer, 2026 edition",
    ),
    counterparty: 0,
    expiry: validFrom + BigInt(30 * DAY),
    nonce: 1n,
  };
  const openSignature = await agreements.signOffer(keys[0], openOffer);
  const lanes: Lane[] = [];
  const agreementRows: DemoReport["agreements"] = [];
  const clearingBy = (id: number) => new ClearingClient(at.clearing, admins[id - 1]);
  for (const deal of DEALS) {
    const label = `${name(deal.proposer)} - ${name(deal.acceptor)}`;
    const offer: AgreementOffer = deal.open
      ? openOffer
      : {
          terms: termsOf(deal, deal.proposer, `${label} roaming agreement`),
          counterparty: deal.acceptor,
          expiry: validFrom + BigInt(7 * DAY),
          nonce: BigInt(deal.acceptor),
        };
    const signature = deal.open ? openSignature : await agreements.signOffer(keys[deal.proposer - 1], offer);
    const { agreementId, receipt } = await agreements.connect(admins[deal.acceptor - 1]).acceptOffer(offer, signature);
    gas.add(`agreements.acceptOffer (${deal.open ? "open" : "bilateral"})`, receipt);
    const tariff = deal.base === "iot" ? STANDARD_IOT : IOT_ACCESS;
    const chainTariff = onChainTariff(tariff);
    gas.add(
      "clearing.enableClearing",
      await clearingBy(deal.proposer).enableClearing(agreementId, offer.terms, [chainTariff, chainTariff]),
    );
    agreementRows.push({ id: agreementId, label, base: deal.base, discount: deal.discount, open: deal.open });
    console.log(
      `   ${label.padEnd(40)} ${deal.open ? "open offer " : "bilateral  "} base ${deal.base.padEnd(6)}` +
        `${deal.discount ? " + discount deal" : ""}  ${agreementId.slice(0, 14)}…`,
    );
    const secret = ethers.id(`shared secret ${agreementId}`);
    for (const direction of [0, 1] as const) {
      // Direction 0: party A (the proposer) is the visited network and charges party B; 1: the reverse.
      const [vpmn, hpmn] = direction === 0 ? [deal.proposer, deal.acceptor] : [deal.acceptor, deal.proposer];
      lanes.push({
        deal,
        agreementId,
        terms: offer.terms,
        direction,
        vpmn,
        hpmn,
        tariff,
        secret,
        sequence: 0,
        home: new Set(),
      });
    }
  }

  // 4. The month: four weekly batches per lane, reconciled and proven by the home networks.
  console.log(
    `\n4. Four weeks of usage on ${lanes.length} lanes (agreement x direction), one batch per lane and week; ` +
      `injected per batch: ${INJECTED.duplicates} duplicates, ${INJECTED.outOfPeriod} out-of-period, ${INJECTED.phantom} phantoms`,
  );
  const stats = {
    records: 0,
    batches: 0,
    duplicates: 0,
    outOfPeriod: 0,
    phantoms: 0,
    removed: 0n,
    waived: 0n,
    charged: 0n,
  };
  const fraudBy = new Map<number, number>();
  const open: { header: BatchHeader; vpmn: number; accepted: boolean; finalAt: bigint }[] = [];
  const batchIds = new Set<string>();
  const settleDelays: bigint[] = [];
  const awaitingClose: bigint[] = [];
  let cycles = 0;
  // The vault's balances at every close, and the block of the close, for the statement per cycle.
  const snapshots: (Snapshot & { block: number })[] = [];
  const balances = async (withOpenPosition: boolean) =>
    new Map(
      await Promise.all(
        MEMBERS.map(async (_, i): Promise<[number, bigint]> => {
          const balance = await vault.balanceOf(i + 1, tokenAddress);
          return [i + 1, balance + (withOpenPosition ? await vault.openPositionOf(i + 1, tokenAddress) : 0n)];
        }),
      ),
    );
  const closeDueCycles = async () => {
    while ((await now()) >= (await vault.tokenConfig(tokenAddress)).openEnd) {
      const closed = gas.add("vault.closeCycle", await vault.connect(anyone).closeCycle(tokenAddress));
      cycles++;
      const t = await now();
      for (const end of awaitingClose.splice(0)) settleDelays.push(t - end);
      const closedAt = new Date(Number(t) * 1000).toISOString();
      snapshots.push({ cycle: cycles, closedAt, block: closed.blockNumber, balances: await balances(false) });
    }
  };
  for (let week = 0; week < 4; week++) {
    const [start, end] = weekBounds(validFrom, week);
    await travelTo(end + 3_600n);
    const weekStats = { records: 0, proven: 0, disputed: 0 };
    for (const lane of lanes) {
      const result = await clearWeek(lane, week, start, end, at.clearing, admins, keys, relayer, gas);
      weekStats.records += result.records;
      weekStats.proven += result.duplicates + result.outOfPeriod;
      weekStats.disputed += result.phantoms;
      stats.records += result.records;
      stats.batches++;
      stats.duplicates += result.duplicates;
      stats.outOfPeriod += result.outOfPeriod;
      stats.phantoms += result.phantoms;
      stats.removed += result.removed;
      stats.waived += result.waived;
      fraudBy.set(lane.vpmn, (fraudBy.get(lane.vpmn) ?? 0) + result.duplicates + result.outOfPeriod);
      open.push({ header: result.header, vpmn: lane.vpmn, accepted: result.accepted, finalAt: result.finalAt });
      batchIds.add(result.batchId);
    }
    // Accepted batches are final at once: anyone records them in the vault now.
    for (const b of open.filter((x) => x.accepted)) {
      gas.add("clearing.finalize (accepted)", await new ClearingClient(at.clearing, anyone).finalize(b.header));
      awaitingClose.push(BigInt(b.header.periodEnd));
    }
    console.log(
      `   week ${week + 1}: ${weekStats.records.toLocaleString("en-US")} records in ${lanes.length} batches; ` +
        `${weekStats.proven} records proven fraudulent, ${weekStats.disputed} disputed and waived jointly`,
    );
    // The others become final when their 3-day window ends, without anyone acting; then anyone records them.
    await travelTo(open.reduce((latest, b) => (b.finalAt > latest ? b.finalAt : latest), 0n));
    for (const b of open.filter((x) => !x.accepted)) {
      gas.add("clearing.finalize (window over)", await new ClearingClient(at.clearing, anyone).finalize(b.header));
      awaitingClose.push(BigInt(b.header.periodEnd));
    }
    open.length = 0;
    await closeDueCycles();
  }
  for (const lane of lanes) {
    const info = await new ClearingClient(at.clearing, ethers.provider).lane(lane.agreementId, lane.direction);
    if (info.sequence !== 4n) throw new Error(`lane ${lane.agreementId}/${lane.direction}: ${info.sequence} batches`);
  }

  // 5. Real-time vouchers: Nordwind's subscribers on Valley's network, acknowledged by Nordwind's key as they go.
  const valleyLane = lanes.find((l) => l.vpmn === 6)!;
  const valley = clearingBy(6);
  const domain = await valley.domain();
  const voucher = (cumulativeAmount: bigint) => ({
    agreementId: valleyLane.agreementId,
    direction: valleyLane.direction,
    cumulativeAmount,
    expiry: validFrom + BigInt(60 * DAY),
  });
  let voucherTotal = 0n;
  let refusedStale = 0;
  for (const cumulative of [usd(120n), usd(310n)]) {
    const v = voucher(cumulative);
    gas.add(
      "clearing.redeemVoucher",
      await valley.redeemVoucher(v, await signVoucher(keys[valleyLane.hpmn - 1], domain, v)),
    );
    voucherTotal = cumulative;
  }
  const stale = voucher(usd(120n));
  await valley
    .redeemVoucher(stale, await signVoucher(keys[valleyLane.hpmn - 1], domain, stale))
    .catch(() => refusedStale++);
  console.log(
    `\n5. Real-time vouchers: Valley redeemed Nordwind's cumulative vouchers of 120 and 310 dUSD (charged at once: ` +
      `${show(voucherTotal)}); replaying the older one was refused (${refusedStale} refusal)`,
  );

  // 6. Period end: the discount deal is settled (anyone), once the submission grace and dispute window are over.
  await travelTo(validFrom + BigInt(PERIOD + 7 * DAY + 3 * DAY) + 60n);
  await closeDueCycles();
  const settlement = new SettlementClient(at.settlement, anyone);
  const trueUps: DemoReport["charges"]["periodTrueUps"] = [];
  for (const row of agreementRows.filter((a) => a.discount)) {
    const lane = lanes.find((l) => l.agreementId === row.id)!;
    const base = onChainTariff(lane.tariff);
    const discount = onChainTariff(DISCOUNT);
    const receipt = gas.add(
      "settlement.settlePeriod",
      await settlement.settlePeriod(row.id, 0, lane.terms, [base, base], [discount, discount]),
    );
    const moved = await obligationsIn(receipt, vault.contract);
    trueUps.push(...moved.map((o) => ({ payer: name(o.payer), payee: name(o.payee), amount: show(o.amount) })));
    const paid = trueUps.map((u) => `${u.payer} -> ${u.payee} ${u.amount}`).join("; ");
    console.log(`\n6. Period end: the ${row.label} discount deal settled: ${paid || "no difference"}`);
  }

  // 7. Capacity: Nordwind sells data capacity; Iberia leases exclusive spectrum; the market swaps units and money.
  const trades: DemoReport["capacity"]["trades"] = [];
  const t = await now();
  const nordwind = new CapacityClient(at.capacity, admins[0]);
  const dataTerms: ClassTerms = {
    issuerId: 1,
    kind: CapacityKind.Data,
    unit: encodeLabel("GB"),
    validFrom: t,
    validUntil: t + BigInt(90 * DAY),
    maxSupply: 5_000n,
    region: encodeLabel("DEUNW", "region"),
    salt: ethers.ZeroHash,
    slice: emptySlice(),
    spectrum: emptySpectrum(),
  };
  const { classId: dataId, receipt: created } = await nordwind.createClass(dataTerms, "");
  gas.add("capacity.createClass (data)", created);
  gas.add("capacity.mint", await nordwind.mint(dataId, admins[0].address, 5_000n));
  const nordwindMarket = new MarketClient(at.market, admins[0]);
  const listed = await nordwindMarket.list(dataId, tokenAddress, usd(1n) / 2n, 2_000n, t + BigInt(30 * DAY), {
    approve: true,
  });
  gas.add("market.list", listed.receipt);
  gas.add(
    "market.buy (vault)",
    await new MarketClient(at.market, admins[3]).buy(listed.listingId, 1_200n, PayVia.Vault),
  );
  trades.push({
    what: "Germany data, GB",
    seller: name(1),
    buyer: name(4),
    quantity: "1200",
    price: show(1_200n * (usd(1n) / 2n)),
    via: "vault balances",
  });

  const iberia = new CapacityClient(at.capacity, admins[2]);
  const firstSlot = 96n * 2n; // day 3 of the plan, 00:00
  const block = {
    bandPlanId: 1,
    areaId: 34_001,
    firstChannel: 8,
    channelCount: 4,
    firstSlot,
    slotCount: 96n,
    exclusive: true,
  };
  const window = spectrumWindow(plan, firstSlot, 96n);
  const spectrumTerms: ClassTerms = {
    issuerId: 3,
    kind: CapacityKind.Spectrum,
    unit: encodeLabel("lease"),
    ...window,
    maxSupply: 1n,
    region: encodeLabel("ESP-MAD", "region"),
    salt: ethers.ZeroHash,
    slice: emptySlice(),
    spectrum: block,
  };
  const { classId: leaseId, receipt: leaseReceipt } = await iberia.createClass(spectrumTerms, "");
  gas.add("capacity.createClass (spectrum 4 x 96)", leaseReceipt);
  gas.add("capacity.mint", await iberia.mint(leaseId, admins[2].address, 1n));
  const overlapping = { ...spectrumTerms, issuerId: 6, spectrum: { ...block, firstChannel: 11, channelCount: 2 } };
  const refusal = await new CapacityClient(at.capacity, admins[5])
    .createClass(overlapping, "")
    .then(() => "accepted (!)")
    .catch((e: Error) => e.message.split("\n")[0]);
  const iberiaMarket = new MarketClient(at.market, admins[2]);
  const lease = await iberiaMarket.list(leaseId, tokenAddress, usd(900n), 1n, t + BigInt(30 * DAY), { approve: true });
  gas.add("market.list", lease.receipt);
  gas.add(
    "market.buy (direct ERC-20)",
    await new MarketClient(at.market, admins[1]).buy(lease.listingId, 1n, PayVia.Direct, { approve: "exact" }),
  );
  trades.push({
    what: "3.59-3.61 GHz, Madrid, 24 h exclusive",
    seller: name(3),
    buyer: name(2),
    quantity: "1",
    price: show(usd(900n)),
    via: "direct ERC-20",
  });
  console.log(
    `\n7. Capacity: ${name(4)} bought 1,200 GB of Nordwind data capacity (paid from its vault balance); ${name(2)} ` +
      `leased Iberia's exclusive 4-channel x 24 h spectrum block (direct payment). An overlapping block was refused: ${refusal}`,
  );

  // 8. The last cycle closes; members withdraw what they are owed above their prefunding.
  const { openEnd } = await vault.tokenConfig(tokenAddress);
  await travelTo(openEnd);
  await closeDueCycles();
  const applied = await appliedObligations(vault.contract);
  const summary = nettingSummary(applied);
  const withdrawn = new Map<number, bigint>();
  for (let id = 1; id <= MEMBERS.length; id++) {
    const free = await vault.freeBalanceOf(id, tokenAddress);
    const gain = free - usd(MEMBERS[id - 1].prefund);
    if (gain <= 0n) continue;
    gas.add("vault.withdraw", await vault.connect(admins[id - 1]).withdraw(id, tokenAddress, gain));
    withdrawn.set(id, gain);
  }
  const st = summary.stats;
  const percent = st.grossTotal === 0n ? "0.00" : unitsToDecimal((st.netTotal * 10_000n) / st.grossTotal, 2);
  console.log(
    `\n8. Settlement: ${applied.length} obligations in ${cycles} weekly cycles (each close O(1)). ` +
      `Gross: ${st.grossTransfers} bilateral payments, ` +
      `${money(st.grossTotal)} dUSD; multilateral netting: ${st.netTransfers} payments, ${money(st.netTotal)} dUSD ` +
      `(${percent}% of gross moved)`,
  );
  const consortium: DemoReport["consortium"] = MEMBERS.map((m, i) => {
    const id = i + 1;
    const owes = applied.filter((o) => Number(o.payer) === id).reduce((s, o) => s + o.amount, 0n);
    const owed = applied.filter((o) => Number(o.payee) === id).reduce((s, o) => s + o.amount, 0n);
    return {
      id,
      name: m.name,
      tadigs: m.tadigs,
      community: m.community === true,
      grossOwes: show(owes),
      grossOwed: show(owed),
      net: show(owed - owes),
      withdrawn: show(withdrawn.get(id) ?? 0n),
    };
  });
  // Amounts as the report writes them: thousands separators and the token's decimals, exact.
  const amount = (d: string) => formatDecimal(d, DECIMALS).padStart(16);
  console.log(
    `   ${"operator".padEnd(22)} ${["gross owes", "gross owed", "net", "withdrawn"].map((h) => h.padStart(16)).join(" ")}`,
  );
  for (const o of consortium) {
    console.log(`   ${o.name.padEnd(22)} ${[o.grossOwes, o.grossOwed, o.net, o.withdrawn].map(amount).join(" ")}`);
  }

  // The report.
  const clearingGas = gas.total("clearing.");
  const delaysSeconds = settleDelays.map(Number);
  const delays = distribution(delaysSeconds);
  snapshots.push({ cycle: cycles + 1, closedAt: null, block: Infinity, balances: await balances(true) });
  const cycleRows = cycleStatements(
    MEMBERS.map((_, i) => i + 1),
    snapshots,
    await vaultMovements(vault.contract, tokenAddress, snapshots),
    DECIMALS,
  );
  const batchCharges = applied.filter((o) => batchIds.has(o.ref)).reduce((s, o) => s + o.amount, 0n);
  const report: DemoReport = {
    title: "RoamLedger demo: a roaming month of six operators",
    generatedAt: new Date().toISOString(),
    chainId: chainId.toString(),
    wallSeconds: (Date.now() - started) / 1000,
    token: { symbol: "dUSD", decimals: DECIMALS },
    consortium,
    agreements: agreementRows,
    usage: { records: stats.records, batches: stats.batches, lanes: lanes.length, injected: { ...INJECTED } },
    fraud: {
      provenDuplicates: stats.duplicates,
      provenOutOfPeriod: stats.outOfPeriod,
      disputedPhantoms: stats.phantoms,
      removedByProofs: show(stats.removed),
      waivedByResolutions: show(stats.waived),
      fraudCountsByOperator: [...fraudBy].map(([id, proven]) => ({ id, name: name(id), proven })),
    },
    charges: {
      batchCharges: show(batchCharges),
      voucherCharges: show(voucherTotal),
      periodTrueUps: trueUps,
      capacityPayments: show(1_200n * (usd(1n) / 2n) + usd(900n)),
    },
    netting: {
      obligations: applied.length,
      grossTransfers: st.grossTransfers,
      bilateralNetTransfers: st.bilateralNetTransfers,
      netTransfers: st.netTransfers,
      grossTotal: show(st.grossTotal),
      netTotal: show(st.netTotal),
      paymentsAvoided: st.grossTransfers - st.netTransfers,
      moneyMovedPercent: percent,
      cyclesClosed: cycles,
    },
    vouchers: { redeemed: 2, refusedStale, total: show(voucherTotal) },
    capacity: { trades },
    cycles: cycleRows,
    settlementTime: {
      delaysSeconds,
      medianDays: secondsToDays(delays.median),
      maxDays: secondsToDays(delays.max),
      traditional: "30-90 days",
    },
    gas: {
      operations: gas.figures(),
      clearingTotal: clearingGas,
      perRecord: (clearingGas / stats.records).toFixed(2),
    },
  };
  const files = writeDemoReport(report, process.env.ROAMLEDGER_DEMO_REPORTS ?? "reports");
  console.log(
    `\n9. Fraud caught: ${stats.duplicates} duplicates and ${stats.outOfPeriod} out-of-period records proven on chain ` +
      `(${money(stats.removed)} dUSD removed), ${stats.phantoms} phantom records disputed and waived (${money(stats.waived)} dUSD)`,
  );
  console.log(
    `   usage to settled cash: median ${report.settlementTime.medianDays} days (max ${report.settlementTime.maxDays}), ` +
      `instead of 30-90; clearing gas ${clearingGas.toLocaleString("en-US")} = ${report.gas.perRecord} per record`,
  );
  console.log("\n10. Gas per operation (median, count)");
  for (const g of report.gas.operations) {
    console.log(`   ${g.operation.padEnd(40)} ${g.median.toLocaleString("en-US").padStart(10)}  x${g.count}`);
  }
  console.log(`\nReport: ${files.json} and ${files.html}`);
  console.log(
    `Done in ${((Date.now() - started) / 1000).toFixed(1)} s (wall clock); consortium admin ${short(admin.address)}.`,
  );
}

async function publish(client: AgreementsClient, tariff: Tariff, gas: GasLog): Promise<string> {
  const { tariffId, receipt } = await client.publishTariff(onChainTariff(tariff));
  gas.add("agreements.publishTariff", receipt);
  return tariffId;
}

interface WeekResult {
  header: BatchHeader;
  batchId: string;
  finalAt: bigint;
  records: number;
  duplicates: number;
  outOfPeriod: number;
  phantoms: number;
  removed: bigint;
  waived: bigint;
  accepted: boolean;
}

/**
 * One lane's week: the visited network generates and ingests its CSV, submits the batch; the home network reconciles
 * it, proves the fraud, disputes the phantoms, settles the held part with the visited network, and (on direction 0)
 * accepts the batch.
 */
async function clearWeek(
  lane: Lane,
  week: number,
  start: bigint,
  end: bigint,
  clearingAddress: string,
  admins: HardhatEthersSigner[],
  keys: Wallet[],
  relayer: HardhatEthersSigner,
  gas: GasLog,
): Promise<WeekResult> {
  const validFrom = BigInt(lane.terms.validFrom);
  const genuine = Math.max(40, Math.round(lane.deal.weeklyRecords[lane.direction] * SCALE));
  const cdrs = generateCdrs({
    seed: `${lane.agreementId}/${lane.direction}/${week}`,
    count: genuine + INJECTED.duplicates + INJECTED.outOfPeriod + INJECTED.phantom,
    subscribers: Math.max(10, Math.floor(genuine / 8)),
    imsiPrefix: MEMBERS[lane.hpmn - 1].imsiPrefix,
    periodStart: start,
    periodEnd: end,
    validFrom,
    services: TRAFFIC[lane.deal.base],
    eventRefPrefix: `W${week}L${lane.direction}`,
    inject: INJECTED,
  });
  const salt = periodSalt(lane.secret, lane.agreementId, 0n);
  for (const imsi of cdrs.truth.subscribers) lane.home.add(subscriberHash(salt, imsi));
  const ingested = await ingestCdrs(writeCdrCsv(cdrs), "csv", {
    agreementId: lane.agreementId,
    direction: lane.direction,
    sharedSecret: lane.secret,
    validFrom,
    validUntil: BigInt(lane.terms.validUntil),
    periodLength: BigInt(lane.terms.periodLength),
    tariff: lane.tariff,
    batchPeriod: { start, end },
  });
  if (!ingested.ok) throw new Error(`ingestion: ${JSON.stringify(ingested.errors.slice(0, 3))}`);
  const tree = buildRecordTree(ingested.leaves);
  lane.sequence += 1;
  const header: BatchHeader = {
    agreementId: lane.agreementId,
    direction: lane.direction,
    sequence: lane.sequence,
    periodStart: start,
    periodEnd: end,
    baseTariff: lane.terms.baseTariff[lane.direction],
    services: ingested.totals.services,
    volumes: ingested.totals.volumes,
    recordCounts: ingested.totals.recordCounts,
    taxes: ingested.totals.taxes,
    root: tree.root,
    fileHash: ethers.id(`encrypted ${lane.agreementId}/${lane.direction}/${week}.csv`),
  };
  const fileURI = `ipfs://demo/${lane.agreementId.slice(2, 10)}/${lane.direction}/${week}`;
  const vpmn = new ClearingClient(clearingAddress, admins[lane.vpmn - 1]);
  // The community network runs no infrastructure: a relayer submits with its signer key's signature.
  const community = MEMBERS[lane.vpmn - 1].community === true;
  const submitted = community
    ? await vpmn.connect(relayer).submitBatch(header, {
        fileURI,
        signature: await signBatchHeader(keys[lane.vpmn - 1], await vpmn.domain(), header),
      })
    : await vpmn.submitBatch(header, { fileURI });
  gas.add(community ? "clearing.submitBatch (relayed)" : "clearing.submitBatch", submitted.receipt);

  // The home network reconciles the batch against its own subscribers and proves what the chain can judge.
  const batch = {
    batchId: submitted.batchId,
    sequence: BigInt(lane.sequence),
    periodStart: start,
    periodEnd: end,
    leaves: ingested.leaves,
    tree,
    final: false,
  };
  const increments = new Map(lane.tariff.plans.map((p) => [p.service as Service, BigInt(p.increment)]));
  const found = reconcileBatches({
    home: { subscribers: lane.home },
    batches: [batch],
    increments,
    validity: { from: validFrom, until: BigInt(lane.terms.validUntil) },
  });
  const hpmn = new ClearingClient(clearingAddress, admins[lane.hpmn - 1]);
  let duplicates = 0;
  let outOfPeriod = 0;
  const before = (await hpmn.getBatch(submitted.batchId)).charge;
  for (const proof of buildFraudProofs(found, [batch])) {
    if (proof.kind === FraudKind.Duplicate) {
      const kept = { leaf: proof.keptLeaf, proof: proof.keptProof };
      const record = { leaf: proof.leaf, proof: proof.proof };
      gas.add("clearing.proveDuplicate", await hpmn.proveDuplicate(header, kept, header, record));
      duplicates++;
    } else {
      const record = { leaf: proof.leaf, proof: proof.proof };
      gas.add("clearing.proveFraud (out of period)", await hpmn.proveFraud(proof.kind, header, record));
      outOfPeriod++;
    }
  }
  let phantoms = 0;
  for (const d of buildDisputes(found, [batch])) {
    gas.add("clearing.dispute", await hpmn.dispute(header, d, d.codes));
    phantoms += d.leaves.length;
  }
  const state = await hpmn.getBatch(submitted.batchId);
  const removed = before - state.charge - state.held;
  let waived = 0n;
  if (state.held > 0n) {
    // Both parties' keys sign the resolution: the phantom records are waived (nothing of the held part is paid).
    const domain = await hpmn.domain();
    const resolution = await hpmn.resolutionOf(submitted.batchId, 0n);
    gas.add(
      "clearing.resolve (joint)",
      await hpmn.resolve(
        header,
        0n,
        await signResolution(keys[lane.hpmn - 1], domain, resolution),
        await signResolution(keys[lane.vpmn - 1], domain, resolution),
      ),
    );
    waived = state.held;
  }
  // Direction 0's home networks accept at once; direction 1's let the window run out.
  const accepted = lane.direction === 0;
  if (accepted) gas.add("clearing.accept", await hpmn.accept(header));
  return {
    header,
    batchId: submitted.batchId,
    finalAt: BigInt(submitted.finalAt),
    records: cdrs.count,
    duplicates,
    outOfPeriod,
    phantoms,
    removed,
    waived,
    accepted,
  };
}

/** Obligations applied in the vault by one receipt. */
async function obligationsIn(
  receipt: TransactionReceipt,
  vault: SettlementVault,
): Promise<{ payer: number; payee: number; amount: bigint }[]> {
  const out: { payer: number; payee: number; amount: bigint }[] = [];
  for (const log of receipt.logs) {
    const parsed = log.address === (await vault.getAddress()) ? vault.interface.parseLog(log) : null;
    if (parsed?.name === "ObligationApplied") {
      out.push({ payer: Number(parsed.args.payer), payee: Number(parsed.args.payee), amount: parsed.args.amount });
    }
  }
  return out;
}

/**
 * Every change of an operator's vault balance in `token`, from the vault's events, in the cycle it fell in: an
 * obligation's own cycle, otherwise the first snapshot taken after its block (`snapshots` in block order).
 */
async function vaultMovements(
  vault: SettlementVault,
  token: string,
  snapshots: readonly (Snapshot & { block: number })[],
): Promise<Movement[]> {
  const cycleAt = (block: number) => {
    const snapshot = snapshots.find((s) => s.block > block);
    if (snapshot === undefined) throw new Error(`no cycle for block ${block}`);
    return snapshot.cycle;
  };
  const movements: Movement[] = [];
  for (const e of await vault.queryFilter(vault.filters.Deposited(undefined, token))) {
    const operator = Number(e.args.operatorId);
    movements.push({ kind: "deposit", operator, cycle: cycleAt(e.blockNumber), amount: e.args.amount });
  }
  for (const e of await vault.queryFilter(vault.filters.Withdrawn(undefined, token))) {
    const operator = Number(e.args.operatorId);
    movements.push({ kind: "withdrawal", operator, cycle: cycleAt(e.blockNumber), amount: e.args.amount });
  }
  for (const e of await vault.queryFilter(vault.filters.FreeBalanceTransferred(token))) {
    const cycle = cycleAt(e.blockNumber);
    movements.push({ kind: "transferOut", operator: Number(e.args.from), cycle, amount: e.args.amount });
    movements.push({ kind: "transferIn", operator: Number(e.args.to), cycle, amount: e.args.amount });
  }
  for (const e of await vault.queryFilter(vault.filters.ObligationApplied(token))) {
    const cycle = Number(e.args.cycle);
    movements.push({ kind: "paid", operator: Number(e.args.payer), cycle, amount: e.args.amount });
    movements.push({ kind: "received", operator: Number(e.args.payee), cycle, amount: e.args.amount });
  }
  return movements;
}

/** Every obligation the vault applied (from its events), with its reference (a batch id for a batch). */
async function appliedObligations(
  vault: SettlementVault,
): Promise<(NettingObligation & { payer: number; payee: number; ref: string })[]> {
  const events = await vault.queryFilter(vault.filters.ObligationApplied());
  return events.map((e) => ({
    payer: Number(e.args.payer),
    payee: Number(e.args.payee),
    amount: e.args.amount,
    ref: e.args.ref,
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
