import { expect } from "chai";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { JsonRpcProvider, keccak256, toUtf8Bytes, ZeroHash } from "ethers";

import { writeCdrCsv } from "../../sdk/src/cdr";
import { computeTariffId, parseTariff } from "../../sdk/src/rating/tariff";
import { VaultClient } from "../../sdk/src/clients/vault";
import { Service } from "../../sdk/src/rating/types";
import { Roles } from "../../sdk/src/governance";
import { MockStablecoin__factory, RoamLedgerManager__factory, UsageClearing__factory } from "../../sdk/src/typechain";
import {
  cliBin,
  nodeWallet,
  ROOT,
  rpc,
  runCli,
  startAnvil,
  startHardhatNode,
  stopAllProcesses,
  tariffJson,
  type CliRun,
} from "../cli/helpers";
import { describeUnlessCoverage } from "../helpers/gas";
import { generateCdrs } from "../../sdk/src/testing";

/**
 * Deployment to real nodes, as an operator does it: a `hardhat node` and an Anvil node (from npm) run as separate
 * processes; on each, the `roamledger` CLI deploys the suite through the Ignition module, re-runs the deployment
 * (nothing is redeployed: not one transaction), and runs a short clearing flow over JSON-RPC (operators, tariff, offer,
 * deposit, a batch of CDRs from a CSV file). Each node listens on a port the system picks, and is stopped (and waited
 * for) at the end of its test, even on failure; `after` stops anything still running.
 */

const DAY = 86_400n;
const SECRET = keccak256(toUtf8Bytes("real-node shared secret"));
const NODES = [
  { name: "hardhat node", key: "hardhat", start: startHardhatNode },
  { name: "Anvil", key: "anvil", start: startAnvil },
] as const;

describeUnlessCoverage(
  "Real nodes: deploy, redeploy nothing and clear a batch with the CLI (hardhat node, Anvil)",
  function () {
    const dir = mkdtempSync(path.join(tmpdir(), "roamledger-nodes-"));
    let bin: string[];
    const [deployer, alice, bob, aliceSigner, bobSigner] = [0, 1, 2, 3, 4].map(nodeWallet);
    /** Holds every role on a local node (deploy/parameters/localhost.json); the deployer holds none. */
    const consortium = nodeWallet(7);
    before(async () => {
      bin = ["node", await cliBin(path.join(dir, "dist"))];
    });
    after(async () => {
      await stopAllProcesses();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const { name, key, start } of NODES) {
      it(`should deploy, redeploy nothing and clear a batch on ${name}`, async () => {
        const node = await start();
        const deploymentId = `real-${key}-${process.pid}`;
        const deploymentDir = path.join(ROOT, "deploy", "deployments", deploymentId);
        const provider = new JsonRpcProvider(node.url, undefined, {
          staticNetwork: true,
          pollingInterval: 100,
          cacheTimeout: -1,
        });
        try {
          // The CLI's journals (payments, batches) in this test's directory, never in the repository's .roamledger/.
          const env = {
            ROAMLEDGER_RPC_URL: node.url,
            ROAMLEDGER_DEPLOYMENT: deploymentDir,
            ROAMLEDGER_JOURNAL_DIR: path.join(dir, `journal-${key}`),
          };
          const cli = async (args: string[], key?: { privateKey: string }, extra: Record<string, string> = {}) => {
            const run: CliRun = await runCli(bin, ["--json", ...args], {
              ...env,
              ...(key === undefined ? {} : { ROAMLEDGER_PRIVATE_KEY: key.privateKey }),
              ...extra,
            });
            const result = run.json();
            expect(result.ok, `${args.join(" ")}: ${run.stdout}\n${run.stderr}`).to.equal(true);
            return result;
          };
          const height = async () => BigInt(await rpc<string>(node.url, "eth_blockNumber"));

          // Deploy, then deploy again: the same addresses, and not one transaction.
          const deploy = [
            "deploy",
            "--parameters",
            "deploy/parameters/localhost.json",
            "--deployment-id",
            deploymentId,
          ];
          const first = await cli(deploy, deployer);
          expect(first.changed).to.equal(true);
          const addresses = first.addresses as Record<string, string>;
          expect(Object.keys(addresses)).to.include.members(["registry", "clearing", "vault", "capacity", "market"]);
          const before = await height();
          const second = await cli(deploy, deployer);
          expect(second.changed).to.equal(false);
          expect(second.addresses).to.deep.equal(addresses);
          expect(await height()).to.equal(before);

          // The deployer renounced ADMIN and holds no role; the consortium account holds them all.
          const manager = RoamLedgerManager__factory.connect(addresses.manager, provider);
          for (const role of Object.values(Roles)) {
            expect((await manager.hasRole(role, deployer.address))[0], `role ${role}`).to.equal(false);
            expect((await manager.hasRole(role, consortium.address))[0], `role ${role}`).to.equal(true);
          }

          // The governor (delay 0 with these parameters) allows a settlement token; the operators get some.
          const stable = await new MockStablecoin__factory(deployer.connect(provider)).deploy("USD Coin", "USDC", 6);
          await stable.waitForDeployment();
          const token = await stable.getAddress();
          await (
            await consortium
              .connect(provider)
              .sendTransaction(new VaultClient(addresses.vault).build.allowToken(token, 7n * DAY))
          ).wait();
          for (const who of [alice, bob]) await (await stable.mint(who.address, 1_000_000n * 10n ** 6n)).wait();

          // Operators, a tariff, an offer accepted, a deposit.
          await cli(
            ["operator", "register", "--tadig", "DEUD1", "--admin", alice.address, "--signer", aliceSigner.address],
            consortium,
          );
          await cli(
            ["operator", "register", "--tadig", "GBRCN", "--admin", bob.address, "--signer", bobSigner.address],
            consortium,
          );
          const tariffFile = path.join(dir, `tariff-${key}.json`);
          writeFileSync(tariffFile, JSON.stringify(tariffJson()));
          const tariffId = computeTariffId(parseTariff(tariffJson()));
          expect((await cli(["tariff", "publish", tariffFile], deployer)).tariffId).to.equal(tariffId);
          const now = BigInt((await provider.getBlock("latest"))!.timestamp);
          const validFrom = (now / DAY) * DAY + DAY;
          const termsFile = path.join(dir, `terms-${key}.json`);
          writeFileSync(
            termsFile,
            JSON.stringify({
              proposer: 1,
              token,
              validFrom: String(validFrom),
              validUntil: String(validFrom + 360n * DAY),
              periodLength: 30 * 86_400,
              disputeWindow: 7 * 86_400,
              submissionGrace: 3 * 86_400,
              noticePeriod: 90 * 86_400,
              baseTariff: [tariffId, tariffId],
              discountTariff: [ZeroHash, ZeroHash],
              conditions: [
                { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
                { kind: 0, includingTaxes: false, includedServices: 0, commitment: 0 },
              ],
              documentCommitment: keccak256(toUtf8Bytes(`agreement on ${name}`)),
            }),
          );
          const offerFile = path.join(dir, `offer-${key}.json`);
          await cli(["offer", "create", termsFile, "--counterparty", "2", "--out", offerFile], aliceSigner);
          const agreementId = (await cli(["offer", "accept", offerFile], bob)).agreementId as string;
          await cli(["vault", "deposit", "2", token, "50000", "--approve"], bob);

          // A day of usage later, alpha submits its CSV: one transaction, the batch stored under its root.
          await rpc(node.url, "evm_setNextBlockTimestamp", [Number(validFrom + DAY + 3_600n)]);
          await rpc(node.url, "evm_mine");
          const file = path.join(dir, `usage-${key}.csv`);
          const records = generateCdrs({
            seed: `real ${name}`,
            count: 150,
            subscribers: 20,
            imsiPrefix: "26201",
            periodStart: validFrom,
            periodEnd: validFrom + DAY,
            validFrom,
            services: [
              { service: Service.VoiceMO, weight: 3 },
              { service: Service.Data, weight: 2 },
            ],
          });
          await pipeline(Readable.from(writeCdrCsv(records)), createWriteStream(file));
          const submitted = await cli(
            [
              "usage",
              "submit",
              file,
              "--agreement",
              agreementId,
              "--direction",
              "0",
              "--journal",
              path.join(dir, `j${key}`),
            ],
            alice,
            { ROAMLEDGER_SHARED_SECRET: SECRET },
          );
          expect(submitted).to.include({ status: "submitted", sequence: "1", records: 150 });
          const clearing = UsageClearing__factory.connect(addresses.clearing, provider);
          expect(await clearing.isRootUsed(agreementId, 0, submitted.root as string)).to.equal(true);
          expect((await clearing.getBatch(submitted.batchId as string)).charge).to.equal(
            BigInt(submitted.charge as string),
          );
        } finally {
          provider.destroy();
          await node.stop();
          rmSync(deploymentDir, { recursive: true, force: true });
        }
      });
    }
  },
);
